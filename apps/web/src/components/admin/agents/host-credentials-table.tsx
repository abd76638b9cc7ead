"use client";

import { Badge, Button, Text } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { HostCredential } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";

const COLUMNS: DataTableColumn<HostCredential>[] = [
  { key: "host", header: "Host", cell: (c) => c.hostname, sortValue: (c) => c.hostname, cellProps: { fw: 600 } },
  { key: "enrolled", header: "Enrolled", cell: (c) => formatDateTime(c.createdAt), sortValue: (c) => c.createdAt },
  {
    key: "state",
    header: "State",
    cell: (c) => (
      <>
        <Badge variant="light" color={c.revokedAt ? "red" : "green"}>
          {c.revokedAt ? "Revoked" : "Active"}
        </Badge>
        {c.revokedAt && (
          <Text size="xs" c="dimmed">
            {formatDateTime(c.revokedAt)}
          </Text>
        )}
      </>
    ),
  },
];

/** The hosts that enrolled with a join token, and whether their credential still works. */
export function HostCredentialsTable({ credentials, onRevoke }: { credentials: HostCredential[]; onRevoke(credential: HostCredential): void }) {
  return (
    <DataTable
      minWidth={600}
      aria-label="Host credentials"
      columns={COLUMNS}
      rows={credentials}
      rowKey={(c) => c.hostname}
      rowActions={(credential) =>
        !credential.revokedAt && (
          <Button variant="light" color="red" size="xs" onClick={() => onRevoke(credential)}>
            Revoke {credential.hostname}
          </Button>
        )
      }
    />
  );
}
