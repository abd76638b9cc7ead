import { relations } from "drizzle-orm";
import { index, integer, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { projects, users } from "./identity";
import { instances } from "./instance";

export const serverGroupPolicy = pgEnum("server_group_policy", ["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"]);

/** Nova server groups: where members may land relative to each other. */
export const serverGroups = pgTable(
  "server_groups",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    policy: serverGroupPolicy("policy").notNull(),
    /** anti-affinity only: how many members one host may hold (Nova's max_server_per_host). */
    maxServerPerHost: integer("max_server_per_host"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("server_groups_project_idx").on(t.projectId)],
);

export const serverGroupMembers = pgTable("server_group_members", {
  instanceId: uuid("instance_id")
    .primaryKey()
    .references(() => instances.id, { onDelete: "cascade" }),
  groupId: uuid("group_id")
    .notNull()
    .references(() => serverGroups.id, { onDelete: "cascade" }),
});

export const serverGroupsRelations = relations(serverGroups, ({ many, one }) => ({
  members: many(serverGroupMembers),
  project: one(projects, { fields: [serverGroups.projectId], references: [projects.id] }),
}));
export const serverGroupMembersRelations = relations(serverGroupMembers, ({ one }) => ({
  group: one(serverGroups, { fields: [serverGroupMembers.groupId], references: [serverGroups.id] }),
  instance: one(instances, { fields: [serverGroupMembers.instanceId], references: [instances.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type ServerGroupRow = typeof serverGroups.$inferSelect;
export type ServerGroupMemberRow = typeof serverGroupMembers.$inferSelect;
