/**
 * Assigning a scheduled instance to the host its claim won: the host on the instance, the
 * scheduling event closed, the build request dispatched with a fresh spawn command id (due
 * again after the redelivery interval until the agent acknowledges it), all announced after
 * commit. Alone, in the claim's own statement; a server group's member, under the group's lock.
 */
import { randomUUID } from "node:crypto";
import { jsonValue, rowFromJson, rowsFromJson, rowsOf, schema } from "@nimbus/db";
import type { BuildRequestRow, InstanceRow } from "@nimbus/db/schema";
import { sql, type SQL } from "@nimbus/db/orm";
import { z } from "zod";
import { Announcements } from "../compute/announce";
import { hostnameOf, lockInstance, releaseAllocations } from "../compute/lifecycle";
import type { Services } from "../context";
import type { ClaimFollowUp } from "../placement/claim";
import { groupPolicyHolds } from "../scheduler/request-spec";
import type { Assignment } from "../scheduler/select-destinations";

/** An unacknowledged spawn command is sent again this often. */
const REDELIVERY_MS = 2_000;
/** What `hostAssignment`'s result holds: the placed instance and the events it closed, or null when nothing was placed. */
const assignedJson = z.object({ instance: z.unknown(), closed: z.unknown() }).nullable();

/**
 * How a won host is taken, with a fresh spawn command id: an instance in no server group is
 * assigned in the claim's own statement (nothing to re-check under a lock); a group member
 * after the claim, under the group's lock.
 */
export async function hostAssignmentFor(
  services: Pick<Services, "db" | "publisher">,
  request: BuildRequestRow,
  hostId: string,
): Promise<Assignment<{ hostId: string; commandId: string }>> {
  const commandId = randomUUID();
  const assigned = { outcome: "assigned" as const, value: { hostId, commandId } };
  if (!request.requestSpec.serverGroupId) {
    const alone = await assignmentAlone(services, request.instanceId, hostId, commandId);
    return { followUp: alone.followUp, settle: async (followed) => ((await alone.settle(followed)) === "assigned" ? assigned : { outcome: "gone" }) };
  }
  return {
    settle: async () => {
      const outcome = await assignHost(services, request, hostId, commandId);
      return outcome === "assigned" ? assigned : outcome === "gone" ? { outcome: "gone" } : { outcome: "retry" };
    },
  };
}

/**
 * Records the chosen host for a server group's member, under the group's lock: the claim is
 * undone if the instance was deleted meanwhile or a member took that host since (the policy
 * no longer holds).
 */
async function assignHost(
  services: Pick<Services, "db" | "publisher">,
  request: BuildRequestRow,
  hostId: string,
  commandId: string,
): Promise<"assigned" | "gone" | "policy"> {
  const out = new Announcements();
  const instanceId = request.instanceId;
  const hostname = await hostnameOf(services.db, hostId);
  const assigned = await services.db.transaction(async (tx) => {
    const instance = await lockInstance(tx, instanceId);
    if (!instance || !isScheduling(instance)) {
      await releaseAllocations(tx, out, instanceId);
      return "gone" as const;
    }
    if (!(await groupPolicyHolds(tx, instanceId, request.requestSpec.serverGroupId, hostId))) {
      await releaseAllocations(tx, out, instanceId);
      return "policy" as const;
    }
    const { ctes, result } = hostAssignment({ instanceId, hostId, hostname, commandId, guard: sql`true` });
    const [row] = rowsOf<{ followed: unknown }>(await tx.execute(sql`with ${ctes} select (${result}) as followed`));
    announceAssignment(out, row?.followed, hostId, hostname);
    return "assigned" as const;
  });
  out.flush(services.publisher);
  return assigned;
}

/**
 * The assignment of an instance in no server group, as a follow-up of its claim (one statement
 * for both): it happens only if the claim succeeded. `settle` announces it or, if the instance
 * moved on (deleted meanwhile), undoes the claim.
 */
async function assignmentAlone(
  services: Pick<Services, "db" | "publisher">,
  instanceId: string,
  hostId: string,
  commandId: string,
): Promise<{ followUp: ClaimFollowUp; settle: (followed: unknown) => Promise<"assigned" | "gone"> }> {
  const hostname = await hostnameOf(services.db, hostId);
  const followUp = hostAssignment({ instanceId, hostId, hostname, commandId, guard: sql`exists (select 1 from claimed)` });
  const settle = async (followed: unknown): Promise<"assigned" | "gone"> => {
    const out = new Announcements();
    const assigned = announceAssignment(out, followed, hostId, hostname);
    if (!assigned) await services.db.transaction((tx) => releaseAllocations(tx, out, instanceId));
    out.flush(services.publisher);
    return assigned ? "assigned" : "gone";
  };
  return { followUp, settle };
}

/**
 * What assigning a host writes, as common table expressions: the host on the instance (only
 * while it is still scheduling and `guard` holds), the scheduling event closed, the request
 * marked dispatched with its command id; `result` returns the instance and the closed events.
 */
function hostAssignment({
  instanceId,
  hostId,
  hostname,
  commandId,
  guard,
}: {
  instanceId: string;
  hostId: string;
  hostname: string | null;
  commandId: string;
  guard: SQL;
}): ClaimFollowUp {
  const now = new Date();
  const at = now.toISOString();
  return {
    ctes: sql`placed as (
      -- Report sequence numbers are per agent: a new host starts its own count.
      update ${schema.instances} set host_id = ${hostId}::uuid, last_report_seq = -1, updated_at = ${at}::timestamptz
      where id = ${instanceId}::uuid and task_state = 'scheduling' and ${guard}
      returning *
    ), closed as (
      update ${schema.instanceActionEvents} set finish_time = ${at}::timestamptz, result = 'Success', host = ${hostname}::text
      where instance_id = ${instanceId}::uuid and event = 'scheduling' and finish_time is null and exists (select 1 from placed)
      returning *
    ), dispatched as (
      update ${schema.buildRequests} set status = 'dispatched', command_id = ${commandId}::uuid, dispatched_at = ${at}::timestamptz,
        command_acked_at = null, due_at = ${new Date(now.getTime() + REDELIVERY_MS).toISOString()}::timestamptz, updated_at = ${at}::timestamptz
      where instance_id = ${instanceId}::uuid and exists (select 1 from placed)
    )`,
    result: sql`select json_build_object(
      'instance', (select row_to_json(placed) from placed),
      'closed', (select coalesce(json_agg(row_to_json(closed) order by closed.id), '[]'::json) from closed))`,
  };
}

/** Queues the announcements of an assignment `hostAssignment` returned; false when nothing was assigned. */
function announceAssignment(out: Announcements, followed: unknown, hostId: string, hostname: string | null): boolean {
  const assigned = assignedJson.parse(jsonValue(followed ?? null));
  if (!assigned?.instance) return false;
  const updated = rowFromJson(schema.instances, assigned.instance);
  for (const event of rowsFromJson(schema.instanceActionEvents, assigned.closed)) out.event(updated.projectId, event);
  out.instance(updated, hostname);
  out.host(hostId);
  return true;
}

/** Still waiting for a host. */
export function isScheduling(instance: InstanceRow): boolean {
  return instance.taskState === "scheduling";
}
