"use client";

import { Alert, Text } from "@mantine/core";
import type { InstanceDetail } from "@/lib/api-types";
import { formatTime } from "@/lib/format";

type BuildWait = NonNullable<InstanceDetail["buildWait"]>;

/** What happens to the build when its host is given up: another host (the next attempt), or ERROR on the last one. */
function afterHostDown(wait: BuildWait): string {
  return wait.onHostDown === "reschedule"
    ? `rescheduled on another host if one can take it (attempt ${wait.attempt + 1} of ${wait.maxAttempts})`
    : `ends in ERROR (attempt ${wait.attempt} of ${wait.maxAttempts} was the last)`;
}

function title(wait: BuildWait): string {
  switch (wait.waitingFor) {
    case "acknowledgement":
      return `Waiting for ${wait.host} to acknowledge the build`;
    case "first_progress":
      return `Waiting for ${wait.host} to start the build`;
    case "host_down":
      return `${wait.host} is down`;
    default: {
      const unreachable: never = wait.waitingFor;
      return unreachable;
    }
  }
}

function since(wait: BuildWait): string {
  switch (wait.waitingFor) {
    case "acknowledgement":
      return `The spawn command went to ${wait.host} at ${formatTime(wait.dispatchedAt)} and is not acknowledged yet; it is sent again until it is.`;
    case "first_progress":
      return `${wait.host} acknowledged the spawn at ${formatTime(wait.acknowledgedAt)} and has reported no progress since.`;
    case "host_down":
      return `Its compute agent stopped answering: down since ${formatTime(wait.hostDownSince)}. The build made no progress there.`;
    default: {
      const unreachable: never = wait.waitingFor;
      return unreachable;
    }
  }
}

function next(wait: BuildWait): string {
  const timeout = `If it makes no progress by ${formatTime(wait.timeoutAt)} (the ${wait.buildTimeoutSeconds} s build timeout), the build stops in ERROR.`;
  if (wait.hostUp) {
    return `${timeout} If ${wait.host} stops answering for ${wait.hostDownAfterSeconds} s, the build is ${afterHostDown(wait)}.`;
  }
  if (wait.hostGiveUpAt && Date.parse(wait.hostGiveUpAt) <= Date.parse(wait.timeoutAt)) {
    return `By ${formatTime(wait.hostGiveUpAt)} the build is taken off ${wait.host} and ${afterHostDown(wait)}.`;
  }
  return `At ${formatTime(wait.timeoutAt)} the build times out and stops in ERROR.`;
}

/**
 * A build dispatched to a host that has not started it: what it waits for, since when, and what
 * happens at the deadline, all as the server states them (refetched while the build runs).
 */
export function HostWait({ wait }: { wait: BuildWait }) {
  return (
    <section aria-label="Waiting for the host">
      <Alert color={wait.hostUp ? "yellow" : "orange"} title={title(wait)}>
        <Text size="sm">{since(wait)}</Text>
        <Text size="sm" mt={4}>
          {next(wait)}
        </Text>
      </Alert>
    </section>
  );
}
