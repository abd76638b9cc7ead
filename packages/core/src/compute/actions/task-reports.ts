/**
 * What a host reports about actions and power (protocol 6), applied under the instance's row
 * lock by `recordReport` (../record-report) after its host and sequence checks:
 *
 *   task_started ─▶ the task's "started" state (reboot_started), the compute event open
 *   task_done    ─▶ the operation's vm_state, task cleared, fault cleared, ports follow
 *   task_failed  ─▶ the vm_state of the power state the host found, with the fault
 *   power_state  ─▶ Nova's power sync: an idle settled instance follows its guest
 *
 * A task report whose command is not the instance's running task (a delete won, the task timed
 * out or a hard reboot replaced it) changes no task: it is only word of the guest's power
 * state, taken as a power_state report is.
 */
import type { Executor } from "@nimbus/db";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import type { InstanceRow, InstanceTaskRow } from "@nimbus/db/schema";
import type { Services } from "../../context";
import {
  OPERATIONS,
  syncedVmState,
  taskStatesOf,
  type ActionTaskState,
  type InstanceOperation,
  type TaskState,
  type VmState,
} from "../../instance/state-machine";
import type { InstanceReport } from "../../protocol/agent";
import type { Announcements } from "../announce";
import { hostnameOf } from "../lifecycle";
import { forgetConsole, isMoveOperation } from "./migrations";
import { completeMoveStep } from "./move";
import { finishSnapshot } from "./snapshot-image";
import { currentTask, endTask, failTask, markAcknowledged, openTaskEvent, setPortStatus, setTaskState } from "./task";

export type TaskReportPhase = "task_started" | "task_done" | "task_failed" | "power_state" | "task_progress";

export function isTaskReport(phase: InstanceReport["phase"]): phase is TaskReportPhase {
  return phase === "task_started" || phase === "task_done" || phase === "task_failed" || phase === "power_state" || phase === "task_progress";
}

/** Applies one task or power report to a locked instance on the reporting host; "stale" when it changed nothing. */
export async function applyTaskReport(
  tx: Executor,
  out: Announcements,
  services: Pick<Services, "actionTimeoutMs">,
  instance: InstanceRow,
  report: InstanceReport & { phase: TaskReportPhase },
): Promise<"applied" | "stale"> {
  const task = report.phase === "power_state" ? undefined : await currentTask(tx, instance.id);
  if (report.phase === "task_progress") {
    // How far a running task is (a live migration's data sent): the instance's progress, pushed live; a stale one changes nothing.
    if (!task || task.commandId !== report.commandId || report.progress === undefined || report.progress === instance.progress) return "stale";
    const [updated] = await tx
      .update(schema.instances)
      .set({ progress: report.progress, updatedAt: new Date() })
      .where(eq(schema.instances.id, instance.id))
      .returning();
    out.instance(updated!, await hostnameOf(tx, updated!.hostId));
    return "applied";
  }
  if (!task || task.commandId !== report.commandId) return syncPowerState(tx, out, instance, report);
  const spec = OPERATIONS[task.operation as InstanceOperation];
  switch (report.phase) {
    case "task_started": {
      if (!task.ackedAt) await markAcknowledged(tx, out, services, instance, task);
      else await openTaskEvent(tx, out, instance, task);
      const [fresh] = await tx.select().from(schema.instances).where(eq(schema.instances.id, instance.id));
      // Never backwards: a snapshot's upload may have moved it past its "started" state already.
      const steps = taskStatesOf(task.operation as InstanceOperation);
      const later = fresh?.taskState ? steps.indexOf(fresh.taskState as ActionTaskState) > steps.indexOf(spec.startedTaskState!) : false;
      if (spec.startedTaskState && fresh && fresh.taskState !== spec.startedTaskState && !later)
        await setTaskState(tx, out, fresh, spec.startedTaskState);
      // A rebuilt guest starts its life again, its console log anew on the host (which stopped
      // streaming the old one before it began): the old log's chunks go, and it has not booted yet.
      if (task.operation === "rebuild") {
        await forgetConsole(tx, instance.id);
        await tx.update(schema.instances).set({ guestBootedAt: null }).where(eq(schema.instances.id, instance.id));
      }
      return "applied";
    }
    case "task_done":
      // A move's step ends in the next step or the move's own end (./move).
      if (isMoveOperation(task.operation))
        await completeMoveStep(tx, out, instance, task, { powerState: report.powerState, at: report.at, migrateData: report.migrateData });
      // A snapshot ends where its guest is, once its image is active (./snapshot-image).
      else if (spec.doneVmState === "unchanged") await finishSnapshot(tx, out, instance, task, { powerState: report.powerState, at: report.at });
      else
        await endTask(tx, out, instance, task, {
          vmState: doneVmStateOf(task, spec.doneVmState),
          powerState: report.powerState,
          reportedAt: report.at,
        });
      return "applied";
    case "task_failed":
      await failTask(tx, out, instance, task, {
        code: "ActionFailed",
        message: report.message ?? `The host could not ${spec.verb} the instance.`,
        powerState: report.powerState,
        reportedAt: report.at,
      });
      return "applied";
    case "power_state":
      return syncPowerState(tx, out, instance, report);
    default: {
      const unreachable: never = report.phase;
      throw new Error(`unknown task phase ${String(unreachable)}`);
    }
  }
}

/** Where a finished task leaves the instance: a rebuild of a SHUTOFF instance leaves it SHUTOFF (Nova keeps its power state). */
function doneVmStateOf(task: InstanceTaskRow, doneVmState: VmState): VmState {
  return task.operation === "rebuild" && task.params.powerOn === false ? "stopped" : doneVmState;
}

/**
 * Nova's `_sync_instance_power_state`: the power state is recorded, and an idle instance that has
 * settled on its host takes the vm_state its guest's power means (`syncedVmState`): a guest shut
 * down from inside is STOPPED, an action that timed out ends where its guest really is. The
 * action log gets a `power_sync` entry saying what changed, as Nova's stop by the sync shows one.
 */
async function syncPowerState(tx: Executor, out: Announcements, instance: InstanceRow, report: InstanceReport): Promise<"applied" | "stale"> {
  const vmState = instance.vmState as VmState;
  const target = syncedVmState(vmState, instance.taskState as TaskState | null, report.powerState);
  if (!target) {
    if (instance.taskState === null && instance.powerState !== report.powerState && report.powerState !== "nostate" && vmState !== "error") {
      const [updated] = await tx
        .update(schema.instances)
        .set({ powerState: report.powerState, updatedAt: new Date() })
        .where(eq(schema.instances.id, instance.id))
        .returning();
      out.instance(updated!, await hostnameOf(tx, updated!.hostId));
      return "applied";
    }
    return "stale";
  }
  const now = new Date();
  const host = await hostnameOf(tx, instance.hostId);
  const message = `The guest's power state on ${host ?? "its host"} is ${report.powerState}: the instance is now ${target.toUpperCase()} (it was ${vmState.toUpperCase()}).`;
  const [action] = await tx
    .insert(schema.instanceActions)
    .values({
      instanceId: instance.id,
      action: "power_sync",
      requestId: `req-power-sync-${instance.id.slice(0, 8)}-${report.seq}`,
      projectId: instance.projectId,
      startTime: now,
      finishTime: now,
      message,
    })
    .returning();
  const [event] = await tx
    .insert(schema.instanceActionEvents)
    .values({
      actionId: action!.id,
      instanceId: instance.id,
      event: "power_sync",
      startTime: now,
      finishTime: now,
      result: "Success",
      host,
      details: message,
    })
    .returning();
  out.event(instance.projectId, event!, report.at);
  const [updated] = await tx
    .update(schema.instances)
    .set({ vmState: target, powerState: report.powerState, updatedAt: now })
    .where(eq(schema.instances.id, instance.id))
    .returning();
  await setPortStatus(tx, instance.id, target);
  out.instance(updated!, host);
  return "applied";
}
