import { schema, type Executor } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import type { InstanceRow } from "@nimbus/db/schema";
import type { Services } from "../context";
import { isUp } from "../placement/usage";
import { downSince } from "../scheduler/host-states";
import { hostGiveUpAfterMs } from "../placement/usage";

/**
 * What a build dispatched to a host is waiting for, as the server knows it, for the progress
 * view: the spawn not yet acknowledged, acknowledged with no progress since, or its host down.
 * Each instant is the server's own (build request and host rows); the view only words them.
 */
export interface BuildWait {
  /** What the build waits for: the host to acknowledge the spawn, its first progress report, or a host that is down to be given up. */
  waitingFor: "acknowledgement" | "first_progress" | "host_down";
  host: string;
  /** This build's attempt and how many hosts it may try (Nova's max_attempts). */
  attempt: number;
  maxAttempts: number;
  /** When the spawn command was first sent to the host. */
  dispatchedAt: string;
  /** When the host acknowledged it; null: not yet (it is sent again until it is). */
  acknowledgedAt: string | null;
  /** When the build stops in ERROR (BuildTimeout) if it makes no progress before. */
  timeoutAt: string;
  buildTimeoutSeconds: number;
  /** Whether the host's compute agent is answering, when it last did, and since when it is down. */
  hostUp: boolean;
  hostLastHeartbeatAt: string | null;
  hostDownSince: string | null;
  /** A host silent this long is declared down. */
  hostDownAfterSeconds: number;
  /** When a down host's builds are taken off it at the latest (the host liveness sweep). */
  hostGiveUpAt: string | null;
  /** What happens when the host is given up: the build goes to another host, or this was its last attempt. */
  onHostDown: "reschedule" | "error";
}

/** The wait of an instance's build on its host, or null when it is not waiting on one (not placed, or making progress). */
export async function buildWaitOf(
  db: Executor,
  services: Pick<Services, "buildTimeoutMs" | "hostDownAfterMs">,
  instance: Pick<InstanceRow, "id" | "hostId" | "vmState" | "taskState">,
): Promise<BuildWait | null> {
  if (instance.vmState !== "building" || instance.taskState === "deleting" || !instance.hostId) return null;
  const [row] = await db
    .select({ request: schema.buildRequests, host: schema.computeHosts })
    .from(schema.buildRequests)
    .innerJoin(schema.computeHosts, eq(schema.computeHosts.id, instance.hostId))
    .where(eq(schema.buildRequests.instanceId, instance.id));
  const { request, host } = row ?? {};
  const dispatchedAt = request?.dispatchedAt;
  if (!request || !host || request.status !== "dispatched" || !dispatchedAt) return null;
  const now = Date.now();
  const hostUp = isUp(host, services.hostDownAfterMs, now);
  const waitingFor = !hostUp
    ? "host_down"
    : !request.commandAckedAt
      ? "acknowledgement"
      : instance.taskState === "scheduling"
        ? "first_progress"
        : null;
  if (!waitingFor) return null;
  // Unacknowledged, the build times out a build timeout after its dispatch; acknowledged, at its due time.
  const timeoutAt = request.commandAckedAt ? request.dueAt : new Date(dispatchedAt.getTime() + services.buildTimeoutMs);
  const down = hostUp ? null : downSince(host, services.hostDownAfterMs, now);
  const attempt = request.attempts.length + 1;
  return {
    waitingFor,
    host: host.hostname,
    attempt,
    maxAttempts: request.maxAttempts,
    dispatchedAt: dispatchedAt.toISOString(),
    acknowledgedAt: request.commandAckedAt?.toISOString() ?? null,
    timeoutAt: timeoutAt.toISOString(),
    buildTimeoutSeconds: Math.round(services.buildTimeoutMs / 1000),
    hostUp,
    hostLastHeartbeatAt: host.lastHeartbeatAt?.toISOString() ?? null,
    hostDownSince: down?.toISOString() ?? null,
    hostDownAfterSeconds: Math.round(services.hostDownAfterMs / 1000),
    // failBuildsOnDownHosts: a host silent for twice the down time at the latest.
    hostGiveUpAt: host.lastHeartbeatAt ? new Date(host.lastHeartbeatAt.getTime() + hostGiveUpAfterMs(services.hostDownAfterMs)).toISOString() : null,
    onHostDown: attempt < request.maxAttempts ? "reschedule" : "error",
  };
}
