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
 */
import { randomUUID } from "node:crypto";
import { schema, type Executor } from "@nimbus/db";
import { and, desc, eq, inArray, isNull } from "@nimbus/db/orm";
import type { InstanceRow, InstanceTaskRow, MigrationRow } from "@nimbus/db/schema";
import type { Services } from "../../context";
import { NimbusError } from "../../errors";
import { OPERATIONS, vmStateForPower, type InstanceOperation, type PowerState, type VmState } from "../../instance/state-machine";
import {
  claimResources,
  moveAllocationsFromMigration,
  moveAllocationsToMigration,
  releaseInstanceOwn,
  releaseMigrationConsumer,
} from "../../placement/claim";
import type { Resources } from "../../placement/types";
import { isUp } from "../../placement/usage";
import { enforceQuota } from "../../quota/enforce";
import { defaultFilters } from "../../scheduler/filters";
import { loadHostSnapshots } from "../../scheduler/host-states";
import { selectHosts } from "../../scheduler/select";
import type { Filter } from "../../scheduler/types";
import { weighersFor } from "../../scheduler/weighers";
import type { Announcements } from "../announce";
import { hostnameOf } from "../lifecycle";
import { destroyCommandFor, spawnCommandFor } from "../spawn-command";
import { endTask, openTaskEvent, setPortStatus, type TaskEnd, type TaskPreparation } from "./task-end";

export const MOVE_OPERATIONS: readonly InstanceOperation[] = [
  "resize",
  "migrate",
  "resize_finish",
  "confirm_resize",
  "revert_resize",
  "finish_revert",
  "evacuate",
];

export function isMoveOperation(operation: string): boolean {
  return (MOVE_OPERATIONS as readonly string[]).includes(operation);
}

/** Statuses of a migration that is not over: the instance's one move under way (or waiting in VERIFY_RESIZE). */
export const OPEN_MIGRATION_STATUSES = ["pre-migrating", "migrating", "finished", "confirming", "reverting", "accepted"] as const;

/** The knobs of the moves (Nova's allow_resize_to_same_host and resize_confirm_window). */
export type MoveServices = Pick<Services, "hostDownAfterMs" | "scheduler" | "allowResizeToSameHost">;

/** The migration of an instance that is not over, if any (the caller holds the instance's row lock). */
export async function openMigration(tx: Executor, instanceId: string): Promise<MigrationRow | undefined> {
  const [row] = await tx
    .select()
    .from(schema.migrations)
    .where(and(eq(schema.migrations.instanceId, instanceId), inArray(schema.migrations.status, [...OPEN_MIGRATION_STATUSES])))
    .orderBy(desc(schema.migrations.createdAt))
    .limit(1);
  return row;
}

async function setMigration(tx: Executor, migrationId: string, values: Partial<typeof schema.migrations.$inferInsert>): Promise<void> {
  await tx
    .update(schema.migrations)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(schema.migrations.id, migrationId));
}

// ───────────── begin: scheduling, claims, quota, the migration row ─────────────

export interface MoveRequest {
  kind: "resize" | "migrate" | "evacuate";
  /** resize: the new flavor. */
  flavorId?: string;
  /** migrate / evacuate: a named destination, checked by the filters unless `force`. */
  host?: string | null;
  force?: boolean;
}

/**
 * The begin transaction's part of a move (a `TaskPreparer`): refusals in plain words, the quota
 * check of an upsize, the destination chosen and claimed, the old allocation handed to the
 * migration, the migration row, and the instance's new columns.
 */
export async function prepareMove(tx: Executor, services: MoveServices, instance: InstanceRow, request: MoveRequest): Promise<TaskPreparation> {
  const source = instance.hostId!;
  const [sourceHost] = await tx.select().from(schema.computeHosts).where(eq(schema.computeHosts.id, source));
  if (!sourceHost) throw NimbusError.conflict(`Instance ${instance.name}'s host no longer exists.`);
  const sourceUp = isUp(sourceHost, services.hostDownAfterMs);
  if (request.kind === "evacuate" && sourceUp) {
    throw NimbusError.conflict(
      `Host ${sourceHost.hostname} is up: only the instances of a host that is down can be evacuated (migrate instance ${instance.name} instead).`,
    );
  }
  if (request.kind !== "evacuate" && !sourceUp) {
    throw NimbusError.conflict(
      `Host ${sourceHost.hostname} of instance ${instance.name} is down: it cannot take part in a ${request.kind}; evacuate the instance instead.`,
    );
  }
  const [volumes] = await tx
    .select({ n: schema.volumeAttachments.volumeId })
    .from(schema.volumeAttachments)
    .where(eq(schema.volumeAttachments.instanceId, instance.id))
    .limit(1);
  const old = { flavorId: instance.flavorId, vcpus: instance.vcpus, memoryMb: instance.memoryMb, rootGb: instance.rootGb };
  let next = old;
  if (request.kind === "resize") {
    const [flavor] = await tx.select().from(schema.flavors).where(eq(schema.flavors.id, request.flavorId!));
    if (!flavor || flavor.disabled)
      throw NimbusError.badRequest(`Flavor ${request.flavorId} does not exist.`, [{ path: "flavorId", message: "No such flavor." }]);
    if (flavor.id === instance.flavorId) {
      throw NimbusError.badRequest(`Instance ${instance.name} already has flavor ${flavor.name}: choose another flavor to resize to.`, [
        { path: "flavorId", message: "The instance already has this flavor." },
      ]);
    }
    if (flavor.rootGb < instance.rootGb) {
      throw NimbusError.badRequest(
        `Flavor ${flavor.name} has a ${flavor.rootGb} GB disk, smaller than instance ${instance.name}'s ${instance.rootGb} GB: a disk cannot shrink.`,
        [{ path: "flavorId", message: "Its disk is smaller than the instance's." }],
      );
    }
    next = { flavorId: flavor.id, vcpus: flavor.vcpus, memoryMb: flavor.memoryMb, rootGb: flavor.rootGb };
    // Nova's _check_quota_for_upsize: only what grows is asked for; nothing is freed until confirm.
    const cores = Math.max(0, next.vcpus - old.vcpus);
    const ram = Math.max(0, next.memoryMb - old.memoryMb);
    if (cores > 0 || ram > 0) await enforceQuota(tx, instance.projectId, { cores, ram });
  }
  if (volumes && request.kind !== "resize") {
    throw NimbusError.conflict(
      `Instance ${instance.name} has volumes attached, whose disks live on host ${sourceHost.hostname}: it cannot move to another host.`,
    );
  }

  const [migration] = await tx
    .insert(schema.migrations)
    .values({
      instanceId: instance.id,
      migrationType: request.kind === "resize" ? "resize" : request.kind === "migrate" ? "migration" : "evacuation",
      status: request.kind === "evacuate" ? "accepted" : "pre-migrating",
      sourceHostId: source,
      oldFlavorId: old.flavorId,
      newFlavorId: next.flavorId,
      oldVcpus: old.vcpus,
      oldMemoryMb: old.memoryMb,
      oldRootGb: old.rootGb,
      newVcpus: next.vcpus,
      newMemoryMb: next.memoryMb,
      newRootGb: next.rootGb,
      // An ERROR instance that is evacuated comes back running (Nova rebuilds it ACTIVE).
      oldVmState: instance.vmState === "stopped" ? "stopped" : "active",
    })
    .returning();
  await moveAllocationsToMigration(tx, instance.id, migration!.id);

  // The destination: the source is out for a migration and an evacuation, and for a resize when
  // allow_resize_to_same_host is off; an instance with volumes stays where its volumes are.
  const sameHostAllowed = request.kind === "resize" && (services.allowResizeToSameHost ?? true);
  const named = volumes ? sourceHost.hostname : (request.host ?? null);
  const resources: Resources = { vcpus: next.vcpus, memoryMb: next.memoryMb, diskGb: next.rootGb };
  const dest = await claimDestination(tx, services, instance, {
    resources,
    excludeHostId: sameHostAllowed || volumes ? null : source,
    sourceHostname: sourceHost.hostname,
    host: named,
    force: request.force === true || Boolean(volumes),
    what: request.kind,
  });
  await setMigration(tx, migration!.id, { destHostId: dest.id });

  const sameHost = dest.id === source;
  const commandId = randomUUID();
  const params: Record<string, unknown> = { migrationId: migration!.id };
  const columns: Partial<typeof schema.instances.$inferInsert> = { ...next };
  if (request.kind === "evacuate") {
    // Rebuilt on the destination from its image: the task runs there, and its reports are the instance's now.
    Object.assign(params, {
      sameHost: false,
      powerOn: instance.vmState !== "stopped",
      spawn: await spawnFor(tx, instance, dest.id, commandId, next),
    });
    Object.assign(columns, { hostId: dest.id, lastReportSeq: -1 });
    await forgetConsole(tx, instance.id);
    return { hostId: dest.id, params, columns, details: { from_host: sourceHost.hostname, to_host: dest.hostname } };
  }
  params.sameHost = sameHost;
  return {
    params,
    columns,
    details: { from_host: sourceHost.hostname, to_host: dest.hostname, ...(request.kind === "resize" ? { flavor_id: next.flavorId } : {}) },
  };
}

/** The spawn command of the guest on `hostId` with the sizes of `flavor` (read in the caller's transaction). */
async function spawnFor(
  tx: Executor,
  instance: InstanceRow,
  hostId: string,
  commandId: string,
  flavor: { vcpus: number; memoryMb: number; rootGb: number },
): Promise<unknown> {
  const spawn = await spawnCommandFor(tx, instance.id, hostId, commandId);
  if (!spawn) throw NimbusError.notFound("Instance", instance.id);
  return { ...spawn, instance: { ...spawn.instance, vcpus: flavor.vcpus, memoryMb: flavor.memoryMb, rootGb: flavor.rootGb } };
}

/** The instance's own host, left out of a migration's and an evacuation's choice. */
function notSourceFilter(sourceId: string): Filter {
  return { name: "SourceHostFilter", check: (host) => (host.id === sourceId ? { reason: "the instance's own host" } : null) };
}

/**
 * Nova's select_destinations for a move, in the begin transaction: filters and weighs every host
 * (a named host is the only candidate, still filtered; forced, it skips the filters), then claims
 * the best in placement, falling back on the alternates and re-reading after a lost race.
 */
async function claimDestination(
  tx: Executor,
  services: MoveServices,
  instance: InstanceRow,
  options: {
    resources: Resources;
    excludeHostId: string | null;
    sourceHostname: string;
    host: string | null;
    force: boolean;
    what: MoveRequest["kind"];
  },
): Promise<{ id: string; hostname: string }> {
  const { resources } = options;
  const describe = `${resources.vcpus} vCPUs, ${resources.memoryMb} MB RAM, ${resources.diskGb} GB disk`;
  if (options.host && options.force) {
    const [host] = await tx.select().from(schema.computeHosts).where(eq(schema.computeHosts.hostname, options.host));
    if (!host) throw NimbusError.badRequest(`There is no compute host named ${options.host}.`, [{ path: "host", message: "No such host." }]);
    if (host.id === options.excludeHostId) throw NimbusError.conflict(`Host ${host.hostname} is instance ${instance.name}'s own host: name another.`);
    if (!isUp(host, services.hostDownAfterMs)) throw NimbusError.conflict(`Host ${host.hostname} is down: it cannot take instance ${instance.name}.`);
    for (let attempt = 0; attempt < 5; attempt++) {
      const [fresh] = await tx
        .select({ generation: schema.computeHosts.generation })
        .from(schema.computeHosts)
        .where(eq(schema.computeHosts.id, host.id));
      const outcome = await claimResources(tx, { hostId: host.id, generation: fresh!.generation, instanceId: instance.id, resources });
      if (outcome === "claimed") return { id: host.id, hostname: host.hostname };
      if (outcome === "insufficient")
        throw NimbusError.conflict(`Host ${host.hostname} has no room left for instance ${instance.name} (${describe}).`);
    }
    throw NimbusError.conflict(`Host ${host.hostname} is busy; try again.`);
  }
  const [image] = instance.imageId
    ? await tx.select({ properties: schema.images.properties }).from(schema.images).where(eq(schema.images.id, instance.imageId))
    : [];
  const spec = {
    ...resources,
    projectId: instance.projectId,
    imageProperties: (image?.properties ?? {}) as Record<string, string>,
    availabilityZone: instance.availabilityZone,
    forcedHost: options.host,
  };
  const filters = options.excludeHostId ? [notSourceFilter(options.excludeHostId), ...defaultFilters] : defaultFilters;
  const selectOptions = { filters, maxAttempts: 10, weighers: weighersFor(services.scheduler?.multipliers) };
  for (let round = 0; round < 5; round++) {
    const hosts = await loadHostSnapshots(tx, { downAfterMs: services.hostDownAfterMs });
    const result = selectHosts(hosts, spec, selectOptions);
    if (!result.ok) {
      throw new NimbusError(
        "NoValidHost",
        `No host can take instance ${instance.name} for this ${options.what} (${describe}): ${result.explanation}`,
      );
    }
    let lost = false;
    for (const chosen of result.hosts) {
      const snapshot = hosts.find((h) => h.id === chosen.id)!;
      const outcome = await claimResources(tx, { hostId: chosen.id, generation: snapshot.generation, instanceId: instance.id, resources });
      if (outcome === "claimed") return { id: chosen.id, hostname: chosen.hostname };
      if (outcome === "conflict") {
        lost = true;
        break;
      }
    }
    if (!lost) break;
  }
  throw NimbusError.conflict(`The hosts that could take instance ${instance.name} are busy; try again.`);
}

/** The begin part of confirm and revert: the migration waiting in VERIFY_RESIZE, and the host its step runs on. */
export async function prepareConfirmOrRevert(
  tx: Executor,
  instance: InstanceRow,
  operation: "confirm_resize" | "revert_resize",
): Promise<TaskPreparation> {
  const migration = await openMigration(tx, instance.id);
  if (migration?.status !== "finished") {
    throw NimbusError.conflict(`Instance ${instance.name} has no resize or migration waiting to be confirmed or reverted.`);
  }
  const sameHost = migration.sourceHostId === migration.destHostId;
  await setMigration(tx, migration.id, { status: operation === "confirm_resize" ? "confirming" : "reverting" });
  const ports = (await destroyCommandFor(tx, instance.id, randomUUID())).ports;
  if (operation === "confirm_resize") {
    // The source cleans up; a source that is gone has nothing left to clean.
    return { hostId: migration.sourceHostId ?? instance.hostId!, params: { migrationId: migration.id, sameHost, ports } };
  }
  const commandId = randomUUID();
  const old = { vcpus: migration.oldVcpus, memoryMb: migration.oldMemoryMb, rootGb: migration.oldRootGb };
  return {
    params: {
      migrationId: migration.id,
      sameHost,
      ports,
      powerOn: migration.oldVmState === "active",
      // On one host the revert is the whole of it: disk and flavor restored, guest as it was.
      spawn: await spawnFor(tx, instance, instance.hostId!, commandId, old),
    },
  };
}

// ───────────── the steps' ends ─────────────

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

/**
 * The guest's console log stored so far is its old host's: the new host's log starts again at
 * offset 0, and chunks are keyed by offset, so the old ones go (the console then shows the
 * guest's life on its new host, as Nova's console log does).
 */
async function forgetConsole(tx: Executor, instanceId: string): Promise<void> {
  await tx.delete(schema.instanceConsoleChunks).where(eq(schema.instanceConsoleChunks.instanceId, instanceId));
}

const oldColumns = (m: MigrationRow) => ({ flavorId: m.oldFlavorId!, vcpus: m.oldVcpus, memoryMb: m.oldMemoryMb, rootGb: m.oldRootGb });

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
  report: { powerState: PowerState; at?: string },
): Promise<InstanceRow> {
  const migration = await migrationOf(tx, task);
  const end = (e: TaskEnd) => endTask(tx, out, instance, task, { ...e, ...(report.at ? { reportedAt: report.at } : {}) });
  if (!migration)
    return end({ vmState: task.previousVmState as VmState, fault: { code: "MigrationMissing", message: "The move's record is gone." } });
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

/** Revert or failure: the new flavor's claim given back, the old one the instance's again, the old flavor's sizes back. */
async function swapBack(tx: Executor, out: Announcements, instance: InstanceRow, migration: MigrationRow): Promise<void> {
  for (const hostId of await releaseInstanceOwn(tx, instance.id)) out.host(hostId);
  await moveAllocationsFromMigration(tx, migration.id);
  out.host(migration.sourceHostId);
  await setColumns(tx, instance.id, oldColumns(migration));
}

async function migrationOf(tx: Executor, task: InstanceTaskRow): Promise<MigrationRow | undefined> {
  const id = task.params.migrationId;
  if (typeof id !== "string") return undefined;
  const [row] = await tx.select().from(schema.migrations).where(eq(schema.migrations.id, id));
  return row;
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

// ───────────── delete, auto-confirm, the evacuated host's return ─────────────

/**
 * A delete during a move: the migration ends in error and the host of the other side (the
 * source of a move under way or waiting in VERIFY_RESIZE) is returned, to be told to destroy
 * its guest too. Both allocations are freed by the delete itself (they are the instance's).
 */
export async function abandonMove(tx: Executor, instance: InstanceRow): Promise<string | null> {
  const migration = await openMigration(tx, instance.id);
  if (!migration) return null;
  await setMigration(tx, migration.id, { status: "error" });
  const other = [migration.sourceHostId, migration.destHostId].find((h) => h && h !== instance.hostId);
  return other ?? null;
}

/** Migrations in VERIFY_RESIZE longer than the confirm window (Nova's _poll_unconfirmed_resizes). */
export async function unconfirmedResizes(db: Executor, windowMs: number, limit = 50): Promise<string[]> {
  const before = new Date(Date.now() - windowMs);
  const rows = await db
    .select({ instanceId: schema.migrations.instanceId, finishedAt: schema.migrations.finishedAt })
    .from(schema.migrations)
    .innerJoin(schema.instances, eq(schema.instances.id, schema.migrations.instanceId))
    .where(and(eq(schema.migrations.status, "finished"), eq(schema.instances.vmState, "resized")))
    .orderBy(schema.migrations.finishedAt)
    .limit(limit);
  return rows.filter((r) => r.finishedAt && r.finishedAt <= before).map((r) => r.instanceId);
}

/**
 * Nova's `_destroy_evacuated_instances`: the domains a host that comes back still has of
 * instances evacuated away from it, and those evacuations marked completed (their guest on the
 * returning host is gone, or about to be).
 */
export async function evacuatedFrom(db: Executor, hostId: string, domains: readonly string[]): Promise<string[]> {
  const rows = await db
    .select({ id: schema.migrations.id, instanceId: schema.migrations.instanceId })
    .from(schema.migrations)
    .where(and(eq(schema.migrations.sourceHostId, hostId), eq(schema.migrations.migrationType, "evacuation"), eq(schema.migrations.status, "done")));
  if (rows.length === 0) return [];
  await db
    .update(schema.migrations)
    .set({ status: "completed", updatedAt: new Date() })
    .where(
      inArray(
        schema.migrations.id,
        rows.map((r) => r.id),
      ),
    );
  const onHost = new Set(domains);
  return [...new Set(rows.map((r) => r.instanceId).filter((id) => onHost.has(id)))];
}

/** Instances with a move under way or waiting whose other side is `hostId` (its guest there is not an orphan). */
export async function movingThrough(db: Executor, hostId: string): Promise<Set<string>> {
  const rows = await db
    .select({ instanceId: schema.migrations.instanceId })
    .from(schema.migrations)
    .where(and(inArray(schema.migrations.status, [...OPEN_MIGRATION_STATUSES]), eq(schema.migrations.sourceHostId, hostId)));
  const dest = await db
    .select({ instanceId: schema.migrations.instanceId })
    .from(schema.migrations)
    .where(and(inArray(schema.migrations.status, [...OPEN_MIGRATION_STATUSES]), eq(schema.migrations.destHostId, hostId)));
  return new Set([...rows, ...dest].map((r) => r.instanceId));
}
