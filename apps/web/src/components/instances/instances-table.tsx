"use client";

import { Anchor, Group, Progress, Stack, Text } from "@mantine/core";
import { TASK_STATE_LABELS, type TaskState } from "@nimbus/core/instance-state";
import Link from "next/link";
import { DataTable, type DataTableColumn, type DataTablePagination, type DataTableSort } from "@/components/common/data-table/data-table";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import type { InstanceSummary } from "@/lib/api-types";
import { formatDateTime, formatPowerState } from "@/lib/format";
import { InstanceActionsMenu } from "./instance-actions";
import { InstanceStatusBadge } from "./instance-status-badge";

const COLUMNS: DataTableColumn<InstanceSummary>[] = [
  {
    key: "name",
    header: "Name",
    sortable: true,
    cell: (i) => (
      <Anchor component={Link} href={`/project/instances/${i.id}`} fw={600}>
        {i.name}
      </Anchor>
    ),
  },
  { key: "image", header: "Image", cell: (i) => i.imageName ?? "—" },
  { key: "flavor", header: "Flavor", cell: (i) => i.flavorName },
  {
    key: "address",
    header: "IP / MAC",
    cell: (i) => (
      <Stack gap={0}>
        <Text size="sm">{i.fixedIp ?? "—"}</Text>
        <Text size="xs" c="dimmed" ff="monospace">
          {i.macAddress ?? ""}
        </Text>
      </Stack>
    ),
  },
  { key: "host", header: "Host", cell: (i) => i.hostname ?? "—" },
  {
    key: "status",
    header: "Status",
    sortable: true,
    cell: (i) => (
      <Stack gap={4}>
        <InstanceStatusBadge status={i.status} />
        {i.status === "BUILD" && <Progress value={i.progress} size="xs" animated aria-label={`Build progress of ${i.name}`} w={80} />}
        {i.status === "MIGRATING" && <Progress value={i.progress} size="xs" animated aria-label={`Live migration progress of ${i.name}`} w={80} />}
      </Stack>
    ),
  },
  { key: "power", header: "Power state", cell: (i) => formatPowerState(i.powerState) },
  { key: "task", header: "Task", cell: (i) => (i.taskState ? TASK_STATE_LABELS[i.taskState as TaskState] : "—") },
  { key: "created", header: "Created", sortable: true, cell: (i) => formatDateTime(i.createdAt) },
];

interface InstancesTableProps {
  instances: InstanceSummary[];
  /** The server's sort (name, status or created; null: newest first) and the one a header click asks for. */
  sort: DataTableSort;
  onSortChange(sort: DataTableSort): void;
  /** Previous and Next, for the pages the server gives. */
  pagination: DataTablePagination;
  /** What an empty page says: none at all, or none that match the filters. */
  emptyMessage: string;
  /** Shown only to those who may act (members and admins), with the actions menu. */
  onDelete?(instance: InstanceSummary): void;
}

/** One page of the instance list, sorted and paged by the server. */
export function InstancesTable({ instances, sort, onSortChange, pagination, emptyMessage, onDelete }: InstancesTableProps) {
  return (
    <DataTable
      minWidth={900}
      sort={sort}
      onSortChange={onSortChange}
      pagination={pagination}
      empty={{ message: emptyMessage }}
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
