import { relations } from "drizzle-orm";
import { sql } from "drizzle-orm";
import { check, index, integer, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { computeHosts } from "./compute";
import { apiTokens } from "./access";
import { projects, users } from "./identity";
import { instances } from "./instance";

/** What the caller who asked for a console authenticated with: its end ends the console. */
export const consoleCredentialKind = pgEnum("console_credential_kind", ["session", "api_token"]);

/**
 * Nova's console_auth_tokens: a console URL's token (only its hash), exchanged once by the
 * console proxy for where the guest's display listens (`host`:`port`, as the host's agent said).
 * A row is deleted when it is exchanged; one past `expires_at` is worth nothing and is removed
 * when the next console is asked for. The credential that asked for it is kept, so the console
 * it opens lives no longer than that credential (sign-out, revocation, a password change).
 */
export const consoleAuthTokens = pgTable(
  "console_auth_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tokenHash: text("token_hash").notNull().unique(),
    /** `vnc`: the only protocol offered (noVNC in the browser). */
    protocol: text("protocol").notNull(),
    instanceId: uuid("instance_id")
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    hostId: uuid("host_id")
      .notNull()
      .references(() => computeHosts.id, { onDelete: "cascade" }),
    /** Where the proxy connects: the address the host's agent reported (its proxy client address) and the display's port. */
    host: text("host").notNull(),
    port: integer("port").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    credentialKind: consoleCredentialKind("credential_kind").notNull(),
    /** The session's token hash (kind session) … */
    sessionTokenHash: text("session_token_hash"),
    /** … or the API token (kind api_token). */
    apiTokenId: uuid("api_token_id").references(() => apiTokens.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("console_auth_tokens_expires_idx").on(t.expiresAt),
    check(
      "console_auth_tokens_credential",
      sql`(${t.credentialKind} = 'session' and ${t.sessionTokenHash} is not null) or (${t.credentialKind} = 'api_token' and ${t.apiTokenId} is not null)`,
    ),
  ],
);

export const consoleAuthTokensRelations = relations(consoleAuthTokens, ({ one }) => ({
  instance: one(instances, { fields: [consoleAuthTokens.instanceId], references: [instances.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type ConsoleAuthTokenRow = typeof consoleAuthTokens.$inferSelect;
