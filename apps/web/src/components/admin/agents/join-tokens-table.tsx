"use client";

import { Badge, Text } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { JoinToken } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";

/** Whether a join token was spent, ran out, or can still enrol a host. */
function stateOf(token: JoinToken, now: number) {
  if (token.usedAt) return { label: "Used", color: "blue" };
  if (new Date(token.expiresAt).getTime() <= now) return { label: "Expired", color: "gray" };
  return { label: "Unused", color: "green" };
}

/** The latest join tokens (their secrets are never shown again): for which host, until when, spent by whom. */
export function JoinTokensTable({ tokens }: { tokens: JoinToken[] }) {
  const now = Date.now();
  const columns: DataTableColumn<JoinToken>[] = [
    {
      key: "host",
      header: "Host",
      cell: (t) =>
        t.hostname ?? (
          <Text span size="sm" c="dimmed">
            any host
          </Text>
        ),
      sortValue: (t) => t.hostname,
    },
    { key: "created", header: "Created", cell: (t) => formatDateTime(t.createdAt), sortValue: (t) => t.createdAt },
    { key: "expires", header: "Expires", cell: (t) => formatDateTime(t.expiresAt), sortValue: (t) => t.expiresAt },
    {
      key: "usedBy",
      header: "Used by",
      cell: (t) => {
        if (!t.usedByHostname) {
          const state = stateOf(t, now);
          return (
            <Badge variant="light" color={state.color}>
              {state.label}
            </Badge>
          );
        }
        return (
          <>
            <Text size="sm" fw={600}>
              {t.usedByHostname}
            </Text>
            <Text size="xs" c="dimmed">
              {formatDateTime(t.usedAt)}
            </Text>
          </>
        );
      },
    },
  ];
  return <DataTable minWidth={700} aria-label="Join tokens" columns={columns} rows={tokens} rowKey={(t) => t.id} />;
}
