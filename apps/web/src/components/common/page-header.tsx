"use client";

import { Text, Title } from "@mantine/core";
import type { ReactNode } from "react";

interface PageHeaderProps {
  title: string;
  /** A sentence on what the page (or section) holds, under the title. */
  children: ReactNode;
  /** 1 for a page, 2 for a section of one (a tab). */
  order?: 1 | 2;
}

/** A page's (or tab's) title with its dimmed one-sentence description. */
export function PageHeader({ title, children, order = 1 }: PageHeaderProps) {
  return (
    <div>
      <Title order={order}>{title}</Title>
      <Text c="dimmed">{children}</Text>
    </div>
  );
}
