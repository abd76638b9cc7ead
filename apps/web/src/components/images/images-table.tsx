import { Badge, Code, Group, Table, Text, Tooltip } from "@mantine/core";
import { ShareIcon, TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import { formatBytes } from "@/lib/format";
import { IMAGE_KIND_LABEL, IMAGE_STATUS, shortChecksum, shownFormat, type ImageSummary } from "./image-display";

const VISIBILITY_LABEL: Record<ImageSummary["visibility"], string> = { private: "Private", shared: "Shared", public: "Public" };

interface ImagesTableProps {
  images: ImageSummary[];
  /** Shown for the project's own images to those who may change them. */
  onDelete?(image: ImageSummary): void;
  onShare?(image: ImageSummary): void;
}

/** Images the project sees: its own in every state, others' once active. */
export function ImagesTable({ images, onDelete, onShare }: ImagesTableProps) {
  const actions = onDelete !== undefined || onShare !== undefined;
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Format</Table.Th>
            <Table.Th>Size</Table.Th>
            <Table.Th>Visibility</Table.Th>
            <Table.Th>Checksum (sha256)</Table.Th>
            <Table.Th>Owner</Table.Th>
            {actions && <Table.Th>Actions</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {images.map((image) => {
            const status = IMAGE_STATUS[image.status];
            return (
              <Table.Tr key={image.id}>
                <Table.Td>
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
                </Table.Td>
                <Table.Td>
                  <Tooltip label={status.description}>
                    <Badge variant="light" color={status.color}>
                      {status.label}
                    </Badge>
                  </Tooltip>
                </Table.Td>
                <Table.Td>{shownFormat(image)}</Table.Td>
                <Table.Td>
                  {formatBytes(image.sizeBytes)}
                  {image.kind === "disk" && image.virtualSizeBytes !== null && image.virtualSizeBytes !== image.sizeBytes && (
                    <Text size="xs" c="dimmed">
                      virtual {formatBytes(image.virtualSizeBytes)}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {VISIBILITY_LABEL[image.visibility]}
                  {image.members.length > 0 && (
                    <Text size="xs" c="dimmed">
                      with {image.members.map((m) => m.projectName).join(", ")}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{image.checksumSha256 ? <Code title={image.checksumSha256}>{shortChecksum(image.checksumSha256)}</Code> : "—"}</Table.Td>
                <Table.Td>{image.ownerProjectName ?? "—"}</Table.Td>
                {actions && (
                  <Table.Td>
                    {image.owned && (
                      <Group gap={4} wrap="nowrap">
                        {onShare && image.visibility !== "public" && (
                          <RowActionIcon tooltip="Share" color="blue" aria-label={`Share image ${image.name}`} icon={<ShareIcon />} onClick={() => onShare(image)} />
                        )}
                        {onDelete && <RowActionIcon tooltip="Delete" aria-label={`Delete image ${image.name}`} icon={<TrashIcon />} onClick={() => onDelete(image)} />}
                      </Group>
                    )}
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
