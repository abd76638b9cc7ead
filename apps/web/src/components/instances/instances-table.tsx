"use client";

import { Anchor, Group, Progress, Stack, Text } from "@mantine/core";
import { TASK_STATE_LABELS, type TaskState } from "@nimbus/core/instance-state";
import Link from "next/link";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import type { InstanceSummary } from "@/lib/api-types";
import { formatPowerState } from "@/lib/format";
import { InstanceActionsMenu } from "./instance-actions";
import { InstanceStatusBadge } from "./instance-status-badge";

const COLUMNS: DataTableColumn<InstanceSummary>[] = [
  {
    key: "name",
    header: "Name",
    sortValue: (i) => i.name,
    cell: (i) => (
      <Anchor component={Link} href={`/project/instances/${i.id}`} fw={600}>
        {i.name}
      </Anchor>
    ),
  },
  { key: "image", header: "Image", cell: (i) => i.imageName ?? "—", sortValue: (i) => i.imageName },
  { key: "flavor", header: "Flavor", cell: (i) => i.flavorName, sortValue: (i) => i.flavorName },
  {
    key: "address",
    header: "IP / MAC",
    sortValue: (i) => i.fixedIp,
    cell: (i) => (
      <Stack gap={0}>
        <Text size="sm">{i.fixedIp ?? "—"}</Text>
        <Text size="xs" c="dimmed" ff="monospace">
          {i.macAddress ?? ""}
        </Text>
      </Stack>
    ),
  },
  { key: "host", header: "Host", cell: (i) => i.hostname ?? "—", sortValue: (i) => i.hostname },
  {
    key: "status",
    header: "Status",
    sortValue: (i) => i.status,
    cell: (i) => (
      <Stack gap={4}>
        <InstanceStatusBadge status={i.status} />
        {i.status === "BUILD" && <Progress value={i.progress} size="xs" animated aria-label={`Build progress of ${i.name}`} w={80} />}
      </Stack>
    ),
  },
  { key: "power", header: "Power state", cell: (i) => formatPowerState(i.powerState) },
  { key: "task", header: "Task", cell: (i) => (i.taskState ? TASK_STATE_LABELS[i.taskState as TaskState] : "—") },
];

interface InstancesTableProps {
  instances: InstanceSummary[];
  /** Shown only to those who may act (members and admins), with the actions menu. */
  onDelete?(instance: InstanceSummary): void;
}

export function InstancesTable({ instances, onDelete }: InstancesTableProps) {
  return (
    <DataTable
      minWidth={900}
      columns={COLUMNS}
      rows={instances}
      rowKey={(i) => i.id}
      rowActions={
        onDelete &&
        ((instance) => (
          <Group gap={4} wrap="nowrap">
            <InstanceActionsMenu instance={instance} />
            <RowActionIcon tooltip="Delete" aria-label={`Delete ${instance.name}`} icon={<TrashIcon />} onClick={() => onDelete(instance)} />
          </Group>
        ))
      }
    />
  );
}
