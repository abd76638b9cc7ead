"use client";

import { Stack } from "@mantine/core";
import { PageHeader } from "@/components/common/page-header";
import { Networks } from "@/components/networks/networks";
import { useSession } from "@/components/session/session-context";

export default function NetworksPage() {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title="Networks">Networks of project {principal.projectName} and the shared ones: subnets, address usage and ports.</PageHeader>
      <Networks />
    </Stack>
  );
}
