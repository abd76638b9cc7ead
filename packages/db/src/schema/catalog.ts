import { relations } from "drizzle-orm";
import { bigint, boolean, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { projects } from "./identity";

/** Nova flavors: the size of an instance. */
export const flavors = pgTable("flavors", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  vcpus: integer("vcpus").notNull(),
  memoryMb: integer("memory_mb").notNull(),
  rootGb: integer("root_gb").notNull(),
  ephemeralGb: integer("ephemeral_gb").notNull().default(0),
  swapMb: integer("swap_mb").notNull().default(0),
  isPublic: boolean("is_public").notNull().default(true),
  disabled: boolean("disabled").notNull().default(false),
  extraSpecs: jsonb("extra_specs").$type<Record<string, string>>().notNull().default({}),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const imageStatus = pgEnum("image_status", ["queued", "saving", "active", "killed", "deleted"]);
export const imageVisibility = pgEnum("image_visibility", ["public", "private", "shared"]);

/** Glance images. */
export const images = pgTable("images", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  status: imageStatus("status").notNull().default("queued"),
  visibility: imageVisibility("visibility").notNull().default("private"),
  ownerProjectId: uuid("owner_project_id").references(() => projects.id, { onDelete: "set null" }),
  diskFormat: text("disk_format"),
  sizeBytes: bigint("size_bytes", { mode: "number" }),
  checksumSha256: text("checksum_sha256"),
  minRamMb: integer("min_ram_mb").notNull().default(0),
  minDiskGb: integer("min_disk_gb").notNull().default(0),
  properties: jsonb("properties").$type<Record<string, string>>().notNull().default({}),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Neutron networks (one subnet each for now). */
export const networks = pgTable("networks", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
  shared: boolean("shared").notNull().default(false),
  cidr: text("cidr").notNull(),
  gatewayIp: text("gateway_ip"),
  mtu: integer("mtu").notNull().default(1500),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const imagesRelations = relations(images, ({ one }) => ({
  owner: one(projects, { fields: [images.ownerProjectId], references: [projects.id] }),
}));
export const networksRelations = relations(networks, ({ one }) => ({
  project: one(projects, { fields: [networks.projectId], references: [projects.id] }),
}));
