"use client";

import { Badge, Code, Table, Text, Tooltip } from "@mantine/core";
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

/** Who did what to what, from where, and whether it worked: newest first. */
export function AuditTable({ events }: { events: AuditEvent[] }) {
  return (
    <Table.ScrollContainer minWidth={1000}>
      <Table verticalSpacing="xs" highlightOnHover aria-label="Audit events">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Time</Table.Th>
            <Table.Th>Who</Table.Th>
            <Table.Th>Project</Table.Th>
            <Table.Th>Action</Table.Th>
            <Table.Th>Target</Table.Th>
            <Table.Th>From</Table.Th>
            <Table.Th>Outcome</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {events.map((event) => {
            const details = detailsLine(event.details);
            return (
              <Table.Tr key={event.id}>
                <Table.Td style={{ whiteSpace: "nowrap" }}>{formatDateTime(event.at)}</Table.Td>
                <Table.Td>{event.actorName ?? <Text span size="sm" c="dimmed">anonymous</Text>}</Table.Td>
                <Table.Td>{event.projectName ?? <Text span size="sm" c="dimmed">—</Text>}</Table.Td>
                <Table.Td>
                  <Text size="sm">{auditActionLabel(event.action)}</Text>
                  <Code fz="xs">{event.action}</Code>
                  {details && (
                    <Text size="xs" c="dimmed" maw={360} style={{ wordBreak: "break-word" }}>
                      {details}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {event.targetType ? (
                    <Tooltip label={event.targetId ?? ""} disabled={!event.targetId}>
                      <Text size="sm">
                        {event.targetType}
                        {event.targetId && (
                          <Text span ff="monospace" size="xs" c="dimmed">
                            {" "}
                            {shortId(event.targetId)}
                          </Text>
                        )}
                      </Text>
                    </Tooltip>
                  ) : (
                    <Text span size="sm" c="dimmed">
                      —
                    </Text>
                  )}
                </Table.Td>
                <Table.Td ff="monospace" fz="xs">
                  {event.remoteAddress ?? "—"}
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={event.outcome === "success" ? "green" : "red"}>
                    {event.outcome}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
