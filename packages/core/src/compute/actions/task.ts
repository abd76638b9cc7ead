/**
 * The seam every action on an existing instance goes through (Nova's compute API method +
 * `_record_action_start` + the cast to the compute host, made durable):
 *
 *   verb ─▶ beginInstanceTask: one transaction under the instance's row lock: the state machine's
 *           check (a plain-words Conflict), the task state written on the condition that it is
 *           still what was read (Nova's expected_task_state), the action recorded, the durable
 *           task row (`instance_tasks`, one per instance) with a fresh command id, the audit entry
 *        ─▶ announced after commit (the console's list and page move at once)
 *        ─▶ dispatchTask: the typed `instance.action` command to the host's agent; its ack moves
 *           the task to its "accepted" state and opens the action's compute event; no ack: the
 *           sweeper (./task-sweeper) sends it again under the same id
 *   agent ─▶ task_started / task_done / task_failed reports (./task-reports) end the task.
 *
 * Everything that ends a task (`completeTask`, `failTask`, `interruptTask`) deletes its row, so
 * a late report of it (a delete won, it timed out, a hard reboot replaced it) finds no task under
 * its command id and is taken only as word of the guest's power state.
 */
import { randomUUID } from "node:crypto";
import { schema, type Executor } from "@nimbus/db";
import { and, count, eq, isNull } from "@nimbus/db/orm";
import type { InstanceRow, InstanceTaskRow } from "@nimbus/db/schema";
import { audit } from "../../audit/record";
import type { CoreContext, Services } from "../../context";
import { NimbusError } from "../../errors";
import {
  checkOperation,
  OPERATIONS,
  vmStateForPower,
  type InstanceOperation,
  type PowerState,
  type TaskState,
  type VmState,
} from "../../instance/state-machine";
import { claimResources } from "../../placement/claim";
import type { Principal } from "../../policy";
import { instanceActionCommandSchema, MAX_SHUTDOWN_TIMEOUT_SECONDS, type InstanceActionCommand } from "../../protocol/agent";
import { Announcements } from "../announce";
import { hostnameOf, lockInstance } from "../lifecycle";
import { isMoveOperation } from "./migrations";
import { failMove } from "./move";
import { discardSnapshotImage } from "./snapshot-image";
import { endTask, openTaskEvent, type TaskPreparer } from "./task-end";

export { endTask, openTaskEvent, setPortStatus, type TaskEnd, type TaskPreparation, type TaskPreparer } from "./task-end";

/** What a verb answers: the action is under way (Nova answers 202); progress arrives on the instance's stream. */
export interface InstanceActionStarted {
  id: string;
  /** The instance action's id in the action log. */
  actionId: string;
  requestId: string;
  taskState: TaskState;
}

/** Services an action needs: the database, the announcements, the agents and the timeouts. */
export type ActionServices = Pick<Services, "db" | "publisher" | "agents" | "actionTimeoutMs" | "shutdownTimeoutSeconds">;

/** An unacknowledged command is sent again this often (as spawns are). */
export const TASK_REDELIVERY_MS = 2_000;

/**
 * Begins `operation` on an instance and dispatches it to its host. Another project's instance is
 * NotFound (admins may act on any); a state the table of operations does not allow is a Conflict
 * in plain words; two actions at once: the row lock serialises them and the second sees the
 * first's task state (Conflict). Resolves once the host acknowledged the command, or once it is
 * queued for redelivery when the host did not answer.
 */
export async function beginInstanceTask(
  ctx: CoreContext,
  principal: Principal | null,
  { instanceId, operation, prepare }: { instanceId: string; operation: InstanceOperation; prepare?: TaskPreparer },
): Promise<InstanceActionStarted> {
  const spec = OPERATIONS[operation];
  const out = new Announcements();
  const begun = await ctx.db.transaction(async (tx) => {
    const instance = await lockInstance(tx, instanceId);
    // No principal: the system itself (the auto-confirm of a resize).
    if (!instance || instance.vmState === "deleted" || (principal && !principal.isAdmin && instance.projectId !== principal.projectId)) {
      throw NimbusError.notFound("Instance", instanceId);
    }
    const vmState = instance.vmState as VmState;
    const taskState = instance.taskState as TaskState | null;
    const check = checkOperation(operation, { name: instance.name, vmState, taskState, hasHost: instance.hostId !== null });
    if (!check.allowed) throw new NimbusError("Conflict", check.reason, { operation, vmState, taskState });
    const now = new Date();
    // A hard reboot may replace a task under way (Nova's ALLOW_REBOOT): that one ends here.
    if (taskState !== null) await interruptTask(tx, out, instance, `Interrupted by a ${spec.label.toLowerCase()}.`);
    // An instance in ERROR holds no allocation; one an action may bring back claims its flavor on
    // its host again (an evacuation claims on its new host instead).
    if (vmState === "error" && operation !== "evacuate") await reclaim(tx, out, instance, instance.hostId!);
    const prepared = prepare ? await prepare(tx, instance, out) : {};
    const hostId = prepared.hostId ?? instance.hostId!;
    const [action] = await tx
      .insert(schema.instanceActions)
      .values({
        instanceId,
        action: spec.action,
        requestId: ctx.requestId,
        userId: principal?.userId ?? null,
        projectId: instance.projectId,
        startTime: now,
      })
      .returning();
    const [updated] = await tx
      .update(schema.instances)
      .set({ taskState: spec.taskState, updatedAt: now, ...prepared.columns })
      // Nova's expected_task_state: only from the state checked above (the row lock makes it so; this says it).
      .where(
        and(
          eq(schema.instances.id, instanceId),
          eq(schema.instances.vmState, vmState),
          taskState === null ? isNull(schema.instances.taskState) : eq(schema.instances.taskState, taskState),
        ),
      )
      .returning();
    if (!updated || !action) throw NimbusError.conflict(`Instance ${instance.name} changed meanwhile; try again.`);
    const commandId = randomUUID();
    const params = { ...(await paramsFor(tx, operation, instance, ctx.shutdownTimeoutSeconds)), ...prepared.params };
    const [task] = await tx
      .insert(schema.instanceTasks)
      .values({
        instanceId,
        actionId: action.id,
        operation,
        commandId,
        hostId,
        params,
        previousVmState: vmState,
        dueAt: new Date(now.getTime() + TASK_REDELIVERY_MS),
        dispatchedAt: now,
      })
      .returning();
    await audit(ctx, tx, {
      action: `instance.${operation}`,
      outcome: "success",
      targetType: "instance",
      targetId: instanceId,
      details: { name: instance.name, from: vmState, ...prepared.details },
    });
    out.instance(updated, await hostnameOf(tx, updated.hostId));
    return { task: task!, actionId: action.id };
  });
  out.flush(ctx.publisher);
  await dispatchTask(ctx, begun.task);
  return { id: instanceId, actionId: begun.actionId, requestId: ctx.requestId, taskState: spec.taskState };
}

/** The operation's parameters: the graceful shutdown time for stop and soft reboot (the image's os_shutdown_timeout, else the setting). */
async function paramsFor(
  tx: Executor,
  operation: InstanceOperation,
  instance: InstanceRow,
  defaultSeconds: number,
): Promise<Record<string, unknown>> {
  // A move powers the guest off on its source first, gracefully as a stop does.
  if (operation !== "stop" && operation !== "reboot" && operation !== "resize" && operation !== "migrate") return {};
  let seconds = defaultSeconds;
  if (instance.imageId) {
    const [image] = await tx.select({ properties: schema.images.properties }).from(schema.images).where(eq(schema.images.id, instance.imageId));
    const own = Number(image?.properties.os_shutdown_timeout);
    if (Number.isInteger(own) && own >= 0) seconds = own;
  }
  return { shutdownTimeoutSeconds: Math.min(seconds, MAX_SHUTDOWN_TIMEOUT_SECONDS) };
}

/** The command a task sends, built from its row (the same on every redelivery). */
export function commandOf(task: Pick<InstanceTaskRow, "commandId" | "instanceId" | "operation" | "params">): InstanceActionCommand {
  return instanceActionCommandSchema.parse({ ...task.params, commandId: task.commandId, instanceId: task.instanceId, operation: task.operation });
}

/** How long after its acknowledgement a task may run before it is failed: the action timeout plus its graceful shutdown. */
export function taskDeadlineMs(services: Pick<Services, "actionTimeoutMs">, task: Pick<InstanceTaskRow, "params">): number {
  const shutdown = Number(task.params.shutdownTimeoutSeconds ?? 0);
  return services.actionTimeoutMs + (Number.isFinite(shutdown) ? shutdown * 1000 : 0);
}

/**
 * Sends a task's command to its host. Acknowledged: recorded (./acknowledgeTask). Refused: the
 * task fails with the host's reason. No answer: it stays due and the sweeper sends it again.
 */
export async function dispatchTask(services: ActionServices, task: InstanceTaskRow): Promise<void> {
  let ack: Awaited<ReturnType<ActionServices["agents"]["act"]>>;
  try {
    ack = await services.agents.act(task.hostId, commandOf(task));
  } catch {
    return;
  }
  if (ack.ok) await acknowledgeTask(services, task.instanceId, task.commandId);
  else {
    const spec = OPERATIONS[task.operation as InstanceOperation];
    await failTaskNow(services, task.instanceId, task.commandId, {
      code: "ActionFailed",
      message: `The host refused to ${spec.verb} the instance: ${ack.error}`,
    });
  }
}

/**
 * The host took the command: its deadline moves from the redelivery interval to the action
 * timeout, the task moves to its "accepted" state (a reboot's reboot_pending) and the action's
 * compute event opens. Nothing when the task is over or was acknowledged already (a report may
 * overtake the ack).
 */
export async function acknowledgeTask(services: ActionServices, instanceId: string, commandId: string): Promise<void> {
  const out = new Announcements();
  await services.db.transaction(async (tx) => {
    const instance = await lockInstance(tx, instanceId);
    const task = await currentTask(tx, instanceId);
    if (!instance || !task || task.commandId !== commandId || task.ackedAt) return;
    await markAcknowledged(tx, out, services, instance, task);
  });
  out.flush(services.publisher);
}

/** Records the acknowledgement of `task` (by its ack or by a report that implies it). */
export async function markAcknowledged(
  tx: Executor,
  out: Announcements,
  services: Pick<Services, "actionTimeoutMs">,
  instance: InstanceRow,
  task: InstanceTaskRow,
): Promise<void> {
  const now = new Date();
  await tx
    .update(schema.instanceTasks)
    .set({ ackedAt: now, dueAt: new Date(now.getTime() + taskDeadlineMs(services, task)) })
    .where(eq(schema.instanceTasks.instanceId, task.instanceId));
  const spec = OPERATIONS[task.operation as InstanceOperation];
  await openTaskEvent(tx, out, instance, task);
  if (spec.acceptedTaskState && instance.taskState === spec.taskState) await setTaskState(tx, out, instance, spec.acceptedTaskState);
}

/** The task of an instance, if one runs (locked with the instance's row by the caller). */
export async function currentTask(tx: Executor, instanceId: string): Promise<InstanceTaskRow | undefined> {
  const [task] = await tx.select().from(schema.instanceTasks).where(eq(schema.instanceTasks.instanceId, instanceId));
  return task;
}

/** Moves a running task to its next task state and announces it. */
export async function setTaskState(tx: Executor, out: Announcements, instance: InstanceRow, taskState: TaskState): Promise<InstanceRow> {
  const [updated] = await tx
    .update(schema.instances)
    .set({ taskState, updatedAt: new Date() })
    .where(eq(schema.instances.id, instance.id))
    .returning();
  out.instance(updated!, await hostnameOf(tx, updated!.hostId));
  return updated!;
}

/**
 * A failed task: the instance ends in the vm_state of the power state the host reports, when it
 * reports one (no domain: ERROR), else in the vm_state it had before the action; with the fault.
 */
export async function failTask(
  tx: Executor,
  out: Announcements,
  instance: InstanceRow,
  task: InstanceTaskRow,
  failure: { code: string; message: string; powerState?: PowerState; reportedAt?: string },
): Promise<InstanceRow> {
  // A move puts back what it took (flavor, host, allocations), or rolls back on its source first.
  if (isMoveOperation(task.operation)) return failMove(tx, out, instance, task, failure);
  // A snapshot that did not finish leaves no half-built image.
  await discardSnapshotImage(tx, task, failure.message);
  // A rebuild may have destroyed the guest already: whatever step failed, ERROR (as Nova's
  // rebuild), its allocation given back, its ports kept for a rebuild or delete to come.
  if (task.operation === "rebuild") {
    return endTask(tx, out, instance, task, {
      vmState: "error",
      powerState: failure.powerState ?? "nostate",
      fault: { code: failure.code, message: failure.message },
      ...(failure.reportedAt ? { reportedAt: failure.reportedAt } : {}),
    });
  }
  const vmState = failure.powerState ? (vmStateForPower(failure.powerState) ?? "error") : (task.previousVmState as VmState);
  return endTask(tx, out, instance, task, {
    vmState,
    ...(failure.powerState ? { powerState: failure.powerState } : {}),
    fault: { code: failure.code, message: failure.message },
    ...(failure.reportedAt ? { reportedAt: failure.reportedAt } : {}),
  });
}

/** `failTask` in its own transaction, if the task `commandId` still runs. */
export async function failTaskNow(
  services: ActionServices,
  instanceId: string,
  commandId: string,
  failure: { code: string; message: string; powerState?: PowerState },
): Promise<boolean> {
  const out = new Announcements();
  const failed = await services.db.transaction(async (tx) => {
    const instance = await lockInstance(tx, instanceId);
    const task = await currentTask(tx, instanceId);
    if (!instance || !task || task.commandId !== commandId) return false;
    await failTask(tx, out, instance, task, failure);
    return true;
  });
  out.flush(services.publisher);
  // A failed move step may have chained its rollback: sent to its host now.
  for (const next of out.dispatches) void dispatchTask(services, next).catch(() => undefined);
  return failed;
}

/**
 * Ends the task of a locked instance without touching its states (the caller writes them): a
 * delete or a hard reboot took over. Its events and action close as interrupted; its late
 * reports will find no task.
 */
export async function interruptTask(tx: Executor, out: Announcements, instance: InstanceRow, reason: string): Promise<void> {
  const task = await currentTask(tx, instance.id);
  if (!task) return;
  await discardSnapshotImage(tx, task, reason);
  const now = new Date();
  const closed = await tx
    .update(schema.instanceActionEvents)
    .set({ finishTime: now, result: "Error", details: reason })
    .where(and(eq(schema.instanceActionEvents.actionId, task.actionId), isNull(schema.instanceActionEvents.finishTime)))
    .returning();
  for (const row of closed) out.event(instance.projectId, row);
  await tx.update(schema.instanceActions).set({ finishTime: now, message: reason }).where(eq(schema.instanceActions.id, task.actionId));
  await tx.delete(schema.instanceTasks).where(eq(schema.instanceTasks.instanceId, instance.id));
}

/**
 * Claims an ERROR instance's flavor on its host again (ERROR holds no allocation) before an
 * action that may bring it back; a host with no room left is a Conflict.
 */
async function reclaim(tx: Executor, out: Announcements, instance: InstanceRow, hostId: string): Promise<void> {
  const [held] = await tx.select({ n: count() }).from(schema.allocations).where(eq(schema.allocations.instanceId, instance.id));
  if ((held?.n ?? 0) > 0) return;
  const resources = { vcpus: instance.vcpus, memoryMb: instance.memoryMb, diskGb: instance.rootGb };
  for (let attempt = 0; attempt < 5; attempt++) {
    const [host] = await tx
      .select({ generation: schema.computeHosts.generation, hostname: schema.computeHosts.hostname })
      .from(schema.computeHosts)
      .where(eq(schema.computeHosts.id, hostId));
    if (!host) throw NimbusError.conflict(`Instance ${instance.name}'s host no longer exists.`);
    const outcome = await claimResources(tx, { hostId, generation: host.generation, instanceId: instance.id, resources });
    if (outcome === "claimed") {
      out.host(hostId);
      return;
    }
    if (outcome === "insufficient") {
      throw NimbusError.conflict(
        `Host ${host.hostname} has no room left for instance ${instance.name} (${resources.vcpus} vCPUs, ${resources.memoryMb} MB RAM, ${resources.diskGb} GB disk).`,
      );
    }
  }
  throw NimbusError.conflict(`Host of instance ${instance.name} is busy; try again.`);
}
