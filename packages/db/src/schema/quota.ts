import { relations } from "drizzle-orm";
import { integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { projects } from "./identity";

/** Per-project overrides of the default quota limits; -1 means unlimited. */
export const quotaLimits = pgTable(
  "quota_limits",
  {
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    resource: text("resource").notNull(),
    hardLimit: integer("hard_limit").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.resource] })],
);

/**
 * What each project's live instances (every one not deleted, ERROR included) add up to: Nova's
 * quota_usages, kept exact by the database rather than by the services. A trigger on instances
 * (migration 0025_quota_usages) adds each inserted, updated or deleted row's difference in the
 * transaction that changes it, as that transaction commits, so a counter can only move with a
 * committed change to the rows it counts, and concurrent changes queue on the counter's row
 * instead of overwriting each other. No row yet: nothing counted (zero).
 */
export const quotaUsages = pgTable("quota_usages", {
  projectId: uuid("project_id")
    .primaryKey()
    .references(() => projects.id, { onDelete: "cascade" }),
  instances: integer("instances").notNull().default(0),
  cores: integer("cores").notNull().default(0),
  ram: integer("ram").notNull().default(0),
});

export const quotaLimitsRelations = relations(quotaLimits, ({ one }) => ({
  project: one(projects, { fields: [quotaLimits.projectId], references: [projects.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type QuotaLimitRow = typeof quotaLimits.$inferSelect;
export type QuotaUsageRow = typeof quotaUsages.$inferSelect;
