/**
 * How a task ends (./task's seam, shared with the moves of ./move): the action's compute event
 * opened and closed, the instance's state and fault written, its ports following, an ERROR
 * giving back its allocation, the task row gone. Apart from ./task so that ./move, which
 * ./task calls on a failure, needs nothing of ./task itself.
 */
import { schema, type Executor } from "@nimbus/db";
import { and, count, eq, isNull, ne } from "@nimbus/db/orm";
import type { InstanceRow, InstanceTaskRow } from "@nimbus/db/schema";
import { OPERATIONS, portStatusFor, type InstanceOperation, type PowerState, type VmState } from "../../instance/state-machine";
import type { Announcements } from "../announce";
import { hostnameOf, releaseAllocations } from "../lifecycle";

/**
 * Work an action does in the begin transaction, under the instance's row lock, once the state
 * machine allowed it (a move's scheduling, placement claims and migration record): it may run
 * the task on another host than the instance's, add parameters, and set instance columns.
 */
export type TaskPreparer = (tx: Executor, instance: InstanceRow, out: Announcements) => Promise<TaskPreparation>;
export interface TaskPreparation {
  hostId?: string;
  params?: Record<string, unknown>;
  columns?: Partial<typeof schema.instances.$inferInsert>;
  /** Audit details beyond the name and the state it was in. */
  details?: Record<string, unknown>;
}

/** Opens the action's compute event (compute_stop_instance, …) once, on the host that runs it. */
export async function openTaskEvent(tx: Executor, out: Announcements, instance: InstanceRow, task: InstanceTaskRow): Promise<void> {
  const spec = OPERATIONS[task.operation as InstanceOperation];
  const [existing] = await tx
    .select({ n: count() })
    .from(schema.instanceActionEvents)
    .where(and(eq(schema.instanceActionEvents.actionId, task.actionId), eq(schema.instanceActionEvents.event, spec.event)));
  if ((existing?.n ?? 0) > 0) return;
  const [opened] = await tx
    .insert(schema.instanceActionEvents)
    .values({ actionId: task.actionId, instanceId: instance.id, event: spec.event, startTime: new Date(), host: await hostnameOf(tx, task.hostId) })
    .returning();
  if (opened) out.event(instance.projectId, opened);
}

export interface TaskEnd {
  /** What the instance becomes. */
  vmState: VmState;
  powerState?: PowerState;
  /** Set for a failure: the fault and the event's result. */
  fault?: { code: string; message: string };
  reportedAt?: string;
  /** The last step's own result when it differs from the action's (a rollback that worked after a failed move). */
  eventResult?: "Success" | "Error";
}

/**
 * Ends `task`: the instance leaves its task state for `end.vmState` (a fault written for a
 * failure, cleared for a success), its ports follow (ACTIVE while the guest has its NICs), an
 * instance that ends in ERROR gives back its allocation, the compute event and the action close
 * with the result, and the task row goes. Announced by the caller's flush.
 */
export async function endTask(tx: Executor, out: Announcements, instance: InstanceRow, task: InstanceTaskRow, end: TaskEnd): Promise<InstanceRow> {
  const now = new Date();
  const failed = end.fault !== undefined;
  await openTaskEvent(tx, out, instance, task);
  const closed = await tx
    .update(schema.instanceActionEvents)
    .set({
      finishTime: now,
      result: end.eventResult ?? (failed ? "Error" : "Success"),
      ...(failed && end.eventResult !== "Success" ? { details: end.fault!.message } : {}),
    })
    .where(and(eq(schema.instanceActionEvents.actionId, task.actionId), isNull(schema.instanceActionEvents.finishTime)))
    .returning();
  for (const row of closed) out.event(instance.projectId, row, end.reportedAt);
  await tx
    .update(schema.instanceActions)
    .set({ finishTime: now, ...(failed ? { message: end.fault!.message } : {}) })
    .where(eq(schema.instanceActions.id, task.actionId));
  await tx.delete(schema.instanceTasks).where(eq(schema.instanceTasks.instanceId, task.instanceId));
  if (end.vmState === "error") await releaseAllocations(tx, out, instance.id);
  const [updated] = await tx
    .update(schema.instances)
    .set({
      vmState: end.vmState,
      taskState: null,
      updatedAt: now,
      ...(end.powerState ? { powerState: end.powerState } : {}),
      fault: failed ? { code: end.fault!.code, message: end.fault!.message, createdAt: now.toISOString() } : null,
    })
    .where(eq(schema.instances.id, instance.id))
    .returning();
  await setPortStatus(tx, instance.id, end.vmState);
  out.instance(updated!, await hostnameOf(tx, updated!.hostId));
  out.host(updated!.hostId);
  return updated!;
}

/** Ports are ACTIVE while the guest has its NICs on the host (running or paused), DOWN otherwise. */
export async function setPortStatus(tx: Executor, instanceId: string, vmState: VmState): Promise<void> {
  const status = portStatusFor(vmState);
  await tx
    .update(schema.ports)
    .set({ status })
    .where(and(eq(schema.ports.instanceId, instanceId), ne(schema.ports.status, status)));
}
