"use client";

import { Badge, Checkbox, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { QueryStatus } from "@/components/common/query-status";
import type { RouterOutputs } from "@/lib/api-types";
import { useTRPC } from "@/lib/trpc";

type SecurityGroup = RouterOutputs["securityGroups"]["list"][number];

interface SecurityGroupsStepProps {
  /** The chosen groups' ids (the launch input's `securityGroupIds`). */
  value: string[];
  onChange(ids: string[]): void;
  /** The server's message for `securityGroupIds`, if any. */
  error?: string | undefined;
}

/** "2 in, 1 out" */
function ruleSummary(group: SecurityGroup): string {
  const ingress = group.rules.filter((r) => r.direction === "ingress").length;
  return `${ingress} in, ${group.rules.length - ingress} out`;
}

/**
 * The security groups of the instance's port: one checkbox per group of the project (labelled
 * with the group's name) with its rule counts. The project's `default` group is listed first.
 */
export function SecurityGroupsStep({ value, onChange, error }: SecurityGroupsStepProps) {
  const trpc = useTRPC();
  const groups = useQuery(trpc.securityGroups.list.queryOptions());
  return (
    <>
      <QueryStatus query={groups} loadingLabel="Loading security groups" errorTitle="Could not load the security groups" />
      {groups.isSuccess && (
        <Checkbox.Group label="Security groups" description="The firewall rules of the instance's port. With none chosen, the project's default group applies." value={value} onChange={onChange} error={error}>
          <Table highlightOnHover mt="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={40} />
                <Table.Th>Name</Table.Th>
                <Table.Th>Description</Table.Th>
                <Table.Th>Rules</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {groups.data.map((group) => (
                <Table.Tr key={group.id}>
                  <Table.Td>
                    <Checkbox value={group.id} aria-label={group.name} />
                  </Table.Td>
                  <Table.Td fw={500}>
                    {group.name}
                    {group.isDefault && (
                      <Badge ml="xs" variant="light" color="blue" size="sm">
                        Default
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c="dimmed">
                      {group.description || "—"}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {group.rules.length} {group.rules.length === 1 ? "rule" : "rules"} ({ruleSummary(group)})
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Checkbox.Group>
      )}
    </>
  );
}
