import { rowsOf, schema, type Executor } from "@nimbus/db";
import { and, eq, isNull, sql, type SQL } from "@nimbus/db/orm";
import type { ResourceClass, Resources } from "./types";

export type ClaimOutcome = "claimed" | "conflict" | "insufficient";

const h = schema.computeHosts;

/** free = floor((total − reserved) × ratio) − used, for one resource class, in SQL. */
function freeSql(rc: ResourceClass) {
  switch (rc) {
    case "VCPU":
      return sql`floor((${h.vcpusTotal} - ${h.vcpusReserved}) * ${h.cpuAllocationRatio}) - ${h.vcpusUsed}`;
    case "MEMORY_MB":
      return sql`floor((${h.memoryMbTotal} - ${h.memoryMbReserved}) * ${h.ramAllocationRatio}) - ${h.memoryMbUsed}`;
    case "DISK_GB":
      return sql`floor((${h.diskGbTotal} - ${h.diskGbReserved}) * ${h.diskAllocationRatio}) - ${h.diskGbUsed}`;
  }
}
export { freeSql };

/**
 * Writes the instance's allocations on a host in one transaction guarded by the host's
 * generation (compare-and-swap): the UPDATE succeeds only if nobody claimed on the host since
 * `generation` was read AND the request still fits, so a host is never over-committed whatever
 * the interleaving. On a lost race the caller re-reads and retries.
 */
export async function claimResources(
  db: Executor,
  claim: { hostId: string; generation: number; instanceId: string; resources: Resources },
): Promise<ClaimOutcome> {
  return (await claimResourcesThen(db, claim)).outcome;
}

/**
 * What runs in the claim's own statement, only if it claimed: common table expressions that
 * may refer to `claimed` (exists (select 1 from claimed)), and a scalar subquery over them,
 * returned as `followed`. Saves the round trip a separate statement after the claim would cost.
 */
export interface ClaimFollowUp {
  ctes: SQL;
  result: SQL;
}

/** `claimResources`, and `followUp` in the same statement; `followed` is its result (null without one). */
export async function claimResourcesThen(
  db: Executor,
  { hostId, generation, instanceId, resources }: { hostId: string; generation: number; instanceId: string; resources: Resources },
  followUp?: ClaimFollowUp,
): Promise<{ outcome: ClaimOutcome; followed: unknown }> {
  // One statement, so one round trip and atomic without an explicit transaction: the guarded
  // UPDATE of the provider and the INSERT of the allocations it allows, and the host's
  // generation as the statement found it, to tell a lost race from a host that is full.
  const result = await db.execute(sql`
    with claimed as (
      update ${h} set
        generation = ${generation + 1},
        vcpus_used = vcpus_used + ${resources.vcpus},
        memory_mb_used = memory_mb_used + ${resources.memoryMb},
        disk_gb_used = disk_gb_used + ${resources.diskGb}
      where id = ${hostId} and generation = ${generation}
        and ${freeSql("VCPU")} >= ${resources.vcpus}
        and ${freeSql("MEMORY_MB")} >= ${resources.memoryMb}
        and ${freeSql("DISK_GB")} >= ${resources.diskGb}
      returning id
    ), allocated as (
      insert into ${schema.allocations} (instance_id, host_id, resource_class, used)
      select ${instanceId}, claimed.id, v.rc::resource_class, v.used
      from claimed, (values ('VCPU', ${resources.vcpus}::int), ('MEMORY_MB', ${resources.memoryMb}::int), ('DISK_GB', ${resources.diskGb}::int)) as v(rc, used)
      where v.used > 0
      returning host_id
    )${followUp ? sql`, ${followUp.ctes}` : sql``}
    select exists (select 1 from claimed) as claimed, (select generation from ${h} where id = ${hostId}) as generation,
      ${followUp ? sql`(${followUp.result})` : sql`null`} as followed`);
  const [row] = rowsOf<{ claimed: boolean; generation: number | null; followed: unknown }>(result);
  if (row?.claimed) return { outcome: "claimed", followed: row.followed };
  // A generation that moved means someone claimed or released since it was read. (A claim that
  // commits while this statement runs can still look like "insufficient"; the scheduler
  // treats both alike: it tries the next alternate.)
  const outcome = row?.generation !== null && row?.generation !== undefined && row.generation !== generation ? "conflict" : "insufficient";
  return { outcome, followed: null };
}

/**
 * Deletes an instance's allocations, both its own and those a migration of it holds, and gives
 * the usage back to each host (bumping generations).
 */
export async function releaseConsumer(tx: Executor, instanceId: string): Promise<string[]> {
  return releaseWhere(tx, eq(schema.allocations.instanceId, instanceId));
}

/** Deletes only the instance's own allocations (not what a migration of it holds): a move's new flavor given back. */
export async function releaseInstanceOwn(tx: Executor, instanceId: string): Promise<string[]> {
  return releaseWhere(tx, and(eq(schema.allocations.instanceId, instanceId), isNull(schema.allocations.migrationId))!);
}

/** Deletes what a migration holds (the old flavor on the source host): a confirmed resize, a finished evacuation. */
export async function releaseMigrationConsumer(tx: Executor, migrationId: string): Promise<string[]> {
  return releaseWhere(tx, eq(schema.allocations.migrationId, migrationId));
}

/**
 * Placement's migration-based allocations: the instance's allocations become the migration's
 * (the old flavor stays held on the source while the new one is claimed on the destination).
 */
export async function moveAllocationsToMigration(tx: Executor, instanceId: string, migrationId: string): Promise<void> {
  await tx
    .update(schema.allocations)
    .set({ migrationId })
    .where(and(eq(schema.allocations.instanceId, instanceId), isNull(schema.allocations.migrationId)));
}

/** The reverse, on a revert or a failed move: what the migration held is the instance's again. */
export async function moveAllocationsFromMigration(tx: Executor, migrationId: string): Promise<void> {
  await tx.update(schema.allocations).set({ migrationId: null }).where(eq(schema.allocations.migrationId, migrationId));
}

async function releaseWhere(tx: Executor, where: SQL): Promise<string[]> {
  const released = await tx.delete(schema.allocations).where(where).returning();
  const byHost = new Map<string, Record<ResourceClass, number>>();
  for (const a of released) {
    const sums = byHost.get(a.hostId) ?? { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 };
    sums[a.resourceClass] += a.used;
    byHost.set(a.hostId, sums);
  }
  for (const [hostId, sums] of byHost) {
    await tx
      .update(h)
      .set({
        generation: sql`${h.generation} + 1`,
        vcpusUsed: sql`${h.vcpusUsed} - ${sums.VCPU}`,
        memoryMbUsed: sql`${h.memoryMbUsed} - ${sums.MEMORY_MB}`,
        diskGbUsed: sql`${h.diskGbUsed} - ${sums.DISK_GB}`,
      })
      .where(eq(h.id, hostId));
  }
  return [...byHost.keys()];
}

/** A host's usage as this process last left it. */
interface KnownUsage {
  generation: number;
  used: Record<ResourceClass, number>;
}

/**
 * The claims of one process, kept from racing each other. Requests scheduled side by side read
 * the same snapshot and, left alone, pick the same few best hosts, so all but one claim per
 * host lose the generation compare-and-swap and go round again. Here the usage each claim
 * leaves is remembered at once (as if it succeeds), so the next request sees it when it weighs
 * hosts; and claims on one host go out one after another, each expecting the generation the
 * previous one leaves. The compare-and-swap still decides: a claim that fails (another process
 * got there, a release happened) drops what was remembered about that host, and the next
 * snapshot read is the truth again.
 */
export class PlacementClaims {
  private readonly known = new Map<string, KnownUsage>();
  private readonly queues = new Map<string, Promise<unknown>>();

  /** Hosts as last known here: a snapshot older than this process's own claims on a host gets their usage. */
  refresh<T extends { id: string; generation: number; inventories: Record<ResourceClass, { used: number }> }>(hosts: T[]): T[] {
    return hosts.map((host) => {
      const known = this.known.get(host.id);
      if (!known) return host;
      if (known.generation <= host.generation) {
        this.known.delete(host.id);
        return host;
      }
      const inventories = { ...host.inventories };
      for (const rc of Object.keys(known.used) as ResourceClass[]) inventories[rc] = { ...inventories[rc], used: known.used[rc] };
      return { ...host, generation: known.generation, inventories };
    });
  }

  /** Claims on `host` (a snapshot passed through `refresh`) once the claims before it on that host are done. */
  claim(
    db: Executor,
    host: { id: string; generation: number; inventories: Record<ResourceClass, { used: number }> },
    { instanceId, resources }: { instanceId: string; resources: Resources },
    followUp?: ClaimFollowUp,
  ): Promise<{ outcome: ClaimOutcome; followed: unknown }> {
    const hostId = host.id;
    const base = this.known.get(hostId) ?? {
      generation: host.generation,
      used: { VCPU: host.inventories.VCPU.used, MEMORY_MB: host.inventories.MEMORY_MB.used, DISK_GB: host.inventories.DISK_GB.used },
    };
    const generation = base.generation;
    this.known.set(hostId, {
      generation: generation + 1,
      used: {
        VCPU: base.used.VCPU + resources.vcpus,
        MEMORY_MB: base.used.MEMORY_MB + resources.memoryMb,
        DISK_GB: base.used.DISK_GB + resources.diskGb,
      },
    });
    const claim = () => claimResourcesThen(db, { hostId, generation, instanceId, resources }, followUp);
    const run = (this.queues.get(hostId) ?? Promise.resolve()).then(claim, claim);
    const tail = run.catch(() => undefined);
    this.queues.set(hostId, tail);
    void tail.then(() => {
      if (this.queues.get(hostId) === tail) this.queues.delete(hostId);
    });
    const forget = () => {
      if ((this.known.get(hostId)?.generation ?? -1) > generation) this.known.delete(hostId);
    };
    return run.then(
      (claimed) => {
        if (claimed.outcome !== "claimed") forget();
        return claimed;
      },
      (error: unknown) => {
        forget();
        throw error;
      },
    );
  }
}
