import { jsonValue, schema, statement, type Executor } from "@nimbus/db";
import { and, eq, ne, sql } from "@nimbus/db/orm";
import { NimbusError } from "../errors";
import { pgErrorOf } from "../pg-errors";
import { DEFAULT_QUOTAS, QUOTA_MIB, describeOverage, findOverages, type QuotaResource, type QuotaVector } from "./limits";
import { z } from "zod";

export async function quotaLimits(db: Executor, projectId: string): Promise<Record<QuotaResource, number>> {
  const rows = await db.select().from(schema.quotaLimits).where(eq(schema.quotaLimits.projectId, projectId));
  return withOverrides(rows.map((row) => [row.resource, row.hardLimit]));
}

/** Nova's defaults with a project's overrides (resource, limit) laid over them. */
function withOverrides(overrides: Iterable<[string, number]>): Record<QuotaResource, number> {
  const limits: Record<QuotaResource, number> = { ...DEFAULT_QUOTAS };
  for (const [resource, limit] of overrides) if (resource in limits) limits[resource as QuotaResource] = limit;
  return limits;
}

/**
 * Instances, cores and RAM in use by a project: every instance not deleted, ERROR included (as
 * Nova), read from the counters the database keeps with the instances (`quota_usages`, migration
 * 0025_quota_usages), so the read costs the same at 10 instances or 100,000. An instance being
 * resized counts the larger of its two flavors, from the resize's begin to its confirm or
 * revert: its columns carry the new flavor, and a move not over adds what the old one has more
 * (a downsize frees nothing until it is confirmed).
 */
export async function computeUsage(db: Executor, projectId: string): Promise<InstanceQuotaVector> {
  const [row] = await computeUsageStatement(db, { projectId });
  return { instances: row?.instances ?? 0, cores: row?.cores ?? 0, ram: row?.ram ?? 0 };
}

const computeUsageStatement = statement<"projectId", InstanceQuotaVector>((v) => {
  const m = schema.migrations;
  const u = schema.quotaUsages;
  const moving = sql`from ${m} join ${schema.instances} mi on mi.id = ${m.instanceId}
    where mi.project_id = ${v.projectId}::uuid and mi.vm_state <> 'deleted'
      and ${m.status} in ('pre-migrating', 'migrating', 'finished', 'confirming', 'reverting')`;
  const counted = (column: typeof u.instances | typeof u.cores | typeof u.ram) =>
    sql`coalesce((select ${column} from ${u} where ${u.projectId} = ${v.projectId}::uuid), 0)`;
  return sql`select ${counted(u.instances)}::int as instances,
    (${counted(u.cores)} + coalesce((select sum(greatest(${m.oldVcpus} - ${m.newVcpus}, 0)) ${moving}), 0))::int as cores,
    (${counted(u.ram)} + coalesce((select sum(greatest(${m.oldMemoryMb} - ${m.newMemoryMb}, 0)) ${moving}), 0))::int as ram`;
});

/**
 * What a project's instances add up to, counted from the rows themselves: what the counters
 * must equal (the invariant checks and the soak compare the two).
 */
export async function countInstanceUsage(db: Executor, projectId: string): Promise<InstanceQuotaVector> {
  const [row] = await db
    .select({
      instances: sql<number>`count(*)::int`,
      cores: sql<number>`coalesce(sum(${schema.instances.vcpus}), 0)::int`,
      ram: sql<number>`coalesce(sum(${schema.instances.memoryMb}), 0)::int`,
    })
    .from(schema.instances)
    .where(and(eq(schema.instances.projectId, projectId), ne(schema.instances.vmState, "deleted")));
  return { instances: row?.instances ?? 0, cores: row?.cores ?? 0, ram: row?.ram ?? 0 };
}

async function serverGroupUsage(db: Executor, projectId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(schema.serverGroups).where(eq(schema.serverGroups.projectId, projectId));
  return row?.n ?? 0;
}

/** Volumes (count and GB) a project holds: every volume row, whatever its status (as Cinder). */
async function volumeUsage(db: Executor, projectId: string): Promise<{ volumes: number; gigabytes: number }> {
  const [row] = await db
    .select({ volumes: sql<number>`count(*)::int`, gigabytes: sql<number>`coalesce(sum(${schema.volumes.sizeGb}), 0)::int` })
    .from(schema.volumes)
    .where(eq(schema.volumes.projectId, projectId));
  return { volumes: row?.volumes ?? 0, gigabytes: row?.gigabytes ?? 0 };
}

/** What a project's images take, in bytes: see `DEFAULT_QUOTAS` for what each image quota counts. */
export interface ImageUsageBytes {
  /** Images the project owns in any state but deleted. */
  count: number;
  /** Bytes of its active images plus what its uploads under way have reserved. */
  sizeBytes: number;
  /** What its uploads under way have reserved. */
  stagedBytes: number;
}

export async function imageUsageBytes(db: Executor, projectId: string): Promise<ImageUsageBytes> {
  const i = schema.images;
  const [row] = await db
    .select({
      count: sql<number>`count(*) filter (where ${i.status} <> 'deleted')::int`,
      // float8: bytes past 2^31, exact up to 2^53, arrive as numbers.
      sizeBytes: sql<number>`coalesce(sum(case when ${i.status} = 'active' then ${i.sizeBytes}
        when ${i.status} = 'saving' then ${i.stagedBytes} end), 0)::float8`,
      stagedBytes: sql<number>`coalesce(sum(${i.stagedBytes}) filter (where ${i.status} = 'saving'), 0)::float8`,
    })
    .from(i)
    .where(eq(i.ownerProjectId, projectId));
  return { count: row?.count ?? 0, sizeBytes: Number(row?.sizeBytes ?? 0), stagedBytes: Number(row?.stagedBytes ?? 0) };
}

/** The image quotas' figures: a count, and sizes in whole MiB (rounded up, as the limits are MiB). */
async function imageUsage(
  db: Executor,
  projectId: string,
): Promise<Pick<QuotaVector, "image_count_total" | "image_size_total" | "image_stage_total">> {
  const { count, sizeBytes, stagedBytes } = await imageUsageBytes(db, projectId);
  return { image_count_total: count, image_size_total: Math.ceil(sizeBytes / QUOTA_MIB), image_stage_total: Math.ceil(stagedBytes / QUOTA_MIB) };
}

/** What a project uses of every resource counted per project: all but key pairs (Nova counts those per user). */
export type ProjectUsage = Required<Omit<QuotaVector, "key_pairs">>;

/** What a project uses of every resource counted per project (the quota pages show it). */
export async function projectUsage(db: Executor, projectId: string): Promise<ProjectUsage> {
  return (await usageOf(db, projectId, () => true)) as ProjectUsage;
}

/** What a project uses of the resources in `requested` (only those are counted). */
function usageOfRequested(db: Executor, projectId: string, requested: QuotaVector): Promise<QuotaVector> {
  return usageOf(db, projectId, (r) => (requested[r] ?? 0) > 0);
}

/** What a project uses of the resources `wants` names; the others are not read. */
async function usageOf(db: Executor, projectId: string, wants: (resource: QuotaResource) => boolean): Promise<QuotaVector> {
  const [compute, serverGroups, volumes, images] = await Promise.all([
    wants("instances") || wants("cores") || wants("ram") ? computeUsage(db, projectId) : Promise.resolve({}),
    wants("server_groups") ? serverGroupUsage(db, projectId) : Promise.resolve(0),
    wants("volumes") || wants("gigabytes") ? volumeUsage(db, projectId) : Promise.resolve({}),
    wants("image_count_total") || wants("image_size_total") || wants("image_stage_total") ? imageUsage(db, projectId) : Promise.resolve({}),
  ]);
  return { ...compute, ...volumes, ...images, server_groups: serverGroups };
}

/** Locks the project row: concurrent quota checks of one project queue behind each other. */
export async function lockProject(tx: Executor, projectId: string): Promise<void> {
  // NO KEY UPDATE: it queues checks of one project, yet does not conflict with the key-share
  // locks that inserting rows referencing the project takes (FOR UPDATE would deadlock).
  await tx.execute(sql`select id from ${schema.projects} where id = ${projectId} for no key update`);
}

/**
 * Must run inside the transaction that inserts what it guards: it locks the project row, so
 * concurrent requests in one project queue here and each sees the others' committed inserts.
 */
export async function enforceQuota(tx: Executor, projectId: string, requested: QuotaVector): Promise<void> {
  await lockProject(tx, projectId);
  const [limits, used] = await Promise.all([quotaLimits(tx, projectId), usageOfRequested(tx, projectId, requested)]);
  refuseOverages(limits, used, requested);
}

/** QuotaExceeded, naming every resource `requested` would take past its limit (the first in the message). */
export function refuseOverages(limits: Record<QuotaResource, number>, used: QuotaVector, requested: QuotaVector): void {
  const refusal = quotaExceeded(limits, used, requested);
  if (refusal) throw refusal;
}

function quotaExceeded(limits: Record<QuotaResource, number>, used: QuotaVector, requested: QuotaVector): NimbusError | null {
  const overs = findOverages(limits, used, requested);
  const first = overs[0];
  return first ? new NimbusError("QuotaExceeded", describeOverage(first), { overages: overs }) : null;
}

/**
 * Nova's min_count/max_count against quota, read without a lock: the largest count between
 * `min` and `max` that fits what is committed now, or QuotaExceeded naming the resource for
 * `min`. The choice is only a proposal; the check at commit (`armInstanceQuota`) settles it.
 */
export async function chooseInstanceCount(
  db: Executor,
  projectId: string,
  { min, max, vcpus, memoryMb }: { min: number; max: number; vcpus: number; memoryMb: number },
): Promise<number> {
  const [limits, used] = await Promise.all([quotaLimits(db, projectId), computeUsage(db, projectId)]);
  const requested = (count: number) => ({ instances: count, cores: count * vcpus, ram: count * memoryMb });
  // Usage only grows with the count: if `min` does not fit, no larger count does.
  refuseOverages(limits, used, requested(min));
  for (let count = max; count > min; count--) {
    if (findOverages(limits, used, requested(count)).length === 0) return count;
  }
  return min;
}

export type InstanceQuotaVector = Required<Pick<QuotaVector, "instances" | "cores" | "ram">>;

/** SQLSTATE of the database's refusal at commit (migration 0005_quota_at_commit). */
const INSTANCE_QUOTA_EXCEEDED = "NQ001";

/**
 * The atomic half of the instance quota check, armed in the transaction that inserts the
 * instances: at commit the database locks the project row (checks of one project run one at a
 * time, each seeing the others' committed instances), counts usage including this
 * transaction's rows and refuses the commit if the project would pass a limit. The lock is
 * held only while the commit runs, never across a round trip to this process. Returns the
 * limits armed, for `instanceQuotaRefusal`.
 */
export async function armInstanceQuota(tx: Executor, projectId: string): Promise<Record<QuotaResource, number>> {
  const [row] = await armInstanceQuotaStatement(tx, { projectId });
  return withOverrides(
    Object.entries(
      z
        .record(z.string(), z.number())
        .nullable()
        .parse(jsonValue(row?.overrides ?? null)) ?? {},
    ),
  );
}

/** One statement (built once: every launch runs it): the project's overrides, and the check armed with them over the defaults. */
const armInstanceQuotaStatement = statement<"projectId", { overrides: unknown }>((v) => {
  const q = schema.quotaLimits;
  const limitOf = (resource: "instances" | "cores" | "ram") =>
    sql`coalesce((select hard_limit from overrides where resource = ${resource}), ${DEFAULT_QUOTAS[resource]}::int)`;
  return sql`
    with overrides as (select ${q.resource} as resource, ${q.hardLimit} as hard_limit from ${q} where ${q.projectId} = ${v.projectId}::uuid)
    select (select coalesce(json_object_agg(resource, hard_limit), '{}'::json) from overrides) as overrides,
      set_config('nimbus.instance_quota', json_build_object('project', ${v.projectId}::text,
        'instances', ${limitOf("instances")}, 'cores', ${limitOf("cores")}, 'ram', ${limitOf("ram")})::text, true) as armed`;
});

/**
 * The database's refusal at commit as QuotaExceeded, naming the resources `requested` took past
 * their limits; null when `error` is something else.
 */
export function instanceQuotaRefusal(error: unknown, limits: Record<QuotaResource, number>, requested: InstanceQuotaVector): NimbusError | null {
  const { code, detail } = pgErrorOf(error);
  if (code !== INSTANCE_QUOTA_EXCEEDED) return null;
  const total = (detail ? JSON.parse(detail) : {}) as Partial<InstanceQuotaVector>;
  const before = {
    instances: (total.instances ?? 0) - requested.instances,
    cores: (total.cores ?? 0) - requested.cores,
    ram: (total.ram ?? 0) - requested.ram,
  };
  return (
    quotaExceeded(limits, before, requested) ?? new NimbusError("QuotaExceeded", "The project's instance quota would be exceeded.", { overages: [] })
  );
}
