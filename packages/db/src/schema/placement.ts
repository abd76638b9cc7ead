import { relations } from "drizzle-orm";
import { index, integer, pgEnum, pgTable, primaryKey, uuid } from "drizzle-orm/pg-core";
import { computeHosts } from "./compute";
import { instances } from "./instance";

export const resourceClass = pgEnum("resource_class", ["VCPU", "MEMORY_MB", "DISK_GB"]);

/** Placement allocations: what a consumer (instance) holds on a resource provider (host). */
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
  },
  (t) => [primaryKey({ columns: [t.instanceId, t.hostId, t.resourceClass] }), index("allocations_host_idx").on(t.hostId)],
);

export const allocationsRelations = relations(allocations, ({ one }) => ({
  instance: one(instances, { fields: [allocations.instanceId], references: [instances.id] }),
  host: one(computeHosts, { fields: [allocations.hostId], references: [computeHosts.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type AllocationRow = typeof allocations.$inferSelect;
