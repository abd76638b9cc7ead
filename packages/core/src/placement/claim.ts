import { schema, type Executor } from "@nimbus/db";
import { eq, sql } from "@nimbus/db/orm";
import type { RequestSpec, ResourceClass } from "../scheduler/types";

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
  { hostId, generation, instanceId, spec }: { hostId: string; generation: number; instanceId: string; spec: RequestSpec },
): Promise<ClaimOutcome> {
  // One statement, so one round trip and atomic without an explicit transaction: the guarded
  // UPDATE of the provider and the INSERT of the allocations it allows.
  const result = await db.execute(sql`
    with claimed as (
      update ${h} set
        generation = ${generation + 1},
        vcpus_used = vcpus_used + ${spec.vcpus},
        memory_mb_used = memory_mb_used + ${spec.memoryMb},
        disk_gb_used = disk_gb_used + ${spec.diskGb}
      where id = ${hostId} and generation = ${generation}
        and ${freeSql("VCPU")} >= ${spec.vcpus}
        and ${freeSql("MEMORY_MB")} >= ${spec.memoryMb}
        and ${freeSql("DISK_GB")} >= ${spec.diskGb}
      returning id)
    insert into ${schema.allocations} (instance_id, host_id, resource_class, used)
    select ${instanceId}, claimed.id, v.rc::resource_class, v.used
    from claimed, (values ('VCPU', ${spec.vcpus}::int), ('MEMORY_MB', ${spec.memoryMb}::int), ('DISK_GB', ${spec.diskGb}::int)) as v(rc, used)
    where v.used > 0
    returning host_id`);
  if (rowsOf(result).length > 0) return "claimed";
  const [current] = await db.select({ generation: h.generation }).from(h).where(eq(h.id, hostId));
  return current && current.generation !== generation ? "conflict" : "insufficient";
}

/** Rows of a raw `execute`, whichever driver ran it (postgres.js: an array; PGlite: `.rows`). */
function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? rows : [];
}

/** Deletes a consumer's allocations and gives the usage back to each host (bumping generations). */
export async function releaseConsumer(tx: Executor, instanceId: string): Promise<string[]> {
  const released = await tx.delete(schema.allocations).where(eq(schema.allocations.instanceId, instanceId)).returning();
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
