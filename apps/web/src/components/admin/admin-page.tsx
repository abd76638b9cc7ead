"use client";

import { Alert, Stack } from "@mantine/core";
import type { ReactNode } from "react";
import { PageHeader } from "@/components/common/page-header";
import { useSession } from "@/components/session/session-context";

/** An operator page: its heading for everyone, its content for cloud administrators only. */
export function AdminPage({ title, description, children }: { title: string; description: string; children: ReactNode }) {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title={title}>{description}</PageHeader>
      {principal.isAdmin ? (
        children
      ) : (
        <Alert color="yellow" title="Cloud administrators only">
          Only cloud administrators can see this page.
        </Alert>
      )}
    </Stack>
  );
}
