import { relations } from "drizzle-orm";
import { bigserial, boolean, index, inet, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { projects, users } from "./identity";

/**
 * What made a token: a user in the console, for a script (`script`, named, listed on the account
 * page), or Keystone's `POST /v3/auth/tokens` (`keystone`: one per client sign-in, short-lived,
 * not listed).
 */
export const apiTokenKind = pgEnum("api_token_kind", ["script", "keystone"]);

/** API tokens for scripts: scoped to one project, expiring, revocable; only the hash is kept. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: apiTokenKind("kind").notNull().default("script"),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  },
  (t) => [index("api_tokens_user_idx").on(t.userId)],
);

/** Every sign-in attempt, for lockout and per-address throttling. */
export const signInAttempts = pgTable(
  "sign_in_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    userName: text("user_name").notNull(),
    remoteAddress: inet("remote_address"),
    succeeded: boolean("succeeded").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("sign_in_attempts_user_idx").on(t.userName, t.at), index("sign_in_attempts_address_idx").on(t.remoteAddress, t.at)],
);

/** The audit trail: who did what, when, from where. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actorUserId: uuid("actor_user_id").references(() => users.id, { onDelete: "set null" }),
    actorName: text("actor_name"),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "set null" }),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    remoteAddress: inet("remote_address"),
    outcome: text("outcome").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
  },
  // The trail by action, newest first (core's audit list pages by id).
  (t) => [index("audit_events_at_idx").on(t.at), index("audit_events_action_idx").on(t.action, t.id)],
);

export const apiTokensRelations = relations(apiTokens, ({ one }) => ({
  user: one(users, { fields: [apiTokens.userId], references: [users.id] }),
  project: one(projects, { fields: [apiTokens.projectId], references: [projects.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type SignInAttemptRow = typeof signInAttempts.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;
