import { Anchor, Badge, Group, Text, Tooltip } from "@mantine/core";
import Link from "next/link";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import type { ServerGroup } from "@/lib/api-types";
import { policySpec } from "@/lib/server-group-policy";

const COLUMNS: DataTableColumn<ServerGroup>[] = [
  { key: "name", header: "Name", cell: (g) => g.name, sortValue: (g) => g.name, cellProps: { fw: 600 } },
  {
    key: "policy",
    header: "Policy",
    sortValue: (g) => policySpec(g.policy).label,
    cell: (g) => {
      const policy = policySpec(g.policy);
      return (
        <Tooltip label={policy.description} multiline w={260} disabled={!policy.description}>
          <Badge variant="light" color={policy.color}>
            {policy.label}
          </Badge>
        </Tooltip>
      );
    },
  },
  { key: "maxPerHost", header: "Max per host", cell: (g) => (g.policy === "anti-affinity" ? (g.maxServerPerHost ?? 1) : "—") },
  {
    key: "members",
    header: "Members",
    sortValue: (g) => g.members.length,
    cell: (g) =>
      g.members.length === 0 ? (
        <Text size="sm" c="dimmed">
          None
        </Text>
      ) : (
        <Group gap={6}>
          <Text size="sm">{g.members.length}:</Text>
          {g.members.map((member) => (
            <Anchor key={member.id} component={Link} href={`/project/instances/${member.id}`} size="sm">
              {member.name}
            </Anchor>
          ))}
        </Group>
      ),
  },
];

interface ServerGroupsTableProps {
  groups: ServerGroup[];
  /** Shown only to those who may delete (members and admins). */
  onDelete?(group: ServerGroup): void;
}

/** The project's server groups: policy, the per-host limit and the instances in each. */
export function ServerGroupsTable({ groups, onDelete }: ServerGroupsTableProps) {
  return (
    <DataTable
      minWidth={700}
      columns={COLUMNS}
      rows={groups}
      rowKey={(g) => g.id}
      rowActions={
        onDelete &&
        ((group) => (
          <RowActionIcon tooltip="Delete" aria-label={`Delete server group ${group.name}`} icon={<TrashIcon />} onClick={() => onDelete(group)} />
        ))
      }
    />
  );
}
