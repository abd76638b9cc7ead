import { Badge, Code, Group, Text, Tooltip } from "@mantine/core";
import {
  DataTable,
  serverSorted,
  type DataTableColumn,
  type DataTablePagination,
  type DataTableSort,
} from "@/components/common/data-table/data-table";
import { ShareIcon, TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import { formatBytes } from "@/lib/format";
import { IMAGE_KIND_LABEL, IMAGE_STATUS, memberLabel, shortChecksum, shownFormat, type ImageSummary } from "./image-display";

const VISIBILITY_LABEL: Record<ImageSummary["visibility"], string> = { private: "Private", shared: "Shared", public: "Public" };

const COLUMNS: DataTableColumn<ImageSummary>[] = [
  {
    key: "name",
    header: "Name",
    sortValue: (image) => image.name,
    cell: (image) => (
      <>
        <Text fw={600} size="sm">
          {image.name}
        </Text>
        <Group gap={4}>
          {image.kind !== "disk" && (
            <Badge size="xs" variant="outline">
              {IMAGE_KIND_LABEL[image.kind]}
            </Badge>
          )}
          {image.protected && (
            <Badge size="xs" variant="outline" color="orange">
              Protected
            </Badge>
          )}
        </Group>
      </>
    ),
  },
  {
    key: "status",
    header: "Status",
    sortValue: (image) => IMAGE_STATUS[image.status].label,
    cell: (image) => {
      const status = IMAGE_STATUS[image.status];
      return (
        <Tooltip label={status.description}>
          <Badge variant="light" color={status.color}>
            {status.label}
          </Badge>
        </Tooltip>
      );
    },
  },
  { key: "format", header: "Format", cell: shownFormat },
  {
    key: "size",
    header: "Size",
    sortValue: (image) => image.sizeBytes,
    cell: (image) => (
      <>
        {formatBytes(image.sizeBytes)}
        {image.kind === "disk" && image.virtualSizeBytes !== null && image.virtualSizeBytes !== image.sizeBytes && (
          <Text size="xs" c="dimmed">
            virtual {formatBytes(image.virtualSizeBytes)}
          </Text>
        )}
      </>
    ),
  },
  {
    key: "visibility",
    header: "Visibility",
    cell: (image) => (
      <>
        {VISIBILITY_LABEL[image.visibility]}
        {image.members.length > 0 && (
          <Text size="xs" c="dimmed">
            with {image.members.map((m) => (m.status === "accepted" ? memberLabel(m) : `${memberLabel(m)} (${m.status})`)).join(", ")}
          </Text>
        )}
      </>
    ),
  },
  {
    key: "checksum",
    header: "Checksum (sha256)",
    cell: (image) => (image.checksumSha256 ? <Code title={image.checksumSha256}>{shortChecksum(image.checksumSha256)}</Code> : "—"),
  },
  { key: "owner", header: "Owner", cell: (image) => image.ownerProjectName ?? "—", sortValue: (image) => image.ownerProjectName },
];

/** The columns the server sorts the images page by. */
const SERVER_COLUMNS = serverSorted(COLUMNS, ["name"]);

interface ImagesTableProps {
  images: ImageSummary[];
  /** The server's sort and pages; without them the table sorts its rows itself. */
  sort?: DataTableSort;
  onSortChange?(sort: DataTableSort): void;
  pagination?: DataTablePagination;
  emptyMessage?: string;
  /** Shown for the project's own images to those who may change them. */
  onDelete?(image: ImageSummary): void;
  onShare?(image: ImageSummary): void;
}

/** Images the project sees: its own in every state, others' once active. */
export function ImagesTable({ images, sort, onSortChange, pagination, emptyMessage, onDelete, onShare }: ImagesTableProps) {
  const actions = onDelete !== undefined || onShare !== undefined;
  return (
    <DataTable
      minWidth={900}
      columns={pagination ? SERVER_COLUMNS : COLUMNS}
      rows={images}
      sort={sort}
      onSortChange={onSortChange}
      pagination={pagination}
      empty={{ message: emptyMessage ?? "No images yet." }}
      rowKey={(image) => image.id}
      rowActions={
        actions
          ? (image) =>
              image.owned && (
                <Group gap={4} wrap="nowrap">
                  {onShare && image.visibility !== "public" && (
                    <RowActionIcon
                      tooltip="Share"
                      color="blue"
                      aria-label={`Share image ${image.name}`}
                      icon={<ShareIcon />}
                      onClick={() => onShare(image)}
                    />
                  )}
                  {onDelete && (
                    <RowActionIcon tooltip="Delete" aria-label={`Delete image ${image.name}`} icon={<TrashIcon />} onClick={() => onDelete(image)} />
                  )}
                </Group>
              )
          : undefined
      }
    />
  );
}
