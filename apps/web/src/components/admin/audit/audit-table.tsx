"use client";

import { Badge, Code, Text, Tooltip } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { AuditEvent } from "@/lib/api-types";
import { auditActionLabel } from "@/lib/audit-actions";
import { formatDateTime } from "@/lib/format";

/** The details of an event in one short line: "name=alice role=member". */
function detailsLine(details: unknown): string | null {
  if (typeof details !== "object" || details === null) return null;
  const parts = Object.entries(details).map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  if (parts.length === 0) return null;
  const line = parts.join(" ");
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}

/** A uuid is long: its first block is enough to tell targets apart on screen (the full id is in the tooltip). */
function shortId(id: string): string {
  return /^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(id) ? id.slice(0, 8) : id;
}

const dash = (
  <Text span size="sm" c="dimmed">
    —
  </Text>
);

// No column sorts: the trail is paged from the server newest first, so sorting the loaded part would mislead.
const COLUMNS: DataTableColumn<AuditEvent>[] = [
  { key: "time", header: "Time", cell: (e) => formatDateTime(e.at), cellProps: { style: { whiteSpace: "nowrap" } } },
  {
    key: "who",
    header: "Who",
    cell: (e) =>
      e.actorName ?? (
        <Text span size="sm" c="dimmed">
          anonymous
        </Text>
      ),
  },
  { key: "project", header: "Project", cell: (e) => e.projectName ?? dash },
  {
    key: "action",
    header: "Action",
    cell: (e) => {
      const details = detailsLine(e.details);
      return (
        <>
          <Text size="sm">{auditActionLabel(e.action)}</Text>
          <Code fz="xs">{e.action}</Code>
          {details && (
            <Text size="xs" c="dimmed" maw={360} style={{ wordBreak: "break-word" }}>
              {details}
            </Text>
          )}
        </>
      );
    },
  },
  {
    key: "target",
    header: "Target",
    cell: (e) =>
      e.targetType ? (
        <Tooltip label={e.targetId ?? ""} disabled={!e.targetId}>
          <Text size="sm">
            {e.targetType}
            {e.targetId && (
              <Text span ff="monospace" size="xs" c="dimmed">
                {" "}
                {shortId(e.targetId)}
              </Text>
            )}
          </Text>
        </Tooltip>
      ) : (
        dash
      ),
  },
  { key: "from", header: "From", cell: (e) => e.remoteAddress ?? "—", cellProps: { ff: "monospace", fz: "xs" } },
  {
    key: "outcome",
    header: "Outcome",
    cell: (e) => (
      <Badge variant="light" color={e.outcome === "success" ? "green" : "red"}>
        {e.outcome}
      </Badge>
    ),
  },
];

/** Who did what to what, from where, and whether it worked: newest first. */
export function AuditTable({ events }: { events: AuditEvent[] }) {
  return <DataTable minWidth={1000} verticalSpacing="xs" aria-label="Audit events" columns={COLUMNS} rows={events} rowKey={(e) => e.id} />;
}
