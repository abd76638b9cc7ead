import { Badge, Button, Group, Stack, Switch, Table, Text, Tooltip } from "@mantine/core";
import type { Host } from "@/lib/api-types";
import { formatDateTime, formatTime } from "@/lib/format";
import { HostInstancesPopover } from "./host-instances-popover";
import { HostUsageMeter } from "./host-usage-meter";

interface HostInventoryTableProps {
  hosts: Host[];
  /** Turning the switch on enables at once; turning it off asks for a reason first. */
  onSetEnabled(host: Host, enabled: boolean): void;
  onEdit(host: Host): void;
  /** The host whose enabling is in flight, if any. */
  pendingHostId: string | null;
}

/** Compute hosts with their state, zone, capacity and usage (placement's view), and the operator's controls. */
export function HostInventoryTable({ hosts, onSetEnabled, onEdit, pendingHostId }: HostInventoryTableProps) {
  return (
    <Table.ScrollContainer minWidth={1200}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Hostname</Table.Th>
            <Table.Th>Zone and aggregates</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>Enabled</Table.Th>
            <Table.Th>vCPUs</Table.Th>
            <Table.Th>RAM</Table.Th>
            <Table.Th>Disk</Table.Th>
            <Table.Th>Instances</Table.Th>
            <Table.Th>Failed builds</Table.Th>
            <Table.Th>Actions</Table.Th>
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
                <Stack gap={4} align="flex-start">
                  <Tooltip label="Availability zone">
                    <Badge variant="outline" color="blue" tt="none">
                      {host.availabilityZone}
                    </Badge>
                  </Tooltip>{" "}
                  {host.aggregates.length === 0 ? (
                    <Text size="xs" c="dimmed">
                      no aggregate
                    </Text>
                  ) : (
                    <Group gap={4}>
                      {host.aggregates.map((aggregate) => (
                        <Badge key={aggregate.id} variant="light" color="gray" tt="none" size="sm">
                          {aggregate.name}
                        </Badge>
                      ))}
                    </Group>
                  )}
                </Stack>
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
                <Group gap="xs" wrap="nowrap">
                  <Switch
                    aria-label={`Enabled on ${host.hostname}`}
                    checked={host.enabled}
                    disabled={pendingHostId === host.id}
                    onChange={(e) => onSetEnabled(host, e.currentTarget.checked)}
                    color="green"
                  />{" "}
                  <Text size="sm">{host.enabled ? "Yes" : "No"}</Text>
                </Group>
                {!host.enabled && host.disabledReason && (
                  <Text size="xs" c="dimmed" maw={180}>
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
              <Table.Td>
                <HostInstancesPopover host={host} />
              </Table.Td>
              <Table.Td>
                {/* Nova's BuildFailureWeigher ranks hosts with recent failed builds last. */}
                <Text size="sm" c={host.failedBuilds > 0 ? "red" : undefined} fw={host.failedBuilds > 0 ? 600 : undefined}>
                  {" "}
                  {host.failedBuilds}
                </Text>
              </Table.Td>
              <Table.Td>
                <Button variant="default" size="xs" aria-label={`Edit ${host.hostname}`} onClick={() => onEdit(host)}>
                  Edit
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
