import { schema, type Executor } from "@nimbus/db";
import { and, eq, gt, inArray, isNotNull, ne, sql, type AnyColumn, type SQL } from "@nimbus/db/orm";
import type { AggregateInfo, HostState, Inventory, RequestSpec, ResourceClass } from "../scheduler/types";

type HostRow = typeof schema.computeHosts.$inferSelect;

export interface HostSnapshot extends HostState {
  generation: number;
}

export function inventoriesOf(host: HostRow, used: Partial<Record<ResourceClass, number>>): Record<ResourceClass, Inventory> {
  return {
    VCPU: { total: host.vcpusTotal, reserved: host.vcpusReserved, allocationRatio: host.cpuAllocationRatio, used: used.VCPU ?? 0 },
    MEMORY_MB: { total: host.memoryMbTotal, reserved: host.memoryMbReserved, allocationRatio: host.ramAllocationRatio, used: used.MEMORY_MB ?? 0 },
    DISK_GB: { total: host.diskGbTotal, reserved: host.diskGbReserved, allocationRatio: host.diskAllocationRatio, used: used.DISK_GB ?? 0 },
  };
}

export function isUp(host: Pick<HostRow, "agentSessionId" | "lastHeartbeatAt">, downAfterMs: number, now = Date.now()): boolean {
  return host.agentSessionId !== null && host.lastHeartbeatAt !== null && now - host.lastHeartbeatAt.getTime() <= downAfterMs;
}

/** Usage per host and resource class, from placement allocations. */
export async function usageByHost(db: Executor, hostIds?: readonly string[]): Promise<Map<string, Partial<Record<ResourceClass, number>>>> {
  const rows = await db
    .select({ hostId: schema.allocations.hostId, rc: schema.allocations.resourceClass, used: sql<number>`sum(${schema.allocations.used})::int` })
    .from(schema.allocations)
    .where(hostIds ? inArray(schema.allocations.hostId, [...hostIds]) : undefined)
    .groupBy(schema.allocations.hostId, schema.allocations.resourceClass);
  const byHost = new Map<string, Partial<Record<ResourceClass, number>>>();
  for (const r of rows) byHost.set(r.hostId, { ...byHost.get(r.hostId), [r.rc]: r.used });
  return byHost;
}

export async function instanceCountByHost(db: Executor): Promise<Map<string, number>> {
  const rows = await db
    .select({ hostId: schema.instances.hostId, n: sql<number>`count(*)::int` })
    .from(schema.instances)
    .where(and(ne(schema.instances.vmState, "deleted"), isNotNull(schema.instances.hostId)))
    .groupBy(schema.instances.hostId);
  return new Map(rows.map((r) => [r.hostId!, r.n]));
}

export async function aggregatesByHost(db: Executor): Promise<Map<string, AggregateInfo[]>> {
  const rows = await db
    .select({
      hostId: schema.aggregateHosts.hostId,
      name: schema.aggregates.name,
      availabilityZone: schema.aggregates.availabilityZone,
      tenantProjectIds: schema.aggregates.tenantProjectIds,
    })
    .from(schema.aggregateHosts)
    .innerJoin(schema.aggregates, eq(schema.aggregates.id, schema.aggregateHosts.aggregateId));
  const byHost = new Map<string, AggregateInfo[]>();
  for (const { hostId, ...aggregate } of rows) byHost.set(hostId, [...(byHost.get(hostId) ?? []), aggregate]);
  return byHost;
}

/**
 * Placement's allocation-candidates prefilter, in SQL: enabled, up hosts whose free capacity
 * after ratios and reserved fits the request. Like Nova's max_placement_results, at most
 * `limit` candidates come back; the pure filters and weighers then work on those.
 */
function candidateCondition(spec: RequestSpec, downAfterMs: number): SQL {
  const h = schema.computeHosts;
  const used = (rc: ResourceClass) =>
    sql`coalesce((select sum(a.used) from ${schema.allocations} a where a.host_id = ${h.id} and a.resource_class = ${rc}), 0)`;
  const fits = (total: AnyColumn, reserved: AnyColumn, ratio: AnyColumn, rc: ResourceClass, amount: number) =>
    sql`floor((${total} - ${reserved}) * ${ratio}) - ${used(rc)} >= ${amount}`;
  return and(
    eq(h.enabled, true),
    isNotNull(h.agentSessionId),
    gt(h.lastHeartbeatAt, new Date(Date.now() - downAfterMs)),
    fits(h.memoryMbTotal, h.memoryMbReserved, h.ramAllocationRatio, "MEMORY_MB", spec.memoryMb),
    fits(h.vcpusTotal, h.vcpusReserved, h.cpuAllocationRatio, "VCPU", spec.vcpus),
    fits(h.diskGbTotal, h.diskGbReserved, h.diskAllocationRatio, "DISK_GB", spec.diskGb),
  )!;
}

export interface SnapshotQuery {
  downAfterMs: number;
  /** With a request: only placement candidates for it (fast path); without: every host. */
  candidatesFor?: RequestSpec;
  limit?: number;
}

/** What the scheduler needs about hosts: inventories, usage, instance counts, aggregates. */
export async function loadHostSnapshots(db: Executor, query: SnapshotQuery): Promise<HostSnapshot[]> {
  const hostsQuery = db.select().from(schema.computeHosts);
  const hosts = query.candidatesFor
    ? await hostsQuery.where(candidateCondition(query.candidatesFor, query.downAfterMs)).limit(query.limit ?? 1000)
    : await hostsQuery;
  if (hosts.length === 0) return [];
  const ids = query.candidatesFor ? hosts.map((h) => h.id) : undefined;
  const [usage, counts, aggregates] = await Promise.all([usageByHost(db, ids), instanceCountByHost(db), aggregatesByHost(db)]);
  const now = Date.now();
  return hosts.map((h) => ({
    id: h.id,
    hostname: h.hostname,
    enabled: h.enabled,
    disabledReason: h.disabledReason,
    up: isUp(h, query.downAfterMs, now),
    hypervisorType: h.hypervisorType,
    architecture: h.cpuModel || null,
    instanceCount: counts.get(h.id) ?? 0,
    failedBuilds: h.failedBuilds,
    aggregates: aggregates.get(h.id) ?? [],
    inventories: inventoriesOf(h, usage.get(h.id) ?? {}),
    generation: h.generation,
  }));
}
