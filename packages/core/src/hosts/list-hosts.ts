import { schema } from "@nimbus/db";
import { and, asc, eq, getTableColumns, inArray, ne, sql, type SQL } from "@nimbus/db/orm";
import type { ComputeHostRow } from "@nimbus/db/schema";
import { z } from "zod";
import { parseInput } from "../errors";
import { booleanPart, keyset, numericPart, textPart } from "../paging/keyset";
import { pageInput, text } from "../validation";
import { displayStatus, type TaskState, type VmState } from "../instance/state-machine";
import { DEFAULT_AVAILABILITY_ZONE } from "../scheduler/filters";
import type { CoreContext } from "../context";
import { authorize } from "../policy";
import { inventoriesOf, instanceCountByHost, isUp } from "../placement/usage";
import { capacity } from "../scheduler/capacity";
import type { ResourceClass } from "../scheduler/types";

/** The admin host inventory: state, capacity after ratios and reserved, usage, instance count. */
export async function listHosts({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "hosts.list");
  const hosts = await ctx.db.select().from(schema.computeHosts).orderBy(asc(schema.computeHosts.hostname));
  return hostViews(ctx, hosts);
}

/** Each host as the inventory shows it, with its aggregates, zone and instances read for these hosts only. */
async function hostViews(ctx: CoreContext, hosts: ComputeHostRow[]) {
  const ids = hosts.map((h) => h.id);
  if (ids.length === 0) return [];
  const [counts, aggregates, placed] = await Promise.all([
    instanceCountByHost(ctx.db, ids),
    ctx.db
      .select({
        hostId: schema.aggregateHosts.hostId,
        id: schema.aggregates.id,
        name: schema.aggregates.name,
        availabilityZone: schema.aggregates.availabilityZone,
      })
      .from(schema.aggregateHosts)
      .innerJoin(schema.aggregates, eq(schema.aggregates.id, schema.aggregateHosts.aggregateId))
      .where(inArray(schema.aggregateHosts.hostId, ids)),
    ctx.db
      .select({
        hostId: schema.instances.hostId,
        id: schema.instances.id,
        name: schema.instances.name,
        vmState: schema.instances.vmState,
        taskState: schema.instances.taskState,
        projectName: schema.projects.name,
      })
      .from(schema.instances)
      .innerJoin(schema.projects, eq(schema.projects.id, schema.instances.projectId))
      .where(and(inArray(schema.instances.hostId, ids), ne(schema.instances.vmState, "deleted")))
      .orderBy(asc(schema.instances.name)),
  ]);
  const now = Date.now();
  return hosts.map((h) => {
    const inventories = inventoriesOf(h);
    const resource = (rc: ResourceClass) => ({
      total: inventories[rc].total,
      reserved: inventories[rc].reserved,
      allocationRatio: inventories[rc].allocationRatio,
      capacity: capacity(inventories[rc]),
      used: inventories[rc].used,
    });
    const hostAggregates = aggregates.filter((a) => a.hostId === h.id).map(({ hostId: _, ...a }) => a);
    return {
      id: h.id,
      /** The number Nova's compute API names the host's service and hypervisor by below microversion 2.53. */
      number: h.number,
      hostname: h.hostname,
      availabilityZone: hostAggregates.find((a) => a.availabilityZone)?.availabilityZone ?? DEFAULT_AVAILABILITY_ZONE,
      aggregates: hostAggregates.map(({ id, name }) => ({ id, name })),
      failedBuilds: h.failedBuilds,
      instances: placed
        .filter((i) => i.hostId === h.id)
        .map((i) => ({
          id: i.id,
          name: i.name,
          projectName: i.projectName,
          status: displayStatus(i.vmState as VmState, i.taskState as TaskState | null),
        })),
      hypervisorType: h.hypervisorType,
      hypervisorUri: h.hypervisorUri,
      cpuModel: h.cpuModel,
      enabled: h.enabled,
      disabledReason: h.disabledReason,
      state: isUp(h, ctx.hostDownAfterMs, now) ? ("up" as const) : ("down" as const),
      lastHeartbeatAt: h.lastHeartbeatAt?.toISOString() ?? null,
      agentVersion: h.agentVersion,
      instanceCount: counts.get(h.id) ?? 0,
      vcpus: resource("VCPU"),
      memoryMb: resource("MEMORY_MB"),
      diskGb: resource("DISK_GB"),
    };
  });
}
export type HostView = Awaited<ReturnType<typeof hostViews>>[number];

/** Whether a host is up, in SQL, as `isUp` says it in code (a live agent session and a recent heartbeat). */
function upSql(ctx: CoreContext, now: Date) {
  const h = schema.computeHosts;
  const since = new Date(now.getTime() - ctx.hostDownAfterMs);
  return sql<boolean>`(${h.agentSessionId} is not null and ${h.lastHeartbeatAt} is not null and ${h.lastHeartbeatAt} >= ${since.toISOString()}::timestamptz)`;
}
/** Placement's capacity less usage, in SQL, as `free` computes it. */
const freeSql = (total: SQL, reserved: SQL, ratio: SQL, used: SQL) => sql`(floor((${total} - ${reserved}) * ${ratio}::float8)::bigint - ${used})`;
const freeRamSql = () => {
  const h = schema.computeHosts;
  return freeSql(sql`${h.memoryMbTotal}`, sql`${h.memoryMbReserved}`, sql`${h.ramAllocationRatio}`, sql`${h.memoryMbUsed}`);
};
const freeVcpusSql = () => {
  const h = schema.computeHosts;
  return freeSql(sql`${h.vcpusTotal}`, sql`${h.vcpusReserved}`, sql`${h.cpuAllocationRatio}`, sql`${h.vcpusUsed}`);
};

/** The hosts a filter leaves: up or down, and in an availability zone (the default zone: in no zone-bearing aggregate). */
function hostFilters(ctx: CoreContext, now: Date, filters: { state?: "up" | "down" | undefined; availabilityZone?: string | undefined }) {
  const h = schema.computeHosts;
  const conditions: SQL[] = [];
  if (filters.state) conditions.push(filters.state === "up" ? upSql(ctx, now) : sql`not ${upSql(ctx, now)}`);
  if (filters.availabilityZone !== undefined) {
    const inZone = sql`exists (select 1 from ${schema.aggregateHosts} ah join ${schema.aggregates} a on a.id = ah.aggregate_id
      where ah.host_id = ${h.id} and a.availability_zone = ${filters.availabilityZone}::text)`;
    const inAnyZone = sql`exists (select 1 from ${schema.aggregateHosts} ah join ${schema.aggregates} a on a.id = ah.aggregate_id
      where ah.host_id = ${h.id} and a.availability_zone is not null)`;
    conditions.push(filters.availabilityZone === DEFAULT_AVAILABILITY_ZONE ? sql`(${inZone} or not ${inAnyZone})` : inZone);
  }
  return conditions;
}

export const HOST_SORT_KEYS = ["name", "freeRam", "freeVcpus", "state"] as const;
export type HostSortKey = (typeof HOST_SORT_KEYS)[number];
const hostFilterFields = {
  state: z.enum(["up", "down"], "State is up or down.").optional(),
  availabilityZone: text("Availability zone").max(255).optional(),
};
export const listHostPageInput = z.object({ ...pageInput(HOST_SORT_KEYS, { sort: "name", direction: "asc", limit: 20 }), ...hostFilterFields });
export const hostSummaryInput = z.object(hostFilterFields).default({});

/**
 * A page of the host inventory, filtered and sorted in the database: by name, free RAM, free
 * vCPUs (capacity after ratios and reserved, less usage) or state, each with the id as the
 * tie-breaker. A page reads only its own hosts' aggregates and instances.
 */
export async function listHostPage({ ctx, input }: { ctx: CoreContext; input: z.input<typeof listHostPageInput> }) {
  authorize(ctx.principal, "hosts.list");
  const request = parseInput(listHostPageInput, input);
  const now = new Date();
  const h = schema.computeHosts;
  const hostKeyset = keyset<HostSortKey>({
    keys: {
      name: [textPart(sql`${h.hostname}`)],
      freeRam: [numericPart(freeRamSql(), "bigint")],
      freeVcpus: [numericPart(freeVcpusSql(), "bigint")],
      state: [booleanPart(upSql(ctx, now))],
    },
    id: sql`${h.id}`,
    idCast: (v) => sql`${v}::uuid`,
  });
  const plan = hostKeyset.plan(request);
  const rows = await ctx.db
    .select({ ...getTableColumns(h), _keyset: hostKeyset.select(request.sort) })
    .from(h)
    .where(and(...hostFilters(ctx, now, request), plan.where))
    .orderBy(...plan.orderBy)
    .limit(plan.fetch);
  const page = hostKeyset.page(request, rows);
  return { ...page, items: await hostViews(ctx, page.items) };
}

/**
 * The inventory's totals and the shape of its use, by SQL aggregates over every host the filter
 * leaves: how many hosts are up, down and disabled; capacity and use of vCPUs, RAM and disk; and
 * how many hosts fall in each tenth of RAM and vCPU use (the usage chart), never a row per host.
 */
export async function hostSummary({ ctx, input }: { ctx: CoreContext; input?: z.input<typeof hostSummaryInput> }) {
  authorize(ctx.principal, "hosts.list");
  const filters = parseInput(hostSummaryInput, input);
  const now = new Date();
  const h = schema.computeHosts;
  const where = and(...hostFilters(ctx, now, filters));
  const cap = (total: SQL, reserved: SQL, ratio: SQL) => sql`floor((${total} - ${reserved}) * ${ratio}::float8)`;
  const ramCap = cap(sql`${h.memoryMbTotal}`, sql`${h.memoryMbReserved}`, sql`${h.ramAllocationRatio}`);
  const cpuCap = cap(sql`${h.vcpusTotal}`, sql`${h.vcpusReserved}`, sql`${h.cpuAllocationRatio}`);
  const diskCap = cap(sql`${h.diskGbTotal}`, sql`${h.diskGbReserved}`, sql`${h.diskAllocationRatio}`);
  // A host's use as a tenth of its capacity, 0..9 (full and over-full hosts in the last).
  const tenth = (used: SQL, capacity: SQL) => sql`least(9, greatest(0, floor(10.0 * ${used} / nullif(${capacity}, 0))))::int`;
  const [[totals], ramBuckets, cpuBuckets] = await Promise.all([
    ctx.db
      .select({
        hosts: sql<number>`count(*)::int`,
        up: sql<number>`(count(*) filter (where ${upSql(ctx, now)}))::int`,
        disabled: sql<number>`(count(*) filter (where not ${h.enabled}))::int`,
        vcpusCapacity: sql<number>`coalesce(sum(${cpuCap}), 0)::bigint`,
        vcpusUsed: sql<number>`coalesce(sum(${h.vcpusUsed}), 0)::bigint`,
        memoryMbCapacity: sql<number>`coalesce(sum(${ramCap}), 0)::bigint`,
        memoryMbUsed: sql<number>`coalesce(sum(${h.memoryMbUsed}), 0)::bigint`,
        diskGbCapacity: sql<number>`coalesce(sum(${diskCap}), 0)::bigint`,
        diskGbUsed: sql<number>`coalesce(sum(${h.diskGbUsed}), 0)::bigint`,
      })
      .from(h)
      .where(where),
    ctx.db
      .select({ bucket: sql<number>`${tenth(sql`${h.memoryMbUsed}`, ramCap)}`, hosts: sql<number>`count(*)::int` })
      .from(h)
      .where(where)
      .groupBy(sql`1`),
    ctx.db
      .select({ bucket: sql<number>`${tenth(sql`${h.vcpusUsed}`, cpuCap)}`, hosts: sql<number>`count(*)::int` })
      .from(h)
      .where(where)
      .groupBy(sql`1`),
  ]);
  const t = totals!;
  const [instances] = await ctx.db
    .select({ n: sql<number>`count(*)::int` })
    .from(schema.instances)
    .where(and(ne(schema.instances.vmState, "deleted"), sql`${schema.instances.hostId} in (select ${h.id} from ${h} where ${where ?? sql`true`})`));
  const histogram = (rows: { bucket: number | null; hosts: number }[]) =>
    Array.from({ length: 10 }, (_, i) => ({ from: i * 10, to: i * 10 + 10, hosts: rows.find((r) => r.bucket === i)?.hosts ?? 0 }));
  const n = (v: number | string) => Number(v);
  return {
    hosts: t.hosts,
    up: t.up,
    down: t.hosts - t.up,
    disabled: t.disabled,
    instances: instances?.n ?? 0,
    vcpus: { capacity: n(t.vcpusCapacity), used: n(t.vcpusUsed) },
    memoryMb: { capacity: n(t.memoryMbCapacity), used: n(t.memoryMbUsed) },
    diskGb: { capacity: n(t.diskGbCapacity), used: n(t.diskGbUsed) },
    /** Hosts by their use of RAM and of vCPUs, in tenths of capacity (0–10 %, …, 90–100 % and over). */
    ramUsage: histogram(ramBuckets),
    vcpuUsage: histogram(cpuBuckets),
  };
}
