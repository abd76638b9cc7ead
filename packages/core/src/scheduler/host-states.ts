/**
 * Nova's HostManager: the host states the scheduler decides among, read from placement's
 * providers. The fast path asks for allocation candidates with Nova's request filters in SQL
 * (enabled, up, zone, tenant isolation, free capacity), capped like max_placement_results;
 * without a request it reads every host, to explain a refusal or preview a placement.
 */
import { jsonValue, rowFromJson, schema, statementsByShape, type Executor, type StatementValues } from "@nimbus/db";
import { and, eq, inArray, isNotNull, sql, type SQL } from "@nimbus/db/orm";
import { z } from "zod";
import { freeSql } from "../placement/claim";
import { instanceCountByHost, inventoriesOf, isUp } from "../placement/usage";
import { DEFAULT_AVAILABILITY_ZONE } from "./filters";
import type { AggregateInfo, HostState, RequestSpec } from "./types";

const h = schema.computeHosts;

/** A host state with the provider generation it was read at (what a claim compares). */
export interface HostSnapshot extends HostState {
  generation: number;
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
function candidateCondition(shape: CandidateShape, v: StatementValues<CandidateValue>): SQL {
  const conditions: (SQL | undefined)[] = [
    eq(h.enabled, true),
    isNotNull(h.agentSessionId),
    sql`${h.lastHeartbeatAt} > ${v.heartbeatAfter}::timestamptz`,
    sql`${freeSql("MEMORY_MB")} >= ${v.memoryMb}::int and ${h.memoryMbTotal} >= ${v.memoryMb}::int`,
    sql`${freeSql("VCPU")} >= ${v.vcpus}::int and ${h.vcpusTotal} >= ${v.vcpus}::int`,
    sql`${freeSql("DISK_GB")} >= ${v.diskGb}::int and ${h.diskGbTotal} >= ${v.diskGb}::int`,
    shape.forced ? sql`${h.hostname} = ${v.forcedHost}::text` : undefined,
    shape.zone === "default"
      ? sql`${h.id} not in ${hostsInAggregates(sql`ag.availability_zone is not null and ag.availability_zone <> ${v.zone}::text`)}`
      : shape.zone === "named"
        ? sql`${h.id} in ${hostsInAggregates(sql`ag.availability_zone = ${v.zone}::text`)}`
        : undefined,
    // Reserved aggregates take only their projects: drop hosts reserved, but not for this one.
    shape.project
      ? sql`${h.id} not in (${hostsInAggregates(sql`jsonb_array_length(ag.tenant_project_ids) > 0`)} except ${hostsInAggregates(sql`ag.tenant_project_ids ? ${v.projectId}::text`)})`
      : undefined,
  ];
  return and(...conditions)!;
}

type CandidateValue = "heartbeatAfter" | "memoryMb" | "vcpus" | "diskGb" | "forcedHost" | "zone" | "projectId" | "limit";
/** What changes the candidates statement's text (everything else is a value). */
interface CandidateShape {
  forced: boolean;
  zone: "any" | "default" | "named";
  project: boolean;
  order: "spread" | "pack";
}
type CandidateRow = { host: unknown; instance_count: number; aggregates: unknown };
/** A candidate's aggregates as `candidatesStatement` builds them (`AggregateInfo`). */
const aggregateInfos = z.array(z.object({ name: z.string(), availabilityZone: z.string().nullable(), tenantProjectIds: z.array(z.string()) }));

/** The fast path's statement, one per shape: the capped candidates, then per candidate only, its instance count and aggregates. */
const candidatesStatement = statementsByShape<CandidateShape, CandidateValue, CandidateRow>(
  (shape) => `${shape.forced}:${shape.zone}:${shape.project}:${shape.order}`,
  (shape, v) => {
    const freeRam = freeSql("MEMORY_MB");
    return sql`
      select row_to_json(candidates) as host,
        (select count(*)::int from ${schema.instances} i where i.host_id = candidates.id and i.vm_state <> 'deleted') as instance_count,
        coalesce((select json_agg(json_build_object('name', ag.name, 'availabilityZone', ag.availability_zone, 'tenantProjectIds', ag.tenant_project_ids))
          from ${schema.aggregateHosts} ah join ${schema.aggregates} ag on ag.id = ah.aggregate_id where ah.host_id = candidates.id), '[]'::json) as aggregates
      from (select * from ${h} where ${candidateCondition(shape, v)}
        order by ${freeRam} ${sql.raw(shape.order === "pack" ? "asc" : "desc")}, ${h.id} asc limit ${v.limit}::int) candidates`;
  },
);

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
  // The fast path, one round trip (see candidatesStatement).
  const zone = spec.availabilityZone;
  const shape: CandidateShape = {
    forced: Boolean(spec.forcedHost),
    zone: !zone ? "any" : zone === DEFAULT_AVAILABILITY_ZONE ? "default" : "named",
    project: Boolean(spec.projectId),
    order: query.order === "pack" ? "pack" : "spread",
  };
  const rows = await candidatesStatement(shape)(db, {
    heartbeatAfter: new Date(now - query.downAfterMs).toISOString(),
    memoryMb: spec.memoryMb,
    vcpus: spec.vcpus,
    diskGb: spec.diskGb,
    forcedHost: spec.forcedHost ?? null,
    zone: zone ?? null,
    projectId: spec.projectId ?? null,
    limit: query.limit ?? 1000,
  });
  return rows.map((r) => toSnapshot(rowFromJson(h, r.host), r.instance_count, aggregateInfos.parse(jsonValue(r.aggregates)), query.downAfterMs, now));
}

type SnapshotRow = { [K in keyof typeof snapshotColumns]: (typeof h.$inferSelect)[K extends keyof typeof h.$inferSelect ? K : never] };

function toSnapshot(x: SnapshotRow, instanceCount: number, aggregates: AggregateInfo[], downAfterMs: number, now: number): HostSnapshot {
  const up = isUp(x, downAfterMs, now);
  return {
    id: x.id,
    hostname: x.hostname,
    enabled: x.enabled,
    disabledReason: x.disabledReason,
    up,
    downSince: up ? null : downSince(x, downAfterMs, now),
    hypervisorType: x.hypervisorType,
    architecture: x.cpuModel || null,
    instanceCount,
    failedBuilds: x.failedBuilds,
    aggregates,
    inventories: inventoriesOf(x),
    generation: x.generation,
  };
}

/**
 * When a host that is not up was declared down: its last heartbeat plus the down time (a closed
 * connection dates the heartbeat back so that this is its end of grace), never after now; null
 * when its agent never answered.
 */
export function downSince(host: { lastHeartbeatAt: Date | null }, downAfterMs: number, now = Date.now()): Date | null {
  return host.lastHeartbeatAt ? new Date(Math.min(now, host.lastHeartbeatAt.getTime() + downAfterMs)) : null;
}
