import { relations } from "drizzle-orm";
import { index, integer, pgEnum, pgTable, unique, uuid } from "drizzle-orm/pg-core";
import { computeHosts } from "./compute";
import { instances } from "./instance";
import { migrations } from "./migration";

export const resourceClass = pgEnum("resource_class", ["VCPU", "MEMORY_MB", "DISK_GB"]);

/**
 * Placement allocations: what a consumer holds on a resource provider (host). The consumer is
 * the instance, or, while a resize or cold migration waits for its confirm or revert, the
 * migration holding the old flavor on the source host (`migration_id` set; Nova's
 * migration-based allocations). Either way `instance_id` names the instance, so deleting it
 * frees both.
 */
export const allocations = pgTable(
  "allocations",
  {
    instanceId: uuid("instance_id")
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    hostId: uuid("host_id")
      .notNull()
      .references(() => computeHosts.id, { onDelete: "cascade" }),
    resourceClass: resourceClass("resource_class").notNull(),
    used: integer("used").notNull(),
    migrationId: uuid("migration_id").references(() => migrations.id),
  },
  (t) => [
    unique("allocations_consumer_unique").on(t.instanceId, t.migrationId, t.hostId, t.resourceClass).nullsNotDistinct(),
    index("allocations_host_idx").on(t.hostId),
  ],
);

export const allocationsRelations = relations(allocations, ({ one }) => ({
  instance: one(instances, { fields: [allocations.instanceId], references: [instances.id] }),
  host: one(computeHosts, { fields: [allocations.hostId], references: [computeHosts.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type AllocationRow = typeof allocations.$inferSelect;
