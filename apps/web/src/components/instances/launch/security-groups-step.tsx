"use client";

import { Badge, Checkbox, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
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

const COLUMNS: DataTableColumn<SecurityGroup>[] = [
  { key: "select", header: "", width: 40, cell: (group) => <Checkbox value={group.id} aria-label={group.name} /> },
  {
    key: "name",
    header: "Name",
    sortValue: (group) => group.name,
    cellProps: { fw: 500 },
    cell: (group) => (
      <>
        {group.name}
        {group.isDefault && (
          <Badge ml="xs" variant="light" color="blue" size="sm">
            Default
          </Badge>
        )}
      </>
    ),
  },
  {
    key: "description",
    header: "Description",
    cell: (group) => (
      <Text size="sm" c="dimmed">
        {group.description || "—"}
      </Text>
    ),
  },
  {
    key: "rules",
    header: "Rules",
    sortValue: (group) => group.rules.length,
    cell: (group) => `${group.rules.length} ${group.rules.length === 1 ? "rule" : "rules"} (${ruleSummary(group)})`,
  },
];

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
        <Checkbox.Group
          label="Security groups"
          description="The firewall rules of the instance's port. With none chosen, the project's default group applies."
          value={value}
          onChange={onChange}
          error={error}
        >
          <DataTable
            mt="xs"
            verticalSpacing="xs"
            columns={COLUMNS}
            rows={groups.data}
            rowKey={(group) => group.id}
            isRowSelected={(group) => value.includes(group.id)}
            empty={{ message: "This project has no security groups." }}
          />
        </Checkbox.Group>
      )}
    </>
  );
}
