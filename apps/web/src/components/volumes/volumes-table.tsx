import { Anchor, Badge, Text } from "@mantine/core";
import Link from "next/link";
import { DataTable, serverSorted, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { ServerPaging } from "@/components/common/data-table/paged";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import type { Volume } from "./types";
import { VolumeStatusBadge } from "./volume-status-badge";

const none = (
  <Text size="sm" c="dimmed">
    —
  </Text>
);

const COLUMNS: DataTableColumn<Volume>[] = [
  { key: "name", header: "Name", cell: (v) => v.name, sortValue: (v) => v.name, cellProps: { fw: 600 } },
  { key: "size", header: "Size", cell: (v) => `${v.sizeGb} GB`, sortValue: (v) => v.sizeGb },
  {
    key: "status",
    header: "Status",
    sortValue: (v) => v.status,
    cell: (v) => (
      <>
        <VolumeStatusBadge status={v.status} />
        {v.statusReason ? (
          <Text size="xs" c="red" mt={4} maw={320}>
            {v.statusReason}
          </Text>
        ) : null}
      </>
    ),
  },
  {
    key: "bootable",
    header: "Bootable",
    cell: (v) =>
      v.bootable ? (
        <Badge variant="light" color="teal">
          Bootable
        </Badge>
      ) : (
        <Text size="sm">No</Text>
      ),
  },
  { key: "image", header: "Source image", cell: (v) => v.image?.name ?? none, sortValue: (v) => v.image?.name },
  {
    key: "attachment",
    header: "Attached to",
    sortValue: (v) => v.attachment?.instanceName,
    cell: ({ attachment }) =>
      attachment ? (
        <Text size="sm">
          <Anchor component={Link} href={`/project/instances/${attachment.instanceId}`} size="sm">
            {attachment.instanceName}
          </Anchor>{" "}
          on <span style={{ fontFamily: "var(--mantine-font-family-monospace)" }}>/dev/{attachment.device}</span>
          {attachment.bootIndex === 0 && " (root disk)"}
        </Text>
      ) : (
        none
      ),
  },
  { key: "host", header: "Host", cell: (v) => v.host?.hostname ?? none, sortValue: (v) => v.host?.hostname },
];

/** The columns the server sorts the volumes page by. */
const SERVER_COLUMNS = serverSorted(COLUMNS, ["name"]);

interface VolumesTableProps {
  volumes: Volume[];
  /** The server's sort and pages; without them the table sorts its rows itself. */
  paged?: ServerPaging;
  /** Shown only to those who may delete. */
  onDelete?(volume: Volume): void;
}

/** The project's volumes: size, status, what they were made from, where they are attached and live. */
export function VolumesTable({ volumes, paged, onDelete }: VolumesTableProps) {
  return (
    <DataTable
      minWidth={900}
      columns={paged ? SERVER_COLUMNS : COLUMNS}
      rows={volumes}
      sort={paged?.sort}
      onSortChange={paged?.onSortChange}
      pagination={paged?.pagination}
      empty={{ message: paged?.emptyMessage ?? "No volumes yet." }}
      rowKey={(v) => v.id}
      rowActions={
        onDelete &&
        ((volume) => (
          <RowActionIcon tooltip="Delete" aria-label={`Delete volume ${volume.name}`} icon={<TrashIcon />} onClick={() => onDelete(volume)} />
        ))
      }
    />
  );
}
