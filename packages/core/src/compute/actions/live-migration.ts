/**
 * The steps of Nova's live migration (the verb: ./live-migrate-instance), after
 * `openstack server migrate --live-migration [--host H]` (cloud admins): the running (or paused) guest moves to another host without stopping, on the move seams of
 * ./move-begin (refusals, the destination chosen and claimed, the source's allocation handed to
 * the migration) and the task chain of ./move:
 *
 *   live_migrate           destination (pre_live_migration): ports plugged, for a block migration
 *                          an empty root overlay on the image's cached base; answers where the
 *                          source is to send the guest (its migrateData)          migration: preparing
 *   live_migrate_source    source (live_migration): libvirt moves memory (and disk) peer to peer,
 *                          progress reported as it goes; then the source's leftovers go  running
 *   live_migrate_finish    destination (post_live_migration_at_destination): the guest runs here;
 *                          the instance's host is the destination from this step on
 *     ─▶ as it was (ACTIVE or PAUSED), the source's allocation freed             completed
 *
 * A failure before the guest moved leaves it on its source as it was, with a fault and the
 * destination's claim given back (migration `error`, Nova's rollback_live_migration); when the
 * source's move failed, the destination first undoes what it prepared (live_migrate_rollback).
 * A destination that cannot confirm the guest after it moved leaves the instance on the
 * destination with the power state found there (no domain: ERROR), as Nova's post-migration does.
 * Delete wins over every step (../delete-instance frees both allocations and tells both hosts).
 */
import { randomUUID } from "node:crypto";
import type { Executor } from "@nimbus/db";
import type { InstanceRow, InstanceTaskRow, MigrationRow } from "@nimbus/db/schema";
import { vmStateForPower, type PowerState, type VmState } from "../../instance/state-machine";
import { releaseMigrationConsumer } from "../../placement/claim";
import type { LiveMigrationTarget } from "../../protocol/agent";
import type { Announcements } from "../announce";
import { destroyCommandFor } from "../spawn-command";
import { setMigration } from "./migrations";
import type { TaskEnd } from "./task-end";

/** What ./move's chain needs to hand a step on (kept there: chainStep, endTask with the report's time). */
export interface LiveMigrationSteps {
  chain: (
    step: "live_migrate_source" | "live_migrate_finish" | "live_migrate_rollback",
    next: {
      hostId: string;
      commandId: string;
      params: Record<string, unknown>;
      columns?: Record<string, unknown>;
      failure?: { message: string };
    },
  ) => Promise<InstanceRow>;
  end: (end: TaskEnd) => Promise<InstanceRow>;
  /** The destination's claim given back and the source's allocation the instance's again. */
  swapBack: () => Promise<void>;
}

/** A step of a live migration reported done. */
export async function completeLiveMigrationStep(
  tx: Executor,
  out: Announcements,
  instance: InstanceRow,
  task: InstanceTaskRow,
  migration: MigrationRow,
  report: { powerState: PowerState; migrateData?: LiveMigrationTarget },
  steps: LiveMigrationSteps,
): Promise<InstanceRow> {
  const oldVmState = migration.oldVmState as VmState;
  switch (task.operation) {
    case "live_migrate": {
      if (!report.migrateData) {
        return failLiveMigrationStep(
          tx,
          out,
          instance,
          task,
          migration,
          { code: "ActionFailed", message: "The destination did not say where to send the guest." },
          steps,
        );
      }
      await setMigration(tx, migration.id, { status: "running" });
      const ports = (await destroyCommandFor(tx, instance.id, randomUUID())).ports;
      return steps.chain("live_migrate_source", {
        hostId: migration.sourceHostId!,
        commandId: randomUUID(),
        params: { migrationId: migration.id, blockMigration: task.params.blockMigration !== false, target: report.migrateData, ports },
      });
    }
    case "live_migrate_source":
      // The guest left the source: from here it is the destination's (Nova's post_live_migration sets instance.host).
      return steps.chain("live_migrate_finish", {
        hostId: migration.destHostId!,
        commandId: randomUUID(),
        params: { migrationId: migration.id },
        columns: { hostId: migration.destHostId!, lastReportSeq: -1 },
      });
    case "live_migrate_finish": {
      for (const hostId of await releaseMigrationConsumer(tx, migration.id)) out.host(hostId);
      await setMigration(tx, migration.id, { status: "completed", finishedAt: new Date() });
      return steps.end({ vmState: vmStateForPower(report.powerState) ?? oldVmState, powerState: report.powerState });
    }
    case "live_migrate_rollback": {
      // The destination undid its part; the guest never left its source.
      const failure = task.params.failure as { code: string; message: string } | undefined;
      const vmState = (task.params.vmState as VmState | undefined) ?? oldVmState;
      return steps.end({ vmState, fault: failure ?? { code: "ActionFailed", message: "The live migration failed." }, eventResult: "Success" });
    }
    default:
      throw new Error(`not a live migration step: ${task.operation}`);
  }
}

/** A step of a live migration failed (the host said so, went down, or did not finish in time). */
export async function failLiveMigrationStep(
  tx: Executor,
  out: Announcements,
  _instance: InstanceRow,
  task: InstanceTaskRow,
  migration: MigrationRow,
  failure: { code: string; message: string; powerState?: PowerState },
  steps: LiveMigrationSteps,
): Promise<InstanceRow> {
  const oldVmState = migration.oldVmState as VmState;
  const fault = { code: failure.code, message: `Live migration failed: ${failure.message}` };
  switch (task.operation) {
    case "live_migrate":
      // The destination undoes its own preparation when it fails; the guest never left its source.
      // Its power state is the destination's (no guest there): the instance keeps its own.
      await steps.swapBack();
      await setMigration(tx, migration.id, { status: "error" });
      return steps.end({ vmState: oldVmState, fault });
    case "live_migrate_source": {
      // libvirt aborted the move: the guest runs on its source as the source says.
      await steps.swapBack();
      await setMigration(tx, migration.id, { status: "error" });
      const vmState = failure.powerState ? (vmStateForPower(failure.powerState) ?? oldVmState) : oldVmState;
      const ports = (await destroyCommandFor(tx, task.instanceId, randomUUID())).ports;
      return steps.chain("live_migrate_rollback", {
        hostId: migration.destHostId!,
        commandId: randomUUID(),
        params: { migrationId: migration.id, ports, failure: fault, vmState },
        failure: fault,
      });
    }
    case "live_migrate_finish": {
      // The guest left its source (undefined there): it is the destination's, as the destination finds it.
      for (const hostId of await releaseMigrationConsumer(tx, migration.id)) out.host(hostId);
      await setMigration(tx, migration.id, { status: "error" });
      const vmState = failure.powerState ? (vmStateForPower(failure.powerState) ?? "error") : "error";
      return steps.end({ vmState, fault, ...(failure.powerState ? { powerState: failure.powerState } : {}) });
    }
    case "live_migrate_rollback": {
      // The guest is still on its source; what the destination prepared stays there until the host is reconciled.
      const earlier = task.params.failure as { code: string; message: string } | undefined;
      const vmState = (task.params.vmState as VmState | undefined) ?? oldVmState;
      const message = earlier ? `${earlier.message} Undoing the destination's preparation also failed: ${failure.message}` : fault.message;
      return steps.end({ vmState, fault: { code: earlier?.code ?? failure.code, message } });
    }
    default:
      throw new Error(`not a live migration step: ${task.operation}`);
  }
}
