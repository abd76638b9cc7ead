"use client";

import { Stack } from "@mantine/core";
import { PageHeader } from "@/components/common/page-header";
import { NetworkTopology } from "@/components/network-topology/network-topology";
import { useSession } from "@/components/session/session-context";

export default function NetworkTopologyPage() {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title="Network topology">
        How the networks, routers and instances of project {principal.projectName} are joined: external networks on top, then routers, networks and
        the instances on them.
      </PageHeader>
      <NetworkTopology projectName={principal.projectName} />
    </Stack>
  );
}
