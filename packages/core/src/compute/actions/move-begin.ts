/**
 * The begin of a move, in the verb's begin transaction (./move has the steps that follow):
 * plain-words refusals, the quota check of an upsize, the destination chosen by the scheduler's
 * filters and weighers and claimed in placement, the old allocation handed to the migration.
 */
import { randomUUID } from "node:crypto";
import { schema, type Executor } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import type { InstanceRow } from "@nimbus/db/schema";
import { NimbusError } from "../../errors";
import { claimResources, moveAllocationsToMigration } from "../../placement/claim";
import type { Resources } from "../../placement/types";
import { isUp } from "../../placement/usage";
import { enforceQuota } from "../../quota/enforce";
import { defaultFilters } from "../../scheduler/filters";
import { loadHostSnapshots } from "../../scheduler/host-states";
import { selectHosts } from "../../scheduler/select";
import type { Filter } from "../../scheduler/types";
import { weighersFor } from "../../scheduler/weighers";
import { destroyCommandFor } from "../spawn-command";
import { forgetConsole, openMigration, setMigration, spawnFor, type MoveServices } from "./migrations";
import type { TaskPreparation } from "./task-end";

export interface MoveRequest {
  kind: "resize" | "migrate" | "evacuate" | "live-migrate";
  /** resize: the new flavor. */
  flavorId?: string;
  /** migrate / evacuate / live-migrate: a named destination, checked by the filters unless `force`. */
  host?: string | null;
  force?: boolean;
  /** live-migrate: the disk is copied along (no shared storage). */
  blockMigration?: boolean;
}

const MIGRATION_TYPES = { resize: "resize", migrate: "migration", evacuate: "evacuation", "live-migrate": "live-migration" } as const;
const FIRST_STATUS = { resize: "pre-migrating", migrate: "pre-migrating", evacuate: "accepted", "live-migrate": "preparing" } as const;

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
      migrationType: MIGRATION_TYPES[request.kind],
      status: FIRST_STATUS[request.kind],
      sourceHostId: source,
      oldFlavorId: old.flavorId,
      newFlavorId: next.flavorId,
      oldVcpus: old.vcpus,
      oldMemoryMb: old.memoryMb,
      oldRootGb: old.rootGb,
      newVcpus: next.vcpus,
      newMemoryMb: next.memoryMb,
      newRootGb: next.rootGb,
      // An ERROR instance that is evacuated comes back running (Nova rebuilds it ACTIVE); a
      // live-migrated one ends as it was (ACTIVE or PAUSED).
      oldVmState: instance.vmState === "stopped" || instance.vmState === "paused" ? instance.vmState : "active",
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
  if (request.kind === "live-migrate") {
    // Nova's pre_live_migration: the destination prepares first, while the guest runs on its source.
    Object.assign(params, {
      blockMigration: request.blockMigration ?? true,
      paused: instance.vmState === "paused",
      spawn: await spawnFor(tx, instance, dest.id, commandId, next),
    });
    return {
      hostId: dest.id,
      params,
      columns: { progress: 0 },
      details: { from_host: sourceHost.hostname, to_host: dest.hostname, block_migration: request.blockMigration ?? true },
    };
  }
  params.sameHost = sameHost;
  return {
    params,
    columns,
    details: { from_host: sourceHost.hostname, to_host: dest.hostname, ...(request.kind === "resize" ? { flavor_id: next.flavorId } : {}) },
  };
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
