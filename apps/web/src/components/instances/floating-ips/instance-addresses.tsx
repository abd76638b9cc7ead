"use client";

import { List, Text } from "@mantine/core";
import { useInstanceFloatingIps } from "./instance-floating-ips";

/**
 * An instance's addresses: each port's fixed address on its network, with the floating IP that
 * answers for it (Horizon's "IP Address" column). Kept current by the console's pushed network
 * and instance changes.
 */
export function InstanceAddresses({ instanceId, fallback }: { instanceId: string; fallback: string | null }) {
  const state = useInstanceFloatingIps(instanceId);
  if (!state.loaded || state.instancePorts.length === 0) return <>{fallback ?? "—"}</>;
  return (
    <List size="sm" listStyleType="none" spacing={2} aria-label="Addresses">
      {state.instancePorts.map((port) => {
        const floating = state.associated.filter((f) => f.portId === port.id);
        return (
          <List.Item key={port.id}>
            <Text span size="sm" ff="monospace">
              {port.ipAddress}
            </Text>{" "}
            <Text span size="sm" c="dimmed">
              on {port.networkName}
            </Text>
            {floating.map((f) => (
              <Text key={f.id} size="sm">
                Floating IP{" "}
                <Text span size="sm" ff="monospace">
                  {f.floatingIpAddress}
                </Text>
              </Text>
            ))}
          </List.Item>
        );
      })}
    </List>
  );
}
