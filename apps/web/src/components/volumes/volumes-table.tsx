import { Anchor, Badge, Table, Text } from "@mantine/core";
import Link from "next/link";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import type { Volume } from "./types";
import { VolumeStatusBadge } from "./volume-status-badge";

const none = (
  <Text size="sm" c="dimmed">
    —
  </Text>
);

interface VolumesTableProps {
  volumes: Volume[];
  /** Shown only to those who may delete. */
  onDelete?(volume: Volume): void;
}

/** The project's volumes: size, status, what they were made from, where they are attached and live. */
export function VolumesTable({ volumes, onDelete }: VolumesTableProps) {
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Size</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Bootable</Table.Th>
            <Table.Th>Source image</Table.Th>
            <Table.Th>Attached to</Table.Th>
            <Table.Th>Host</Table.Th>
            {onDelete && <Table.Th>Actions</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {volumes.map((volume) => (
            <Table.Tr key={volume.id}>
              <Table.Td fw={600}>{volume.name}</Table.Td>
              <Table.Td>{volume.sizeGb} GB</Table.Td>
              <Table.Td>
                <VolumeStatusBadge status={volume.status} />
                {volume.statusReason ? (
                  <Text size="xs" c="red" mt={4} maw={320}>
                    {volume.statusReason}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td>
                {volume.bootable ? (
                  <Badge variant="light" color="teal">
                    Bootable
                  </Badge>
                ) : (
                  <Text size="sm">No</Text>
                )}
              </Table.Td>
              <Table.Td>{volume.image?.name ?? none}</Table.Td>
              <Table.Td>
                {volume.attachment ? (
                  <Text size="sm">
                    <Anchor component={Link} href={`/project/instances/${volume.attachment.instanceId}`} size="sm">
                      {volume.attachment.instanceName}
                    </Anchor>{" "}
                    on <span style={{ fontFamily: "var(--mantine-font-family-monospace)" }}>/dev/{volume.attachment.device}</span>
                    {volume.attachment.bootIndex === 0 && " (root disk)"}
                  </Text>
                ) : (
                  none
                )}
              </Table.Td>
              <Table.Td>{volume.host?.hostname ?? none}</Table.Td>
              {onDelete && (
                <Table.Td>
                  <RowActionIcon tooltip="Delete" aria-label={`Delete volume ${volume.name}`} icon={<TrashIcon />} onClick={() => onDelete(volume)} />
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
