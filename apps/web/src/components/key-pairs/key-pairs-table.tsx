import { Badge, Code, Table } from "@mantine/core";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import { formatDateTime } from "@/lib/format";
import { algorithmLabel } from "./key-pair-display";
import type { KeyPair } from "./types";

interface KeyPairsTableProps {
  keyPairs: KeyPair[];
  /** Shown only to those who may delete. */
  onDelete?(keyPair: KeyPair): void;
}

/** The caller's key pairs: name, OpenSSH fingerprint, key type and when it was added. */
export function KeyPairsTable({ keyPairs, onDelete }: KeyPairsTableProps) {
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Fingerprint</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Created</Table.Th>
            {onDelete && <Table.Th>Actions</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {keyPairs.map((keyPair) => (
            <Table.Tr key={keyPair.id}>
              <Table.Td fw={600}>{keyPair.name}</Table.Td>
              <Table.Td>
                <Code>{keyPair.fingerprint}</Code>
              </Table.Td>
              <Table.Td>
                <Badge variant="light" color="gray">
                  {algorithmLabel(keyPair.algorithm)}
                </Badge>
              </Table.Td>
              <Table.Td>{formatDateTime(keyPair.createdAt)}</Table.Td>
              {onDelete && (
                <Table.Td>
                  <RowActionIcon tooltip="Delete" aria-label={`Delete key pair ${keyPair.name}`} icon={<TrashIcon />} onClick={() => onDelete(keyPair)} />
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
