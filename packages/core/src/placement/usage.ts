import { schema, type Executor } from "@nimbus/db";
import { and, asc, desc, eq, gt, inArray, isNotNull, ne, sql, type SQL } from "@nimbus/db/orm";
import { DEFAULT_AVAILABILITY_ZONE } from "../scheduler/filters";
import type { AggregateInfo, HostState, Inventory, RequestSpec, ResourceClass } from "../scheduler/types";
import { freeSql } from "./claim";

const h = schema.computeHosts;

export interface HostSnapshot extends HostState {
  generation: number;
}

type InventoryColumns = Pick<
  typeof h.$inferSelect,
  | "vcpusTotal"
  | "vcpusReserved"
  | "cpuAllocationRatio"
  | "vcpusUsed"
  | "memoryMbTotal"
  | "memoryMbReserved"
  | "ramAllocationRatio"
  | "memoryMbUsed"
  | "diskGbTotal"
  | "diskGbReserved"
  | "diskAllocationRatio"
  | "diskGbUsed"
>;

export function inventoriesOf(host: InventoryColumns): Record<ResourceClass, Inventory> {
  return {
    VCPU: { total: host.vcpusTotal, reserved: host.vcpusReserved, allocationRatio: host.cpuAllocationRatio, used: host.vcpusUsed },
    MEMORY_MB: { total: host.memoryMbTotal, reserved: host.memoryMbReserved, allocationRatio: host.ramAllocationRatio, used: host.memoryMbUsed },
    DISK_GB: { total: host.diskGbTotal, reserved: host.diskGbReserved, allocationRatio: host.diskAllocationRatio, used: host.diskGbUsed },
  };
}

export function isUp(host: { agentSessionId: string | null; lastHeartbeatAt: Date | null }, downAfterMs: number, now = Date.now()): boolean {
  return host.agentSessionId !== null && host.lastHeartbeatAt !== null && now - host.lastHeartbeatAt.getTime() <= downAfterMs;
}

/** Usage per host and resource class summed from the allocations themselves (the ground truth). */
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

export async function instanceCountByHost(db: Executor, hostIds?: readonly string[]): Promise<Map<string, number>> {
  const rows = await db
    .select({ hostId: schema.instances.hostId, n: sql<number>`count(*)::int` })
    .from(schema.instances)
    .where(and(ne(schema.instances.vmState, "deleted"), hostIds ? inArray(schema.instances.hostId, [...hostIds]) : isNotNull(schema.instances.hostId)))
    .groupBy(schema.instances.hostId);
  return new Map(rows.map((r) => [r.hostId!, r.n]));
}

export async function aggregatesByHost(db: Executor, hostIds?: readonly string[]): Promise<Map<string, AggregateInfo[]>> {
  const rows = await db
    .select({
      hostId: schema.aggregateHosts.hostId,
      name: schema.aggregates.name,
      availabilityZone: schema.aggregates.availabilityZone,
      tenantProjectIds: schema.aggregates.tenantProjectIds,
    })
    .from(schema.aggregateHosts)
    .innerJoin(schema.aggregates, eq(schema.aggregates.id, schema.aggregateHosts.aggregateId))
    .where(hostIds ? inArray(schema.aggregateHosts.hostId, [...hostIds]) : undefined);
  const byHost = new Map<string, AggregateInfo[]>();
  for (const { hostId, ...aggregate } of rows) byHost.set(hostId, [...(byHost.get(hostId) ?? []), aggregate]);
  return byHost;
}

/**
 * Host ids in an aggregate matching `where`: an uncorrelated subquery, so Postgres hashes it
 * once instead of probing per host.
 */
function hostsInAggregates(where: SQL): SQL {
  return sql`(select ah.host_id from ${schema.aggregateHosts} ah join ${schema.aggregates} ag on ag.id = ah.aggregate_id where ${where})`;
}

/**
 * Placement's allocation candidates plus Nova's request filters, in SQL: enabled, up hosts in
 * the requested zone, open to the project, whose free capacity fits. Ordered by free RAM in the
 * RAM weigher's direction and capped like Nova's max_placement_results; the pure filters and
 * weighers then decide among these.
 */
function candidateCondition(spec: RequestSpec, downAfterMs: number): SQL {
  const zone = spec.availabilityZone;
  const conditions: (SQL | undefined)[] = [
    eq(h.enabled, true),
    isNotNull(h.agentSessionId),
    gt(h.lastHeartbeatAt, new Date(Date.now() - downAfterMs)),
    sql`${freeSql("MEMORY_MB")} >= ${spec.memoryMb} and ${h.memoryMbTotal} >= ${spec.memoryMb}`,
    sql`${freeSql("VCPU")} >= ${spec.vcpus} and ${h.vcpusTotal} >= ${spec.vcpus}`,
    sql`${freeSql("DISK_GB")} >= ${spec.diskGb} and ${h.diskGbTotal} >= ${spec.diskGb}`,
    spec.forcedHost ? eq(h.hostname, spec.forcedHost) : undefined,
    zone
      ? zone === DEFAULT_AVAILABILITY_ZONE
        ? sql`${h.id} not in ${hostsInAggregates(sql`ag.availability_zone is not null and ag.availability_zone <> ${zone}`)}`
        : sql`${h.id} in ${hostsInAggregates(sql`ag.availability_zone = ${zone}`)}`
      : undefined,
    // Reserved aggregates take only their projects: drop hosts reserved, but not for this one.
    spec.projectId
      ? sql`${h.id} not in (${hostsInAggregates(sql`jsonb_array_length(ag.tenant_project_ids) > 0`)} except ${hostsInAggregates(sql`ag.tenant_project_ids ? ${spec.projectId}`)})`
      : undefined,
  ];
  return and(...conditions)!;
}

export interface SnapshotQuery {
  downAfterMs: number;
  /** With a request: only its candidates (fast path); without: every host. */
  candidatesFor?: RequestSpec;
  limit?: number;
  /** "spread" puts the hosts with most free RAM first, "pack" the fullest. */
  order?: "spread" | "pack";
}

const snapshotColumns = {
  id: h.id,
  hostname: h.hostname,
  enabled: h.enabled,
  disabledReason: h.disabledReason,
  agentSessionId: h.agentSessionId,
  lastHeartbeatAt: h.lastHeartbeatAt,
  hypervisorType: h.hypervisorType,
  cpuModel: h.cpuModel,
  failedBuilds: h.failedBuilds,
  generation: h.generation,
  vcpusTotal: h.vcpusTotal,
  vcpusReserved: h.vcpusReserved,
  cpuAllocationRatio: h.cpuAllocationRatio,
  vcpusUsed: h.vcpusUsed,
  memoryMbTotal: h.memoryMbTotal,
  memoryMbReserved: h.memoryMbReserved,
  ramAllocationRatio: h.ramAllocationRatio,
  memoryMbUsed: h.memoryMbUsed,
  diskGbTotal: h.diskGbTotal,
  diskGbReserved: h.diskGbReserved,
  diskAllocationRatio: h.diskAllocationRatio,
  diskGbUsed: h.diskGbUsed,
};

/** What the scheduler needs about hosts: inventories with usage, instance counts, aggregates. */
export async function loadHostSnapshots(db: Executor, query: SnapshotQuery): Promise<HostSnapshot[]> {
  const spec = query.candidatesFor;
  const now = Date.now();
  if (!spec) {
    // Every host (NoValidHost explanations, previews): three plain queries.
    const [hosts, counts, aggregates] = await Promise.all([db.select(snapshotColumns).from(h), instanceCountByHost(db), aggregatesByHost(db)]);
    return hosts.map((x) => toSnapshot(x, counts.get(x.id) ?? 0, aggregates.get(x.id) ?? [], query.downAfterMs, now));
  }
  // The fast path, one round trip: the capped candidates, then per candidate only, its
  // instance count and aggregates.
  const freeRam = freeSql("MEMORY_MB");
  const candidates = db
    .select(snapshotColumns)
    .from(h)
    .where(candidateCondition(spec, query.downAfterMs))
    .orderBy(query.order === "pack" ? asc(freeRam) : desc(freeRam), asc(h.id))
    .limit(query.limit ?? 1000)
    .as("candidates");
  const host = Object.fromEntries(Object.keys(snapshotColumns).map((k) => [k, candidates[k as keyof typeof snapshotColumns]])) as {
    [K in keyof typeof snapshotColumns]: (typeof candidates)[K];
  };
  const candidateId = sql.raw(`"candidates"."id"`);
  const rows = await db
    .select({
      host,
      instanceCount: sql<number>`(select count(*)::int from ${schema.instances} i where i.host_id = ${candidateId} and i.vm_state <> 'deleted')`,
      aggregates: sql<AggregateInfo[]>`coalesce((select json_agg(json_build_object('name', ag.name, 'availabilityZone', ag.availability_zone, 'tenantProjectIds', ag.tenant_project_ids))
        from ${schema.aggregateHosts} ah join ${schema.aggregates} ag on ag.id = ah.aggregate_id where ah.host_id = ${candidateId}), '[]'::json)`,
    })
    .from(candidates);
  return rows.map((r) => toSnapshot(r.host, r.instanceCount, r.aggregates, query.downAfterMs, now));
}

type SnapshotRow = { [K in keyof typeof snapshotColumns]: (typeof h.$inferSelect)[K extends keyof typeof h.$inferSelect ? K : never] };

function toSnapshot(x: SnapshotRow, instanceCount: number, aggregates: AggregateInfo[], downAfterMs: number, now: number): HostSnapshot {
  return {
    id: x.id,
    hostname: x.hostname,
    enabled: x.enabled,
    disabledReason: x.disabledReason,
    up: isUp(x, downAfterMs, now),
    hypervisorType: x.hypervisorType,
    architecture: x.cpuModel || null,
    instanceCount,
    failedBuilds: x.failedBuilds,
    aggregates,
    inventories: inventoriesOf(x),
    generation: x.generation,
  };
}
