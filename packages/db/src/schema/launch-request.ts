import { jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { projects } from "./identity";

/**
 * Idempotent launches: the first call with a key records what it created; a repeat with the
 * same key (browser retry, double click, script re-run) gets the same instances back.
 */
export const launchRequests = pgTable(
  "launch_requests",
  {
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    idempotencyKey: text("idempotency_key").notNull(),
    reservationId: text("reservation_id").notNull(),
    instanceIds: jsonb("instance_ids").$type<string[]>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.idempotencyKey] })],
);

/** Rows as drizzle selects them, one type per table. */
export type LaunchRequestRow = typeof launchRequests.$inferSelect;
