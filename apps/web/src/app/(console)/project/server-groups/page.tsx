"use client";

import { Stack } from "@mantine/core";
import { PageHeader } from "@/components/common/page-header";
import { ServerGroups } from "@/components/server-groups/server-groups";
import { useSession } from "@/components/session/session-context";

export default function ServerGroupsPage() {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title="Server groups">
        Groups of instances of project {principal.projectName} that the scheduler keeps together or apart.
      </PageHeader>
      <ServerGroups />
    </Stack>
  );
}
