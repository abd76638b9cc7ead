/**
 * Keeps every task moving to an end, whatever happens to its host (run every second by each web
 * process; rows are claimed with FOR UPDATE SKIP LOCKED and leased, so processes share them):
 *
 *   unacknowledged ─▶ sent again (same command id) every TASK_REDELIVERY_MS
 *   host down      ─▶ failed: the vm_state it had before, with a HostDown fault
 *   past deadline  ─▶ failed: the vm_state it had before, with an ActionTimeout fault
 *                     (not acknowledged within the action timeout, or no last report within the
 *                     action timeout plus its graceful shutdown after the acknowledgement)
 *
 * Either failure leaves the truth to the host: when its agent is back it reports its guests'
 * power states (`power_state`), and the power sync (./task-reports) moves each idle instance to
 * what its guest really is.
 */
import { rowFromJson, rowsOf, schema } from "@nimbus/db";
import { sql } from "@nimbus/db/orm";
import type { InstanceTaskRow } from "@nimbus/db/schema";
import type { Services } from "../../context";
import { OPERATIONS, type InstanceOperation } from "../../instance/state-machine";
import { hostGiveUpAfterMs } from "../../placement/usage";
import { describeDown } from "../../scheduler/explain";
import { downSince } from "../../scheduler/host-states";
import { dispatchTask, failTaskNow, TASK_REDELIVERY_MS, taskDeadlineMs, type ActionServices } from "./task";

const BATCH = 100;

export type SweepServices = ActionServices & Pick<Services, "hostDownAfterMs">;

/** One pass over the due tasks; resolves with what it did (redeliveries run on in the background until acknowledged). */
export async function sweepInstanceTasks(services: SweepServices): Promise<{ redelivered: number; failed: number }> {
  const now = new Date();
  const t = schema.instanceTasks;
  const h = schema.computeHosts;
  const cutoff = new Date(now.getTime() - services.hostDownAfterMs).toISOString();
  const giveUp = new Date(now.getTime() - hostGiveUpAfterMs(services.hostDownAfterMs)).toISOString();
  const result = await services.db.execute(sql`
    with due as (
      select ${t}.instance_id from ${t}
      where ${t}.due_at <= ${now.toISOString()}::timestamptz
      order by ${t}.due_at limit ${BATCH}
      for update skip locked
    ), leased as (
      update ${t} set due_at = ${new Date(now.getTime() + TASK_REDELIVERY_MS).toISOString()}::timestamptz
      from due where ${t}.instance_id = due.instance_id
      returning ${t}.*
    )
    select row_to_json(leased) as task, h.hostname, h.last_heartbeat_at,
      ((h.agent_session_id is null and h.updated_at < ${cutoff}::timestamptz) or h.last_heartbeat_at < ${giveUp}::timestamptz) as down
    from leased join ${h} h on h.id = leased.host_id`);
  const rows = rowsOf<{ task: unknown; hostname: string; last_heartbeat_at: string | null; down: boolean }>(result);
  let redelivered = 0;
  let failed = 0;
  for (const row of rows) {
    const task: InstanceTaskRow = rowFromJson(schema.instanceTasks, row.task);
    const spec = OPERATIONS[task.operation as InstanceOperation];
    const ageMs = now.getTime() - (task.dispatchedAt ?? task.createdAt).getTime();
    if (row.down) {
      const why = describeDown(
        downSince({ lastHeartbeatAt: row.last_heartbeat_at ? new Date(row.last_heartbeat_at) : null }, services.hostDownAfterMs),
      );
      const message = `Compute host ${row.hostname} went down during the ${spec.action} (${why}); the instance was left as it was, and will show its guest's real state when the host is back.`;
      if (await failTaskNow(services, task.instanceId, task.commandId, { code: "HostDown", message })) failed++;
    } else if (!task.ackedAt && ageMs <= services.actionTimeoutMs) {
      redelivered++;
      void dispatchTask(services, task).catch(() => undefined);
    } else if (task.ackedAt ? now.getTime() - task.ackedAt.getTime() >= taskDeadlineMs(services, task) : true) {
      const seconds = Math.round((task.ackedAt ? taskDeadlineMs(services, task) : services.actionTimeoutMs) / 1000);
      const message = task.ackedAt
        ? `The ${spec.action} did not finish within ${seconds} s on ${row.hostname}; the instance was left as it was, and will show its guest's real state when the host reports it.`
        : `Host ${row.hostname} did not take the ${spec.action} within ${seconds} s; the instance was left as it was.`;
      if (await failTaskNow(services, task.instanceId, task.commandId, { code: "ActionTimeout", message })) failed++;
    }
  }
  return { redelivered, failed };
}
