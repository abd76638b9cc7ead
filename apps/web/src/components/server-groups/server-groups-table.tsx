import { Anchor, Badge, Group, Table, Text, Tooltip } from "@mantine/core";
import Link from "next/link";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import type { ServerGroup } from "@/lib/api-types";
import { policySpec } from "@/lib/server-group-policy";

interface ServerGroupsTableProps {
  groups: ServerGroup[];
  /** Shown only to those who may delete (members and admins). */
  onDelete?(group: ServerGroup): void;
}

/** The project's server groups: policy, the per-host limit and the instances in each. */
export function ServerGroupsTable({ groups, onDelete }: ServerGroupsTableProps) {
  return (
    <Table.ScrollContainer minWidth={700}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Policy</Table.Th>
            <Table.Th>Max per host</Table.Th>
            <Table.Th>Members</Table.Th>
            {onDelete && <Table.Th>Actions</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {groups.map((group) => {
            const policy = policySpec(group.policy);
            return (
              <Table.Tr key={group.id}>
                <Table.Td fw={600}>{group.name}</Table.Td>
                <Table.Td>
                  <Tooltip label={policy.description} multiline w={260} disabled={!policy.description}>
                    <Badge variant="light" color={policy.color}>
                      {policy.label}
                    </Badge>
                  </Tooltip>
                </Table.Td>
                <Table.Td>{group.policy === "anti-affinity" ? (group.maxServerPerHost ?? 1) : "—"}</Table.Td>
                <Table.Td>
                  {group.members.length === 0 ? (
                    <Text size="sm" c="dimmed">
                      None
                    </Text>
                  ) : (
                    <Group gap={6}>
                      <Text size="sm">{group.members.length}:</Text>
                      {group.members.map((member) => (
                        <Anchor key={member.id} component={Link} href={`/project/instances/${member.id}`} size="sm">
                          {member.name}
                        </Anchor>
                      ))}
                    </Group>
                  )}
                </Table.Td>
                {onDelete && (
                  <Table.Td>
                    <RowActionIcon tooltip="Delete" aria-label={`Delete server group ${group.name}`} icon={<TrashIcon />} onClick={() => onDelete(group)} />
                  </Table.Td>
                )}
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
