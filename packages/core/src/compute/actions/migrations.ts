/**
 * The `migrations` rows of the moves (./move, ./move-begin): which one is open, its status, the
 * spawn command of a guest on the sizes of one of its flavors; what a delete, the auto-confirm
 * and a returning host need to know of them.
 */
import { schema, type Executor } from "@nimbus/db";
import { and, desc, eq, inArray } from "@nimbus/db/orm";
import type { InstanceRow, InstanceTaskRow, MigrationRow } from "@nimbus/db/schema";
import type { Services } from "../../context";
import { NimbusError } from "../../errors";
import type { InstanceOperation } from "../../instance/state-machine";
import { spawnCommandFor } from "../spawn-command";

export const MOVE_OPERATIONS: readonly InstanceOperation[] = [
  "resize",
  "migrate",
  "resize_finish",
  "confirm_resize",
  "revert_resize",
  "finish_revert",
  "evacuate",
  "live_migrate",
  "live_migrate_source",
  "live_migrate_finish",
  "live_migrate_rollback",
];

export function isMoveOperation(operation: string): boolean {
  return (MOVE_OPERATIONS as readonly string[]).includes(operation);
}

/** Statuses of a migration that is not over: the instance's one move under way (or waiting in VERIFY_RESIZE). */
export const OPEN_MIGRATION_STATUSES = [
  "pre-migrating",
  "migrating",
  "finished",
  "confirming",
  "reverting",
  "accepted",
  "preparing",
  "running",
] as const;

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

export async function setMigration(tx: Executor, migrationId: string, values: Partial<typeof schema.migrations.$inferInsert>): Promise<void> {
  await tx
    .update(schema.migrations)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(schema.migrations.id, migrationId));
}

/** The spawn command of the guest on `hostId` with the sizes of `flavor` (read in the caller's transaction). */
export async function spawnFor(
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

/**
 * The guest's console log stored so far is its old host's: the new host's log starts again at
 * offset 0, and chunks are keyed by offset, so the old ones go (the console then shows the
 * guest's life on its new host, as Nova's console log does).
 */
export async function forgetConsole(tx: Executor, instanceId: string): Promise<void> {
  await tx.delete(schema.instanceConsoleChunks).where(eq(schema.instanceConsoleChunks.instanceId, instanceId));
}

export const oldColumns = (m: MigrationRow) => ({ flavorId: m.oldFlavorId!, vcpus: m.oldVcpus, memoryMb: m.oldMemoryMb, rootGb: m.oldRootGb });

export async function migrationOf(tx: Executor, task: InstanceTaskRow): Promise<MigrationRow | undefined> {
  const id = task.params.migrationId;
  if (typeof id !== "string") return undefined;
  const [row] = await tx.select().from(schema.migrations).where(eq(schema.migrations.id, id));
  return row;
}

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
