import { relations } from "drizzle-orm";
import { index, integer, pgEnum, pgTable, timestamp, uuid } from "drizzle-orm/pg-core";
import { flavors } from "./catalog";
import { computeHosts } from "./compute";
import { instances, vmState } from "./instance";

/**
 * Nova's migration types that Nimbus has: a resize (new flavor), a cold migration (same flavor,
 * another host), an evacuation, a live migration (the running guest moved).
 */
export const migrationType = pgEnum("migration_type", ["resize", "migration", "evacuation", "live-migration"]);

/**
 * Nova's migration statuses as they are used here:
 *
 *   resize / migration:  pre-migrating ─▶ migrating ─▶ finished ─▶ confirming ─▶ confirmed
 *                                                          └──────▶ reverting ─▶ reverted
 *                        any step before finished ─▶ error (the instance is back as it was)
 *   evacuation:          accepted ─▶ done ─▶ completed (the down host's domain was destroyed) | failed
 *   live-migration:      preparing (destination) ─▶ running (source moves the guest) ─▶ completed | error
 */
export const migrationStatus = pgEnum("migration_status", [
  "pre-migrating",
  "migrating",
  "finished",
  "confirming",
  "confirmed",
  "reverting",
  "reverted",
  "error",
  "accepted",
  "done",
  "completed",
  "failed",
  "preparing",
  "running",
]);

/**
 * One move of an instance between hosts, or onto new resources on its own host (Nova's
 * migrations table). While a resize or cold migration waits for its confirm or revert, the
 * allocation of the old flavor on the source host is held with this row as its consumer
 * (placement's migration-based allocations), so freeing one side or the other is one statement.
 */
export const migrations = pgTable(
  "migrations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    instanceId: uuid("instance_id")
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    migrationType: migrationType("migration_type").notNull(),
    status: migrationStatus("status").notNull(),
    sourceHostId: uuid("source_host_id").references(() => computeHosts.id, { onDelete: "set null" }),
    destHostId: uuid("dest_host_id").references(() => computeHosts.id, { onDelete: "set null" }),
    oldFlavorId: uuid("old_flavor_id").references(() => flavors.id),
    newFlavorId: uuid("new_flavor_id").references(() => flavors.id),
    /** The old flavor's sizes as the instance had them (flavors may change; these come back on revert). */
    oldVcpus: integer("old_vcpus").notNull(),
    oldMemoryMb: integer("old_memory_mb").notNull(),
    oldRootGb: integer("old_root_gb").notNull(),
    newVcpus: integer("new_vcpus").notNull(),
    newMemoryMb: integer("new_memory_mb").notNull(),
    newRootGb: integer("new_root_gb").notNull(),
    /** Where confirm or revert leaves the instance: its vm_state before the move (ACTIVE or SHUTOFF). */
    oldVmState: vmState("old_vm_state").notNull(),
    /** When the instance reached VERIFY_RESIZE: the auto-confirm counts from here. */
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("migrations_instance_idx").on(t.instanceId, t.createdAt),
    index("migrations_status_idx").on(t.status, t.finishedAt),
    index("migrations_source_idx").on(t.sourceHostId, t.status),
  ],
);

export const migrationsRelations = relations(migrations, ({ one }) => ({
  instance: one(instances, { fields: [migrations.instanceId], references: [instances.id] }),
}));

export type MigrationRow = typeof migrations.$inferSelect;
