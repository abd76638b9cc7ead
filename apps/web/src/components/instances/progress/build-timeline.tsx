"use client";

import { Group, Loader, Text, ThemeIcon, Timeline } from "@mantine/core";
import type { InstanceAction, InstanceActionEvent } from "@/lib/api-types";
import { formatDuration, formatTime } from "@/lib/format";
import { phaseLabel } from "@/lib/instance-display";

const TERMINAL = new Set(["active", "error", "deleted"]);

function Bullet({ event }: { event: InstanceActionEvent }) {
  if (!event.finishTime) return <Loader size={12} color="blue" aria-label="In progress" />;
  const failed = event.result === "Error";
  return (
    <ThemeIcon size={22} radius="xl" color={failed ? "red" : "green"} aria-hidden>
      <svg
        aria-hidden="true"
        width="12"
        height="12"
        viewBox="0 0 24 24"
        fill="none"
        stroke="currentColor"
        strokeWidth="3"
        strokeLinecap="round"
        strokeLinejoin="round"
      >
        {failed ? <path d="M6 6l12 12M18 6L6 18" /> : <path d="M5 12l5 5L20 7" />}
      </svg>
    </ThemeIcon>
  );
}

/** How long a phase took; a terminal phase (Active, Error) shows how long the whole action took. */
function durationOf(event: InstanceActionEvent, action: InstanceAction): string | null {
  if (!event.finishTime) return null;
  if (TERMINAL.has(event.event)) return `total ${formatDuration(action.startTime, event.finishTime)}`;
  return `took ${formatDuration(event.startTime, event.finishTime)}`;
}

/**
 * The phases of one action (create: Scheduling → Networking → Block device mapping → Spawning →
 * Active or Error; delete: Deleting → Deleted), one item per event, in the order they happened.
 */
export function BuildTimeline({ action }: { action: InstanceAction }) {
  const events = [...action.events].sort((a, b) => a.id - b.id);
  if (events.length === 0) return <Text c="dimmed">Waiting for the first phase…</Text>;
  return (
    <Timeline active={events.length - 1} bulletSize={24} lineWidth={2} aria-label={`Phases of the ${action.action} action`}>
      {events.map((event, index) => {
        const duration = durationOf(event, action);
        const failed = event.result === "Error";
        // The Error item repeats the reason of the phase that failed: say it once.
        const details = event.event === "error" && event.details === events[index - 1]?.details ? null : event.details;
        return (
          <Timeline.Item
            key={event.id}
            bullet={<Bullet event={event} />}
            color={failed ? "red" : undefined}
            title={<Text fw={600}>{phaseLabel(event.event)}</Text>}
          >
            <Group gap="xs" c="dimmed" fz="sm">
              <Text span size="sm">
                started {formatTime(event.startTime)}
              </Text>
              {duration ? (
                <Text span size="sm" data-testid="phase-duration">
                  {duration}
                </Text>
              ) : (
                <Text span size="sm" c="blue">
                  in progress…
                </Text>
              )}
              {event.host && (
                <Text span size="sm">
                  on {event.host}
                </Text>
              )}
            </Group>
            {details && (
              <Text size="sm" c={failed ? "red" : undefined} mt={2}>
                {details}
              </Text>
            )}
          </Timeline.Item>
        );
      })}
    </Timeline>
  );
}
