"use client";

import { Alert, Group, Loader, Text } from "@mantine/core";
import { useDatabaseAway } from "@/lib/database-reachability";

/** "Reconnecting…" above every page while the server cannot reach its database; gone when it is back. */
export function DatabaseReconnecting() {
  const away = useDatabaseAway();
  if (!away) return null;
  return (
    <Alert color="yellow" role="status" aria-live="polite" mb="md" title="Reconnecting…">
      <Group gap="xs" wrap="nowrap">
        <Loader size="xs" aria-label="Waiting for the database" />
        <Text size="sm">Nimbus cannot reach its database at the moment (it may be restarting). Pages refresh on their own when it is back.</Text>
      </Group>
    </Alert>
  );
}
