"use client";

import { Stack, Tabs, Text } from "@mantine/core";
import { Aggregates } from "@/components/aggregates/aggregates";
import { PageHeader } from "@/components/common/page-header";
import { HostInventory } from "@/components/hosts/host-inventory";
import { LaunchAdmission } from "@/components/hosts/launch-admission";
import { PlacementPreview } from "@/components/hosts/placement-preview";
import { useSession } from "@/components/session/session-context";

function AdminHostTabs() {
  return (
    <Tabs defaultValue="hosts" keepMountedMode="display-none">
      <Tabs.List>
        <Tabs.Tab value="hosts">Hosts</Tabs.Tab>
        <Tabs.Tab value="aggregates">Aggregates</Tabs.Tab>
        <Tabs.Tab value="placement">Placement preview</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="hosts" pt="md">
        <Stack>
          <HostInventory />
          <LaunchAdmission />
        </Stack>
      </Tabs.Panel>
      <Tabs.Panel value="aggregates" pt="md">
        <Stack>
          <PageHeader title="Aggregates" order={2}>
            Groups of hosts: an aggregate with a zone makes its hosts an availability zone.
          </PageHeader>
          <Aggregates />
        </Stack>
      </Tabs.Panel>
      <Tabs.Panel value="placement" pt="md">
        <Stack>
          <PageHeader title="Placement preview" order={2}>
            Where would an instance of this flavor go, and why not elsewhere? Runs the scheduler without claiming anything.
          </PageHeader>
          <PlacementPreview />
        </Stack>
      </Tabs.Panel>
    </Tabs>
  );
}

export default function HostInventoryPage() {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title="Host inventory">
        Compute hosts, their state and how full they are; aggregates and zones; where the scheduler would place an instance.
      </PageHeader>
      {principal.isAdmin ? <AdminHostTabs /> : <Text>Only cloud administrators can see the host inventory.</Text>}
    </Stack>
  );
}
