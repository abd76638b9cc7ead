"use client";

import { Stack, Tabs, Text, Title } from "@mantine/core";
import { Aggregates } from "@/components/aggregates/aggregates";
import { HostInventory } from "@/components/hosts/host-inventory";
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
        </Stack>
      </Tabs.Panel>
      <Tabs.Panel value="aggregates" pt="md">
        <Stack>
          <div>
            <Title order={2}>Aggregates</Title>
            <Text c="dimmed">Groups of hosts: an aggregate with a zone makes its hosts an availability zone.</Text>
          </div>
          <Aggregates />
        </Stack>
      </Tabs.Panel>
      <Tabs.Panel value="placement" pt="md">
        <Stack>
          <div>
            <Title order={2}>Placement preview</Title>
            <Text c="dimmed">Where would an instance of this flavor go, and why not elsewhere? Runs the scheduler without claiming anything.</Text>
          </div>
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
      <div>
        <Title order={1}>Host inventory</Title>
        <Text c="dimmed">Compute hosts, their state and how full they are; aggregates and zones; where the scheduler would place an instance.</Text>
      </div>
      {principal.isAdmin ? <AdminHostTabs /> : <Text>Only cloud administrators can see the host inventory.</Text>}
    </Stack>
  );
}
