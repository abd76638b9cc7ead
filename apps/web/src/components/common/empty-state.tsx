"use client";

import { Paper, Text } from "@mantine/core";
import type { ReactNode } from "react";

/** What a list shows while it has nothing in it: "No volumes yet.", centred and dimmed in a bordered box. */
export function EmptyState({ children }: { children: ReactNode }) {
  return (
    <Paper withBorder p="xl">
      <Text ta="center" c="dimmed">
        {children}
      </Text>
    </Paper>
  );
}
