"use client";

import { Badge, Paper, Stack, Text, Title, Tooltip } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { InstanceAction, InstanceActionEvent } from "@/lib/api-types";
import { formatDateTime, formatTime, humanize } from "@/lib/format";
import { phaseLabel } from "@/lib/instance-display";

/** How an action ended, in Horizon's words. */
function actionResult(action: InstanceAction): { label: string; color: string } {
  if (!action.finishTime) return { label: "In progress", color: "blue" };
  if (action.action === "reschedule") return { label: "Rescheduled", color: "orange" };
  if (action.action === "power_sync") return { label: "Synced", color: "gray" };
  if (action.message) return { label: "Error", color: "red" };
  return { label: "Success", color: "green" };
}

function eventResult(event: InstanceActionEvent): { label: string; color: string } {
  if (!event.finishTime) return { label: "In progress", color: "blue" };
  if (event.result === "Error") return { label: "Error", color: "red" };
  return { label: event.result ?? "Success", color: "green" };
}

function Time({ value, full }: { value: string | null; full?: boolean }) {
  if (!value)
    return (
      <Text span size="sm" c="dimmed">
        —
      </Text>
    );
  return (
    <Tooltip label={formatDateTime(value)} disabled={full}>
      <Text span size="sm" style={{ whiteSpace: "nowrap" }}>
        {full ? formatDateTime(value) : formatTime(value)}
      </Text>
    </Tooltip>
  );
}

const EVENT_COLUMNS: DataTableColumn<InstanceActionEvent>[] = [
  { key: "event", header: "Event", cell: (e) => phaseLabel(e.event) },
  { key: "host", header: "Host", cell: (e) => e.host ?? "—" },
  { key: "start", header: "Start", cell: (e) => <Time value={e.startTime} /> },
  { key: "finish", header: "Finish", cell: (e) => <Time value={e.finishTime} /> },
  {
    key: "result",
    header: "Result",
    cell: (e) => {
      const result = eventResult(e);
      return (
        <Badge size="sm" variant="light" color={result.color}>
          {result.label}
        </Badge>
      );
    },
  },
  {
    key: "details",
    header: "Details",
    cell: (e) => e.details ?? "—",
    cellProps: (e) => ({ c: e.result === "Error" ? "red" : undefined, style: { wordBreak: "break-word" } }),
  },
];

function EventsTable({ action }: { action: InstanceAction }) {
  return (
    <DataTable
      fz="sm"
      verticalSpacing={4}
      highlightOnHover={false}
      withTableBorder
      aria-label={`Events of the ${action.action} action started ${formatTime(action.startTime)}`}
      columns={EVENT_COLUMNS}
      rows={[...action.events].sort((a, b) => a.id - b.id)}
      rowKey={(e) => e.id}
      empty={{ message: "No events recorded." }}
    />
  );
}

const ACTION_COLUMNS: DataTableColumn<InstanceAction>[] = [
  { key: "action", header: "Action", cell: (a) => humanize(a.action), cellProps: { fw: 600 } },
  { key: "requestId", header: "Request ID", cell: (a) => a.requestId || "—", cellProps: { ff: "monospace", fz: "xs" } },
  { key: "start", header: "Start", cell: (a) => <Time value={a.startTime} full /> },
  { key: "finish", header: "Finish", cell: (a) => <Time value={a.finishTime} full /> },
  {
    key: "result",
    header: "Result",
    cell: (a) => {
      const result = actionResult(a);
      return (
        <Badge variant="light" color={result.color}>
          {result.label}
        </Badge>
      );
    },
  },
  {
    key: "message",
    header: "Message",
    cell: (a) => a.message ?? "—",
    cellProps: (a) => ({ c: actionResult(a).label === "Error" ? "red" : undefined, style: { wordBreak: "break-word" } }),
  },
];

/**
 * Horizon's "Action Log": every action on the instance (create, delete, reschedule) with when it
 * started and finished and how it ended, and under each the events it went through. The events
 * come from the same live cache as the build timeline, so rows appear as phases start and end.
 */
export function ActionLog({ actions }: { actions: InstanceAction[] }) {
  return (
    <Stack gap="xs" component="section" aria-labelledby="action-log-title">
      <Title order={2} size="h3" id="action-log-title">
        Action log
      </Title>
      <Paper withBorder>
        <DataTable
          minWidth={900}
          highlightOnHover={false}
          aria-labelledby="action-log-title"
          columns={ACTION_COLUMNS}
          rows={actions}
          rowKey={(a) => a.id}
          rowProps={() => ({ bg: "var(--mantine-color-gray-0)" })}
          rowDetail={(a) => <EventsTable action={a} />}
          empty={{ message: "No actions recorded." }}
        />
      </Paper>
    </Stack>
  );
}
