import { relations } from "drizzle-orm";
import { index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./identity";

/** Nova key pairs: OpenSSH public keys, owned by a user (not a project), unique by name per user. */
export const keyPairs = pgTable(
  "key_pairs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    type: text("type").notNull().default("ssh"),
    /** One OpenSSH line: `ssh-ed25519 AAAA… comment`. The private key is never stored. */
    publicKey: text("public_key").notNull(),
    /** OpenSSH's SHA256:… fingerprint. */
    fingerprint: text("fingerprint").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("key_pairs_user_name_idx").on(t.userId, t.name), index("key_pairs_user_created_idx").on(t.userId, t.createdAt, t.id)],
);

export const keyPairsRelations = relations(keyPairs, ({ one }) => ({
  user: one(users, { fields: [keyPairs.userId], references: [users.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type KeyPairRow = typeof keyPairs.$inferSelect;
