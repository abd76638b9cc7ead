"use client";

import { Stack } from "@mantine/core";
import { PageHeader } from "@/components/common/page-header";
import { SecurityGroups } from "@/components/security-groups/security-groups";
import { useSession } from "@/components/session/session-context";

export default function SecurityGroupsPage() {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title="Security groups">
        Firewall rules of project {principal.projectName}: what may reach its instances, and what they may reach.
      </PageHeader>
      <SecurityGroups />
    </Stack>
  );
}
