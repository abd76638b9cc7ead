import { relations } from "drizzle-orm";
import { boolean, index, integer, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { images } from "./catalog";
import { computeHosts } from "./compute";
import { projects, users } from "./identity";
import { instances } from "./instance";

export const volumeStatus = pgEnum("volume_status", ["creating", "available", "reserved", "in-use", "deleting", "error", "error_deleting"]);

/**
 * Cinder volumes on the host-local backend: a volume's bits are a qcow2 file on the compute host
 * where it was first attached (`hostId`), so later launches that use it are placed on that host.
 * A volume never attached has no bits yet (`hostId` null): it is made, blank or from its image,
 * when its first instance is built.
 */
export const volumes = pgTable(
  "volumes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    sizeGb: integer("size_gb").notNull(),
    status: volumeStatus("status").notNull().default("available"),
    /** Why the volume is in an error status (error_deleting: what the host said), in plain words; null otherwise. */
    statusReason: text("status_reason"),
    /** The image the volume is made from (boot from volume); null for a blank volume. */
    imageId: uuid("image_id").references(() => images.id, { onDelete: "set null" }),
    bootable: boolean("bootable").notNull().default(false),
    hostId: uuid("host_id").references(() => computeHosts.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // The volume list's keyset orders (core's volumes list), per project and across projects.
  (t) => [
    index("volumes_project_name_idx").on(t.projectId, t.name, t.createdAt, t.id),
    index("volumes_project_created_idx").on(t.projectId, t.createdAt, t.id),
    index("volumes_name_idx").on(t.name, t.createdAt, t.id),
    index("volumes_created_idx").on(t.createdAt, t.id),
  ],
);

/** Nova's block device mappings for volumes: one attachment per volume (no multi-attach). */
export const volumeAttachments = pgTable(
  "volume_attachments",
  {
    volumeId: uuid("volume_id")
      .primaryKey()
      .references(() => volumes.id, { onDelete: "cascade" }),
    instanceId: uuid("instance_id")
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    /** 0 for the root disk when booting from the volume; null for extra disks. */
    bootIndex: integer("boot_index"),
    /** Guest device name, e.g. vdb. */
    device: text("device").notNull(),
    deleteOnTermination: boolean("delete_on_termination").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("volume_attachments_instance_idx").on(t.instanceId)],
);

export const volumesRelations = relations(volumes, ({ one }) => ({
  project: one(projects, { fields: [volumes.projectId], references: [projects.id] }),
  image: one(images, { fields: [volumes.imageId], references: [images.id] }),
  host: one(computeHosts, { fields: [volumes.hostId], references: [computeHosts.id] }),
  attachment: one(volumeAttachments, { fields: [volumes.id], references: [volumeAttachments.volumeId] }),
}));
export const volumeAttachmentsRelations = relations(volumeAttachments, ({ one }) => ({
  volume: one(volumes, { fields: [volumeAttachments.volumeId], references: [volumes.id] }),
  instance: one(instances, { fields: [volumeAttachments.instanceId], references: [instances.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type VolumeRow = typeof volumes.$inferSelect;
export type VolumeAttachmentRow = typeof volumeAttachments.$inferSelect;
