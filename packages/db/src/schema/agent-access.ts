import { relations } from "drizzle-orm";
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./identity";

/** One-time tokens an admin hands to a new compute host; exchanged for a host credential. */
export const agentJoinTokens = pgTable("agent_join_tokens", {
  id: uuid("id").primaryKey().defaultRandom(),
  tokenHash: text("token_hash").notNull().unique(),
  /** The host name the token is for; null lets the agent choose its own. */
  hostname: text("hostname"),
  createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }),
  usedByHostname: text("used_by_hostname"),
});

/** The credential a compute agent presents for its host (only the hash is kept). */
export const hostCredentials = pgTable("host_credentials", {
  hostname: text("hostname").primaryKey(),
  credentialHash: text("credential_hash").notNull().unique(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});

export const agentJoinTokensRelations = relations(agentJoinTokens, ({ one }) => ({
  creator: one(users, { fields: [agentJoinTokens.createdBy], references: [users.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type AgentJoinTokenRow = typeof agentJoinTokens.$inferSelect;
export type HostCredentialRow = typeof hostCredentials.$inferSelect;
