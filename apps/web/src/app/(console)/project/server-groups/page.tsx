"use client";

import { Stack, Text, Title } from "@mantine/core";
import { ServerGroups } from "@/components/server-groups/server-groups";
import { useSession } from "@/components/session/session-context";

export default function ServerGroupsPage() {
  const principal = useSession();
  return (
    <Stack>
      <div>
        <Title order={1}>Server groups</Title>
        <Text c="dimmed">Groups of instances of project {principal.projectName} that the scheduler keeps together or apart.</Text>
      </div>
      <ServerGroups />
    </Stack>
  );
}
