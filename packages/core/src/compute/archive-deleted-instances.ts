import { rowsOf, schema, type Executor } from "@nimbus/db";
import { and, desc, eq, lt, or, sql, type SQL } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";

/**
 * `nova-manage db archive_deleted_rows`: deleted instances whose deletion is older than
 * `olderThanSeconds` leave the live tables for `shadow_instances`, the instance's row with its
 * actions and their events kept there as JSON (admins still read them: `listArchivedInstances`).
 * Its other rows (build request, migrations, console log, tasks, group membership) go with it.
 *
 * Each batch is one statement, so one transaction: it takes at most `batchSize` instances,
 * oldest deletion first, locked with SKIP LOCKED (two processes archiving at once take different
 * ones), copies and removes them together. Only instances the cloud is done with are taken:
 * deleted (a live instance is never touched), with no port still bound, no allocation and no
 * volume attachment left (a delete whose host has not finished releasing them waits for the
 * next run). A deleted instance counts for no quota, so quotas do not move. Running it again
 * finds nothing more to do until more deletions age.
 */
export interface ArchiveOptions {
  /** Deleted longer ago than this (seconds) to be archived. */
  olderThanSeconds: number;
  /** Instances per batch (one transaction each). */
  batchSize: number;
  /** Batches per run at most (a run's work is bounded; the next run carries on). */
  maxBatches: number;
}

export interface ArchiveCounts {
  instances: number;
  actions: number;
  events: number;
  /** Instances archived by each batch, in order (each at most the batch size). */
  batches: number[];
}

export async function archiveDeletedInstances(db: Executor, options: ArchiveOptions): Promise<ArchiveCounts> {
  const counts: ArchiveCounts = { instances: 0, actions: 0, events: 0, batches: [] };
  while (counts.batches.length < options.maxBatches) {
    const batch = await archiveBatch(db, options);
    if (batch.instances === 0) break;
    counts.instances += batch.instances;
    counts.actions += batch.actions;
    counts.events += batch.events;
    counts.batches.push(batch.instances);
    if (batch.instances < options.batchSize) break;
  }
  return counts;
}

async function archiveBatch(db: Executor, { olderThanSeconds, batchSize }: ArchiveOptions) {
  const i = schema.instances;
  const s = schema.shadowInstances;
  const rows = await db.execute(sql`
    with doomed as (
      select ${i.id} as id from ${i}
      where ${i.vmState} = 'deleted' and ${i.deletedAt} < now() - ${olderThanSeconds}::float8 * interval '1 second'
        and not exists (select 1 from ${schema.ports} p where p.instance_id = ${i.id})
        and not exists (select 1 from ${schema.allocations} a where a.instance_id = ${i.id})
        and not exists (select 1 from ${schema.volumeAttachments} v where v.instance_id = ${i.id})
      order by ${i.deletedAt}, ${i.id}
      limit ${batchSize}::int
      for update skip locked
    ),
    shadowed as (
      insert into ${s} (id, project_id, name, created_at, deleted_at, instance, actions)
      select o.id, o.project_id, o.name, o.created_at, o.deleted_at, to_jsonb(o), coalesce((
        select jsonb_agg(to_jsonb(a) || jsonb_build_object('events', coalesce((
          select jsonb_agg(to_jsonb(e) order by e.id) from instance_action_events e where e.action_id = a.id), '[]'::jsonb))
          order by a.start_time, a.id)
        from instance_actions a where a.instance_id = o.id), '[]'::jsonb)
      from instances o join doomed d on d.id = o.id
      on conflict (id) do update set instance = excluded.instance, actions = excluded.actions, archived_at = excluded.archived_at
      returning ${s.id}
    ),
    gone as (
      delete from instances o using shadowed g where o.id = g.id and o.vm_state = 'deleted' returning o.id
    )
    select (select count(*) from gone)::int as instances,
      (select count(*) from instance_actions a where a.instance_id in (select id from gone))::int as actions,
      (select count(*) from instance_action_events e where e.instance_id in (select id from gone))::int as events`);
  const [row] = rowsOf<{ instances: number; actions: number; events: number }>(rows);
  return { instances: Number(row?.instances ?? 0), actions: Number(row?.actions ?? 0), events: Number(row?.events ?? 0) };
}

export const archiveNowInput = z.object({
  /** Deleted at least this many days ago (0: every deleted instance the cloud is done with). */
  olderThanDays: z.number().min(0).max(36_500),
  batchSize: z.number().int().min(1).max(10_000).default(1000),
  maxBatches: z.number().int().min(1).max(10_000).default(100),
});

/** The archive run on demand by a cloud admin (the console's procedure, and what the CLI prints). */
export async function archiveDeletedInstancesNow({ ctx, input }: { ctx: CoreContext; input: z.input<typeof archiveNowInput> }) {
  authorize(ctx.principal, "archive.run");
  const { olderThanDays, batchSize, maxBatches } = parseInput(archiveNowInput, input);
  const counts = await archiveDeletedInstances(ctx.db, { olderThanSeconds: olderThanDays * 86_400, batchSize, maxBatches });
  await audit(ctx, ctx.db, {
    action: "instances.archive",
    outcome: "success",
    targetType: "cloud",
    targetId: "instances",
    details: {
      olderThanDays,
      batchSize,
      instances: counts.instances,
      actions: counts.actions,
      events: counts.events,
      batches: counts.batches.length,
    },
  });
  return counts;
}

export const archivedInstancesInput = z.object({
  projectId: z.uuid().optional(),
  limit: z.number().int().min(1).max(100).default(20),
  /** The last instance of the page before (Nova's marker): the page after it, newest deletion first. */
  marker: z.uuid().optional(),
});

/** Archived instances, newest deletion first, for cloud admins: what each was and what was done to it. */
export async function listArchivedInstances({ ctx, input }: { ctx: CoreContext; input: z.input<typeof archivedInstancesInput> }) {
  authorize(ctx.principal, "archive.list");
  const { projectId, limit, marker } = parseInput(archivedInstancesInput, input);
  const s = schema.shadowInstances;
  const conditions: SQL[] = [];
  if (projectId) conditions.push(eq(s.projectId, projectId));
  if (marker) {
    const [from] = await ctx.db.select({ deletedAt: s.deletedAt, id: s.id }).from(s).where(eq(s.id, marker));
    if (!from)
      throw new NimbusError("BadRequest", "The marker names no archived instance.", {
        fields: [{ path: "marker", message: "no such archived instance" }],
      });
    const after = or(lt(s.deletedAt, from.deletedAt ?? new Date(0)), and(eq(s.deletedAt, from.deletedAt ?? new Date(0)), lt(s.id, from.id)));
    if (after) conditions.push(after);
  }
  const rows = await ctx.db
    .select()
    .from(s)
    .where(and(...conditions))
    .orderBy(desc(s.deletedAt), desc(s.id))
    .limit(limit + 1);
  return {
    instances: rows.slice(0, limit).map((row) => ({
      id: row.id,
      name: row.name,
      projectId: row.projectId,
      createdAt: row.createdAt,
      deletedAt: row.deletedAt,
      archivedAt: row.archivedAt,
      instance: row.instance,
      actions: row.actions,
    })),
    next: rows.length > limit ? rows[limit - 1]!.id : null,
  };
}
