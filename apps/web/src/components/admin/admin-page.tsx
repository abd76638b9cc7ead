"use client";

import { Alert, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { useSession } from "@/components/session/session-context";

/** An operator page: its heading for everyone, its content for cloud administrators only. */
export function AdminPage({ title, description, children }: { title: string; description: string; children: ReactNode }) {
  const principal = useSession();
  return (
    <Stack>
      <div>
        <Title order={1}>{title}</Title>
        <Text c="dimmed">{description}</Text>
      </div>
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
