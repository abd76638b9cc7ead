import { Badge, Code } from "@mantine/core";
import { DataTable, serverSorted, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { ServerPaging } from "@/components/common/data-table/paged";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import { formatDateTime } from "@/lib/format";
import { algorithmLabel } from "./key-pair-display";
import type { KeyPair } from "./types";

const COLUMNS: DataTableColumn<KeyPair>[] = [
  { key: "name", header: "Name", cell: (k) => k.name, sortValue: (k) => k.name, cellProps: { fw: 600 } },
  { key: "fingerprint", header: "Fingerprint", cell: (k) => <Code>{k.fingerprint}</Code> },
  {
    key: "type",
    header: "Type",
    sortValue: (k) => algorithmLabel(k.algorithm),
    cell: (k) => (
      <Badge variant="light" color="gray">
        {algorithmLabel(k.algorithm)}
      </Badge>
    ),
  },
  { key: "created", header: "Created", cell: (k) => formatDateTime(k.createdAt), sortValue: (k) => k.createdAt },
];

/** The columns the server sorts the key pairs page by (Created by its created_at). */
const SERVER_COLUMNS = serverSorted(COLUMNS, ["name", "created"]);

interface KeyPairsTableProps {
  keyPairs: KeyPair[];
  /** The server's sort and pages; without them the table sorts its rows itself. */
  paged?: ServerPaging;
  /** Shown only to those who may delete. */
  onDelete?(keyPair: KeyPair): void;
}

/** The caller's key pairs: name, OpenSSH fingerprint, key type and when it was added. */
export function KeyPairsTable({ keyPairs, paged, onDelete }: KeyPairsTableProps) {
  return (
    <DataTable
      minWidth={760}
      columns={paged ? SERVER_COLUMNS : COLUMNS}
      rows={keyPairs}
      sort={paged?.sort}
      onSortChange={paged?.onSortChange}
      pagination={paged?.pagination}
      empty={{ message: paged?.emptyMessage ?? "No key pairs yet." }}
      rowKey={(k) => k.id}
      rowActions={
        onDelete &&
        ((keyPair) => (
          <RowActionIcon tooltip="Delete" aria-label={`Delete key pair ${keyPair.name}`} icon={<TrashIcon />} onClick={() => onDelete(keyPair)} />
        ))
      }
    />
  );
}
