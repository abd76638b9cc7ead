"use client";

import { Stack, Text, Title } from "@mantine/core";
import { HostInventory } from "@/components/hosts/host-inventory";
import { useSession } from "@/components/session/session-context";

export default function HostInventoryPage() {
  const principal = useSession();
  return (
    <Stack>
      <div>
        <Title order={1}>Host inventory</Title>
        <Text c="dimmed">Compute hosts, their state and how full they are.</Text>
      </div>
      {principal.isAdmin ? <HostInventory /> : <Text>Only cloud administrators can see the host inventory.</Text>}
    </Stack>
  );
}
