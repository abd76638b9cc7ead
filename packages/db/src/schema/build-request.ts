import { relations } from "drizzle-orm";
import { index, integer, jsonb, pgEnum, pgTable, timestamp, uuid } from "drizzle-orm/pg-core";
import { instances } from "./instance";

export const buildRequestStatus = pgEnum("build_request_status", ["pending", "scheduled", "dispatched", "done", "failed"]);

/** What the scheduler must honour beyond the flavor (Nova's RequestSpec). */
export interface BuildRequestSpec {
  availabilityZone?: string | null;
  /** Admin-only forced host (`zone:host`). */
  forcedHost?: string | null;
  serverGroupId?: string | null;
}

export interface BuildAttempt {
  host: string;
  error: string;
  at: string;
}

/**
 * The durable half of the conductor: one row per instance being built. A conductor claims
 * pending rows with FOR UPDATE SKIP LOCKED, so several web processes share the work.
 */
export const buildRequests = pgTable(
  "build_requests",
  {
    instanceId: uuid("instance_id")
      .primaryKey()
      .references(() => instances.id, { onDelete: "cascade" }),
    status: buildRequestStatus("status").notNull().default("pending"),
    requestSpec: jsonb("request_spec").$type<BuildRequestSpec>().notNull().default({}),
    attempts: jsonb("attempts").$type<BuildAttempt[]>().notNull().default([]),
    maxAttempts: integer("max_attempts").notNull().default(3),
    /** Next time a conductor should look at this row (retry, dispatch redelivery, timeout). */
    dueAt: timestamp("due_at", { withTimezone: true }).notNull().defaultNow(),
    commandId: uuid("command_id"),
    /** When the spawn command was first sent to the chosen host. */
    dispatchedAt: timestamp("dispatched_at", { withTimezone: true }),
    /** When the agent acknowledged the spawn command; until then it is redelivered. */
    commandAckedAt: timestamp("command_acked_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("build_requests_due_idx").on(t.status, t.dueAt)],
);

export const buildRequestsRelations = relations(buildRequests, ({ one }) => ({
  instance: one(instances, { fields: [buildRequests.instanceId], references: [instances.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type BuildRequestRow = typeof buildRequests.$inferSelect;
