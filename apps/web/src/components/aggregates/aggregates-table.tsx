import { ActionIcon, Badge, Group, Table, Text, Tooltip } from "@mantine/core";
import { CrossIcon, TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import type { Aggregate, Host } from "@/lib/api-types";
import { AddHostToAggregate } from "./add-host-to-aggregate";

interface AggregatesTableProps {
  aggregates: Aggregate[];
  /** Project names by id, to name the projects an aggregate is reserved for. */
  projectNames: ReadonlyMap<string, string>;
  hosts: Host[];
  /** The aggregate whose host change is in flight, if any. */
  pendingAggregateId: string | null;
  onAddHost(aggregate: Aggregate, hostId: string): void;
  onRemoveHost(aggregate: Aggregate, host: Aggregate["hosts"][number]): void;
  onDelete(aggregate: Aggregate): void;
}

/** Nova's host aggregates: groups of hosts, optionally an availability zone or reserved for projects. */
export function AggregatesTable({ aggregates, projectNames, hosts, pendingAggregateId, onAddHost, onRemoveHost, onDelete }: AggregatesTableProps) {
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Availability zone</Table.Th>
            <Table.Th>Reserved for projects</Table.Th>
            <Table.Th>Hosts</Table.Th>
            <Table.Th>Add a host</Table.Th>
            <Table.Th>Actions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {aggregates.map((aggregate) => {
            const pending = pendingAggregateId === aggregate.id;
            return (
              <Table.Tr key={aggregate.id}>
                <Table.Td fw={600}>{aggregate.name}</Table.Td>
                <Table.Td>
                  {aggregate.availabilityZone ? (
                    <Badge variant="outline" color="blue" tt="none">
                      {aggregate.availabilityZone}
                    </Badge>
                  ) : (
                    <Text size="sm" c="dimmed">
                      —
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {aggregate.tenantProjectIds.length === 0 ? (
                    <Text size="sm" c="dimmed">
                      any project
                    </Text>
                  ) : (
                    <Tooltip label={aggregate.tenantProjectIds.map((id) => projectNames.get(id) ?? id).join(", ")} multiline w={320}>
                      <Text size="sm">{aggregate.tenantProjectIds.length}</Text>
                    </Tooltip>
                  )}
                </Table.Td>
                <Table.Td>
                  {aggregate.hosts.length === 0 ? (
                    <Text size="sm" c="dimmed">
                      No hosts
                    </Text>
                  ) : (
                    <Group gap={6}>
                      {aggregate.hosts.map((host) => (
                        <Badge
                          key={host.id}
                          variant="light"
                          color="gray"
                          tt="none"
                          pr={3}
                          rightSection={
                            <ActionIcon
                              size="xs"
                              variant="transparent"
                              color="gray"
                              aria-label={`Remove ${host.hostname} from ${aggregate.name}`}
                              disabled={pending}
                              onClick={() => onRemoveHost(aggregate, host)}
                            >
                              <CrossIcon size={10} />
                            </ActionIcon>
                          }
                        >
                          {host.hostname}
                        </Badge>
                      ))}
                    </Group>
                  )}
                </Table.Td>
                <Table.Td>
                  <AddHostToAggregate aggregate={aggregate} hosts={hosts} pending={pending} onAdd={(hostId) => onAddHost(aggregate, hostId)} />
                </Table.Td>
                <Table.Td>
                  <RowActionIcon tooltip="Delete" aria-label={`Delete aggregate ${aggregate.name}`} icon={<TrashIcon />} onClick={() => onDelete(aggregate)} />
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
