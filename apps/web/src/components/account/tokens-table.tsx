"use client";

import { Badge, Text } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import type { ApiToken } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";

const STATE = {
  active: { label: "Active", color: "green" },
  expired: { label: "Expired", color: "gray" },
  revoked: { label: "Revoked", color: "red" },
} as const;

const COLUMNS: DataTableColumn<ApiToken>[] = [
  { key: "name", header: "Name", cell: (t) => t.name, sortValue: (t) => t.name, cellProps: { fw: 600 } },
  { key: "project", header: "Project", cell: (t) => t.projectName, sortValue: (t) => t.projectName },
  { key: "created", header: "Created", cell: (t) => formatDateTime(t.createdAt), sortValue: (t) => t.createdAt },
  { key: "expires", header: "Expires", cell: (t) => formatDateTime(t.expiresAt), sortValue: (t) => t.expiresAt },
  {
    key: "lastUsed",
    header: "Last used",
    sortValue: (t) => t.lastUsedAt,
    cell: (t) =>
      t.lastUsedAt ? (
        formatDateTime(t.lastUsedAt)
      ) : (
        <Text span size="sm" c="dimmed">
          never
        </Text>
      ),
  },
  {
    key: "state",
    header: "State",
    sortValue: (t) => STATE[t.state].label,
    cell: (t) => (
      <>
        <Badge variant="light" color={STATE[t.state].color}>
          {STATE[t.state].label}
        </Badge>
        {t.revokedAt && (
          <Text size="xs" c="dimmed">
            {formatDateTime(t.revokedAt)}
          </Text>
        )}
      </>
    ),
  },
];

/** The user's API tokens, newest first; only active ones can be revoked. */
export function TokensTable({ tokens, onRevoke }: { tokens: ApiToken[]; onRevoke(token: ApiToken): void }) {
  return (
    <DataTable
      minWidth={800}
      aria-label="API tokens"
      columns={COLUMNS}
      rows={tokens}
      rowKey={(t) => t.id}
      rowActions={(token) =>
        token.state === "active" && (
          <RowActionIcon tooltip="Revoke" aria-label={`Revoke token ${token.name}`} icon={<TrashIcon />} onClick={() => onRevoke(token)} />
        )
      }
    />
  );
}
