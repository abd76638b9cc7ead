import { Badge, Stack, Table, Text, Tooltip } from "@mantine/core";
import type { Host } from "@/lib/api-types";
import { formatDateTime, formatTime } from "@/lib/format";
import { HostUsageMeter } from "./host-usage-meter";

/** Compute hosts with their state, capacity and usage (placement's view). */
export function HostInventoryTable({ hosts }: { hosts: Host[] }) {
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Hostname</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>Enabled</Table.Th>
            <Table.Th>vCPUs</Table.Th>
            <Table.Th>RAM</Table.Th>
            <Table.Th>Disk</Table.Th>
            <Table.Th>Instances</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {hosts.map((host) => (
            <Table.Tr key={host.id}>
              <Table.Td>
                <Text size="sm" fw={600}>
                  {host.hostname}
                </Text>
                <Text size="xs" c="dimmed">
                  {host.hypervisorType}
                  {host.agentVersion ? ` · agent ${host.agentVersion}` : ""}
                </Text>
              </Table.Td>
              <Table.Td>
                <Stack gap={2}>
                  <Badge color={host.state === "up" ? "green" : "red"} variant="light">
                    {host.state === "up" ? "Up" : "Down"}
                  </Badge>{" "}
                  <Tooltip label={formatDateTime(host.lastHeartbeatAt)} disabled={!host.lastHeartbeatAt}>
                    <Text size="xs" c="dimmed">
                      {host.lastHeartbeatAt ? `heartbeat ${formatTime(host.lastHeartbeatAt)}` : "no heartbeat yet"}
                    </Text>
                  </Tooltip>
                </Stack>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{host.enabled ? "Yes" : "No"}</Text>
                {!host.enabled && host.disabledReason && (
                  <Text size="xs" c="dimmed">
                    {host.disabledReason}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <HostUsageMeter label={`vCPUs used on ${host.hostname}`} used={host.vcpus.used} capacity={host.vcpus.capacity} unit="vCPUs" />
              </Table.Td>
              <Table.Td>
                <HostUsageMeter label={`RAM used on ${host.hostname}`} used={host.memoryMb.used} capacity={host.memoryMb.capacity} unit="MB" />
              </Table.Td>
              <Table.Td>
                <HostUsageMeter label={`Disk used on ${host.hostname}`} used={host.diskGb.used} capacity={host.diskGb.capacity} unit="GB" />
              </Table.Td>
              <Table.Td>{" "}{host.instanceCount}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
