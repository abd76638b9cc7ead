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

export const quotaLimitsRelations = relations(quotaLimits, ({ one }) => ({
  project: one(projects, { fields: [quotaLimits.projectId], references: [projects.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type QuotaLimitRow = typeof quotaLimits.$inferSelect;
