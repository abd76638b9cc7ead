/**
 * The moves of an instance (Nova's resize, cold migrate and evacuate) on the task framework of
 * ./task: each is a chain of steps, one task at a time, each step a typed `instance.action` on
 * the host that must do it, the chain recorded in a `migrations` row:
 *
 *   resize / migrate   source: guest powered off (resize_prep ─▶ resize_migrating)
 *     ─▶ resize_finish destination: guest defined on the new flavor, disk grown, started as
 *        it was (resize_migrated ─▶ resize_finish) ─▶ RESIZED (VERIFY_RESIZE)
 *   confirm_resize     source: the old guest removed (same host: the disk's backup) ─▶ as before
 *   revert_resize      destination: the new guest removed (same host: disk and flavor restored)
 *     ─▶ finish_revert source: the old guest started as it was ─▶ as before, old flavor
 *   evacuate           destination: rebuilt from the image, same ports (rebuilding ─▶
 *                      rebuild_spawning) ─▶ as before; the down source is cleaned when it is back
 *
 * Placement, as Nova's migration-based allocations: at the begin the instance's allocation
 * (the old flavor on the source) becomes the migration's and the new flavor is claimed on the
 * destination for the instance, in the begin transaction; confirm frees the migration's, revert
 * frees the instance's and gives it the migration's back. Quota counts the larger flavor from
 * the begin: the instance's columns carry the new flavor, and a migration under way adds what
 * its old flavor has more (../../quota/enforce, `computeUsage`).
 *
 * A step that fails before RESIZED puts everything back (flavor, host, allocations) and, when
 * the guest was already powered off on the source, first powers it on there again
 * (finish_revert), so the instance ends as it was, with the fault. Delete wins over every step
 * (../delete-instance frees both allocations and tells both hosts).
 */ import { randomUUID } from "node:crypto";
import { schema, type Executor } from "@nimbus/db";
import { and, eq, isNull } from "@nimbus/db/orm";
import type { InstanceRow, InstanceTaskRow, MigrationRow } from "@nimbus/db/schema";
import { OPERATIONS, vmStateForPower, type InstanceOperation, type PowerState, type VmState } from "../../instance/state-machine";
import { moveAllocationsFromMigration, releaseInstanceOwn, releaseMigrationConsumer } from "../../placement/claim";
import type { LiveMigrationTarget } from "../../protocol/agent";
import type { Announcements } from "../announce";
import { hostnameOf } from "../lifecycle";
import { forgetConsole, migrationOf, oldColumns, setMigration, spawnFor } from "./migrations";
import { completeLiveMigrationStep, failLiveMigrationStep, type LiveMigrationSteps } from "./live-migration";
import { endTask, openTaskEvent, setPortStatus, type TaskEnd } from "./task-end";

/** Replaces a finished step by the next one of the chain, on `hostId`; dispatched by the sweeper at once. */
async function chainStep(
  tx: Executor,
  out: Announcements,
  instance: InstanceRow,
  task: InstanceTaskRow,
  step: InstanceOperation,
  next: {
    hostId: string;
    commandId: string;
    params: Record<string, unknown>;
    columns?: Partial<typeof schema.instances.$inferInsert>;
    previousVmState?: VmState;
    /** The step that ended failed (a rollback follows): its event closes with the error. */
    failure?: { message: string };
  },
): Promise<InstanceRow> {
  const now = new Date();
  // The step's own compute event closes (opened now if its host never acknowledged it); the next opens on its acknowledgement.
  await openTaskEvent(tx, out, instance, task);
  const closed = await tx
    .update(schema.instanceActionEvents)
    .set({ finishTime: now, result: next.failure ? "Error" : "Success", ...(next.failure ? { details: next.failure.message } : {}) })
    .where(
      and(
        eq(schema.instanceActionEvents.actionId, task.actionId),
        eq(schema.instanceActionEvents.event, OPERATIONS[task.operation as InstanceOperation].event),
        isNull(schema.instanceActionEvents.finishTime),
      ),
    )
    .returning();
  for (const row of closed) out.event(instance.projectId, row);
  const [chained] = await tx
    .update(schema.instanceTasks)
    .set({
      operation: step,
      commandId: next.commandId,
      hostId: next.hostId,
      params: next.params,
      ackedAt: null,
      // Due now: the sweeper sends it within its next pass (and again until acknowledged).
      dueAt: new Date(now.getTime() - 1),
      dispatchedAt: now,
      ...(next.previousVmState ? { previousVmState: next.previousVmState } : {}),
    })
    .where(eq(schema.instanceTasks.instanceId, instance.id))
    .returning();
  // Sent after commit by whoever holds the transaction (and by the sweeper, should that not happen).
  if (chained) out.dispatch(chained);
  if (next.columns?.hostId && next.columns.hostId !== instance.hostId) await forgetConsole(tx, instance.id);
  const [updated] = await tx
    .update(schema.instances)
    .set({ taskState: OPERATIONS[step].taskState, updatedAt: now, ...next.columns })
    .where(eq(schema.instances.id, instance.id))
    .returning();
  out.instance(updated!, await hostnameOf(tx, updated!.hostId));
  out.host(next.hostId);
  return updated!;
}

async function setColumns(tx: Executor, instanceId: string, columns: Partial<typeof schema.instances.$inferInsert>): Promise<void> {
  await tx.update(schema.instances).set(columns).where(eq(schema.instances.id, instanceId));
}

/**
 * A step of a move reported done: the next step is chained, or the move's end written (the
 * instance's state, the migration's status, the allocations freed or swapped back).
 */
export async function completeMoveStep(
  tx: Executor,
  out: Announcements,
  instance: InstanceRow,
  task: InstanceTaskRow,
  report: { powerState: PowerState; at?: string; migrateData?: LiveMigrationTarget },
): Promise<InstanceRow> {
  const migration = await migrationOf(tx, task);
  const end = (e: TaskEnd) => endTask(tx, out, instance, task, { ...e, ...(report.at ? { reportedAt: report.at } : {}) });
  if (!migration)
    return end({ vmState: task.previousVmState as VmState, fault: { code: "MigrationMissing", message: "The move's record is gone." } });
  if (migration.migrationType === "live-migration") {
    return completeLiveMigrationStep(tx, out, instance, task, migration, report, liveSteps(tx, out, instance, task, migration, end));
  }
  const oldVmState = migration.oldVmState as VmState;
  switch (task.operation as InstanceOperation) {
    case "resize":
    case "migrate": {
      // The guest is off on the source: the destination defines it on the new flavor.
      await setMigration(tx, migration.id, { status: "migrating" });
      const dest = migration.destHostId!;
      const sameHost = dest === migration.sourceHostId;
      const commandId = randomUUID();
      const flavor = { vcpus: migration.newVcpus, memoryMb: migration.newMemoryMb, rootGb: migration.newRootGb };
      return chainStep(tx, out, instance, task, "resize_finish", {
        hostId: dest,
        commandId,
        params: {
          migrationId: migration.id,
          sameHost,
          powerOn: oldVmState === "active",
          spawn: await spawnFor(tx, instance, dest, commandId, flavor),
        },
        // Nova's finish_resize sets instance.host: from here the destination's reports are the instance's.
        columns: sameHost ? {} : { hostId: dest, lastReportSeq: -1 },
      });
    }
    case "resize_finish":
      await setMigration(tx, migration.id, { status: "finished", finishedAt: new Date() });
      return end({ vmState: "resized", powerState: report.powerState });
    case "confirm_resize": {
      for (const hostId of await releaseMigrationConsumer(tx, migration.id)) out.host(hostId);
      await setMigration(tx, migration.id, { status: "confirmed" });
      // The report is the source's (its old guest is gone): the instance's own power is unchanged.
      return end({ vmState: oldVmState });
    }
    case "revert_resize": {
      if (migration.sourceHostId === migration.destHostId || !migration.sourceHostId) {
        await swapBack(tx, out, instance, migration);
        await setMigration(tx, migration.id, { status: "reverted" });
        return end({ vmState: oldVmState, powerState: report.powerState });
      }
      // The new guest is gone from the destination: the source starts the old one again.
      await swapBack(tx, out, instance, migration);
      const commandId = randomUUID();
      return chainStep(tx, out, instance, task, "finish_revert", {
        hostId: migration.sourceHostId,
        commandId,
        params: {
          migrationId: migration.id,
          sameHost: false,
          powerOn: oldVmState === "active",
          spawn: await spawnFor(tx, instance, migration.sourceHostId, commandId, oldColumns(migration)),
        },
        columns: { ...oldColumns(migration), hostId: migration.sourceHostId, lastReportSeq: -1 },
        previousVmState: oldVmState,
      });
    }
    case "finish_revert": {
      const failure = task.params.failure as { code: string; message: string } | undefined;
      await setMigration(tx, migration.id, { status: failure ? "error" : "reverted" });
      const vmState = vmStateForPower(report.powerState) ?? oldVmState;
      // After a failed move the rollback itself worked: its event is a success, the action and the instance carry the fault.
      return end({ vmState, powerState: report.powerState, ...(failure ? { fault: failure, eventResult: "Success" as const } : {}) });
    }
    case "evacuate":
      for (const hostId of await releaseMigrationConsumer(tx, migration.id)) out.host(hostId);
      await setMigration(tx, migration.id, { status: "done" });
      return end({ vmState: oldVmState, powerState: report.powerState });
    default:
      throw new Error(`not a move step: ${task.operation}`);
  }
}

/** The chain's seams, as a live migration's steps use them (./live-migration). */
function liveSteps(
  tx: Executor,
  out: Announcements,
  instance: InstanceRow,
  task: InstanceTaskRow,
  migration: MigrationRow,
  end: (e: TaskEnd) => Promise<InstanceRow>,
): LiveMigrationSteps {
  return {
    chain: (step, next) => chainStep(tx, out, instance, task, step, next),
    end,
    swapBack: () => swapBack(tx, out, instance, migration),
  };
}

/** Revert or failure: the new flavor's claim given back, the old one the instance's again, the old flavor's sizes back. */
async function swapBack(tx: Executor, out: Announcements, instance: InstanceRow, migration: MigrationRow): Promise<void> {
  for (const hostId of await releaseInstanceOwn(tx, instance.id)) out.host(hostId);
  await moveAllocationsFromMigration(tx, migration.id);
  out.host(migration.sourceHostId);
  await setColumns(tx, instance.id, oldColumns(migration));
}

/**
 * A step of a move failed (the host said so, went down, or did not finish in time). Before
 * RESIZED: everything goes back (a guest already powered off on the source is powered on there
 * again first, by a finish_revert that ends with the fault). A failed confirm or revert leaves
 * it in VERIFY_RESIZE with the fault, to be tried again; a failed evacuation is ERROR.
 */
export async function failMove(
  tx: Executor,
  out: Announcements,
  instance: InstanceRow,
  task: InstanceTaskRow,
  failure: { code: string; message: string; powerState?: PowerState; reportedAt?: string },
): Promise<InstanceRow> {
  const migration = await migrationOf(tx, task);
  const fault = { code: failure.code, message: failure.message };
  const end = (e: TaskEnd) => endTask(tx, out, instance, task, { ...e, fault, ...(failure.reportedAt ? { reportedAt: failure.reportedAt } : {}) });
  const operation = task.operation as InstanceOperation;
  if (!migration) return end({ vmState: "error" });
  if (migration.migrationType === "live-migration") {
    const endWith = (e: TaskEnd) => endTask(tx, out, instance, task, { ...e, ...(failure.reportedAt ? { reportedAt: failure.reportedAt } : {}) });
    return failLiveMigrationStep(tx, out, instance, task, migration, failure, liveSteps(tx, out, instance, task, migration, endWith));
  }
  const oldVmState = migration.oldVmState as VmState;
  switch (operation) {
    case "resize":
    case "migrate": {
      // Still on the source: its guest is as the host says (or as it was).
      await swapBack(tx, out, instance, migration);
      if (failure.powerState === "shutdown" && oldVmState === "active") {
        // The host powered the guest off before it failed: on again, as it was, then the fault.
        const commandId = randomUUID();
        return chainStep(tx, out, instance, task, "finish_revert", {
          hostId: task.hostId,
          commandId,
          params: {
            migrationId: migration.id,
            sameHost: true,
            powerOn: true,
            spawn: await spawnFor(tx, instance, task.hostId, commandId, oldColumns(migration)),
            failure: fault,
          },
          previousVmState: oldVmState,
          failure: fault,
        });
      }
      await setMigration(tx, migration.id, { status: "error" });
      const vmState = failure.powerState ? (vmStateForPower(failure.powerState) ?? oldVmState) : oldVmState;
      return end({ vmState, ...(failure.powerState ? { powerState: failure.powerState } : {}) });
    }
    case "resize_finish": {
      // The guest was powered off on the source: back there, as it was, and then the fault.
      await swapBack(tx, out, instance, migration);
      const source = migration.sourceHostId ?? instance.hostId!;
      const commandId = randomUUID();
      return chainStep(tx, out, instance, task, "finish_revert", {
        hostId: source,
        commandId,
        params: {
          migrationId: migration.id,
          sameHost: source === migration.destHostId,
          powerOn: oldVmState === "active",
          spawn: await spawnFor(tx, instance, source, commandId, oldColumns(migration)),
          failure: fault,
        },
        columns: source === instance.hostId ? {} : { hostId: source, lastReportSeq: -1 },
        previousVmState: oldVmState,
        failure: fault,
      });
    }
    case "confirm_resize":
    case "revert_resize":
      // Still VERIFY_RESIZE; the auto-confirm waits a whole window again before it tries.
      await setMigration(tx, migration.id, { status: "finished", finishedAt: new Date() });
      return end({ vmState: "resized" });
    case "finish_revert": {
      await setMigration(tx, migration.id, { status: "error" });
      const earlier = task.params.failure as { code: string; message: string } | undefined;
      const message = earlier ? `${earlier.message} Putting it back on its host also failed: ${failure.message}` : failure.message;
      const vmState = failure.powerState ? (vmStateForPower(failure.powerState) ?? "error") : oldVmState;
      return endTask(tx, out, instance, task, {
        vmState,
        ...(failure.powerState ? { powerState: failure.powerState } : {}),
        fault: { code: failure.code, message },
      });
    }
    case "evacuate": {
      await setMigration(tx, migration.id, { status: "failed" });
      await setColumns(tx, instance.id, { ...oldColumns(migration), hostId: migration.sourceHostId, lastReportSeq: -1 });
      const updated = await end({ vmState: "error", powerState: "nostate" });
      await setPortStatus(tx, instance.id, "error");
      return updated;
    }
    default:
      throw new Error(`not a move step: ${task.operation}`);
  }
}
