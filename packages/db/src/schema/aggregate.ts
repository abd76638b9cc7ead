import { relations } from "drizzle-orm";
import { index, jsonb, pgTable, primaryKey, serial, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { computeHosts } from "./compute";

/**
 * Host aggregates (Nova's): a named group of hosts that may carry an availability zone and may
 * be reserved for given projects (aggregate multi-tenancy isolation).
 */
export const aggregates = pgTable("aggregates", {
  id: uuid("id").primaryKey().defaultRandom(),
  /** The aggregate's number: the id Nova's compute API names it by (its uuid is `id`). */
  number: serial("number").notNull().unique(),
  name: text("name").notNull().unique(),
  availabilityZone: text("availability_zone"),
  /** When not empty, only these projects may land on the aggregate's hosts. */
  tenantProjectIds: jsonb("tenant_project_ids").$type<string[]>().notNull().default([]),
  metadata: jsonb("metadata").$type<Record<string, string>>().notNull().default({}),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }),
});

export const aggregateHosts = pgTable(
  "aggregate_hosts",
  {
    aggregateId: uuid("aggregate_id")
      .notNull()
      .references(() => aggregates.id, { onDelete: "cascade" }),
    hostId: uuid("host_id")
      .notNull()
      .references(() => computeHosts.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.aggregateId, t.hostId] }), index("aggregate_hosts_host_idx").on(t.hostId)],
);

export const aggregatesRelations = relations(aggregates, ({ many }) => ({ hosts: many(aggregateHosts) }));
export const aggregateHostsRelations = relations(aggregateHosts, ({ one }) => ({
  aggregate: one(aggregates, { fields: [aggregateHosts.aggregateId], references: [aggregates.id] }),
  host: one(computeHosts, { fields: [aggregateHosts.hostId], references: [computeHosts.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type AggregateRow = typeof aggregates.$inferSelect;
export type AggregateHostRow = typeof aggregateHosts.$inferSelect;
