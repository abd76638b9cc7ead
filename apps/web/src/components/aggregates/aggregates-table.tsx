import { ActionIcon, Badge, Group, Text, Tooltip } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
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
  const columns: DataTableColumn<Aggregate>[] = [
    { key: "name", header: "Name", cell: (a) => a.name, sortValue: (a) => a.name, cellProps: { fw: 600 } },
    {
      key: "zone",
      header: "Availability zone",
      sortValue: (a) => a.availabilityZone,
      cell: (a) =>
        a.availabilityZone ? (
          <Badge variant="outline" color="blue" tt="none">
            {a.availabilityZone}
          </Badge>
        ) : (
          <Text size="sm" c="dimmed">
            —
          </Text>
        ),
    },
    {
      key: "projects",
      header: "Reserved for projects",
      sortValue: (a) => a.tenantProjectIds.length,
      cell: (a) =>
        a.tenantProjectIds.length === 0 ? (
          <Text size="sm" c="dimmed">
            any project
          </Text>
        ) : (
          <Tooltip label={a.tenantProjectIds.map((id) => projectNames.get(id) ?? id).join(", ")} multiline w={320}>
            <Text size="sm">{a.tenantProjectIds.length}</Text>
          </Tooltip>
        ),
    },
    {
      key: "hosts",
      header: "Hosts",
      sortValue: (a) => a.hosts.length,
      cell: (a) =>
        a.hosts.length === 0 ? (
          <Text size="sm" c="dimmed">
            No hosts
          </Text>
        ) : (
          <Group gap={6}>
            {a.hosts.map((host) => (
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
                    aria-label={`Remove ${host.hostname} from ${a.name}`}
                    disabled={pendingAggregateId === a.id}
                    onClick={() => onRemoveHost(a, host)}
                  >
                    <CrossIcon size={10} />
                  </ActionIcon>
                }
              >
                {host.hostname}
              </Badge>
            ))}
          </Group>
        ),
    },
    {
      key: "addHost",
      header: "Add a host",
      cell: (a) => <AddHostToAggregate aggregate={a} hosts={hosts} pending={pendingAggregateId === a.id} onAdd={(hostId) => onAddHost(a, hostId)} />,
    },
  ];
  return (
    <DataTable
      minWidth={900}
      columns={columns}
      rows={aggregates}
      rowKey={(a) => a.id}
      rowActions={(aggregate) => (
        <RowActionIcon tooltip="Delete" aria-label={`Delete aggregate ${aggregate.name}`} icon={<TrashIcon />} onClick={() => onDelete(aggregate)} />
      )}
    />
  );
}
