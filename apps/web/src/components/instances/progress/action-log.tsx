"use client";

import { Badge, Paper, Stack, Table, Text, Title, Tooltip } from "@mantine/core";
import { Fragment } from "react";
import type { InstanceAction, InstanceActionEvent } from "@/lib/api-types";
import { formatDateTime, formatTime, humanize } from "@/lib/format";
import { phaseLabel } from "@/lib/instance-display";

/** How an action ended, in Horizon's words. */
function actionResult(action: InstanceAction): { label: string; color: string } {
  if (!action.finishTime) return { label: "In progress", color: "blue" };
  if (action.action === "reschedule") return { label: "Rescheduled", color: "orange" };
  if (action.message) return { label: "Error", color: "red" };
  return { label: "Success", color: "green" };
}

function eventResult(event: InstanceActionEvent): { label: string; color: string } {
  if (!event.finishTime) return { label: "In progress", color: "blue" };
  if (event.result === "Error") return { label: "Error", color: "red" };
  return { label: event.result ?? "Success", color: "green" };
}

function Time({ value, full }: { value: string | null; full?: boolean }) {
  if (!value) return <Text span size="sm" c="dimmed">—</Text>;
  return (
    <Tooltip label={formatDateTime(value)} disabled={full}>
      <Text span size="sm" style={{ whiteSpace: "nowrap" }}>
        {full ? formatDateTime(value) : formatTime(value)}
      </Text>
    </Tooltip>
  );
}

function EventsTable({ action }: { action: InstanceAction }) {
  const events = [...action.events].sort((a, b) => a.id - b.id);
  if (events.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No events recorded.
      </Text>
    );
  }
  return (
    <Table fz="sm" verticalSpacing={4} withTableBorder aria-label={`Events of the ${action.action} action started ${formatTime(action.startTime)}`}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Event</Table.Th>
          <Table.Th>Host</Table.Th>
          <Table.Th>Start</Table.Th>
          <Table.Th>Finish</Table.Th>
          <Table.Th>Result</Table.Th>
          <Table.Th>Details</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {events.map((event) => {
          const result = eventResult(event);
          return (
            <Table.Tr key={event.id}>
              <Table.Td>{phaseLabel(event.event)}</Table.Td>
              <Table.Td>{event.host ?? "—"}</Table.Td>
              <Table.Td>
                <Time value={event.startTime} />
              </Table.Td>
              <Table.Td>
                <Time value={event.finishTime} />
              </Table.Td>
              <Table.Td>
                <Badge size="sm" variant="light" color={result.color}>
                  {result.label}
                </Badge>
              </Table.Td>
              <Table.Td c={event.result === "Error" ? "red" : undefined} style={{ wordBreak: "break-word" }}>
                {event.details ?? "—"}
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

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
      {actions.length === 0 ? (
        <Text c="dimmed">No actions recorded.</Text>
      ) : (
        <Paper withBorder>
          <Table.ScrollContainer minWidth={900}>
            <Table verticalSpacing="sm" aria-labelledby="action-log-title">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Action</Table.Th>
                  <Table.Th>Request ID</Table.Th>
                  <Table.Th>Start</Table.Th>
                  <Table.Th>Finish</Table.Th>
                  <Table.Th>Result</Table.Th>
                  <Table.Th>Message</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {actions.map((action) => {
                  const result = actionResult(action);
                  return (
                    <Fragment key={action.id}>
                      <Table.Tr bg="var(--mantine-color-gray-0)">
                        <Table.Td fw={600}>{humanize(action.action)}</Table.Td>
                        <Table.Td ff="monospace" fz="xs">
                          {action.requestId || "—"}
                        </Table.Td>
                        <Table.Td>
                          <Time value={action.startTime} full />
                        </Table.Td>
                        <Table.Td>
                          <Time value={action.finishTime} full />
                        </Table.Td>
                        <Table.Td>
                          <Badge variant="light" color={result.color}>
                            {result.label}
                          </Badge>
                        </Table.Td>
                        <Table.Td c={result.label === "Error" ? "red" : undefined} style={{ wordBreak: "break-word" }}>
                          {action.message ?? "—"}
                        </Table.Td>
                      </Table.Tr>
                      <Table.Tr>
                        <Table.Td colSpan={6} pl="xl">
                          <EventsTable action={action} />
                        </Table.Td>
                      </Table.Tr>
                    </Fragment>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
    </Stack>
  );
}
