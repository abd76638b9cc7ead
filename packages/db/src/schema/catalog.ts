import { relations } from "drizzle-orm";
import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { projects } from "./identity";

/**
 * Nova flavors: the size of an instance. A deleted flavor keeps its row (`deletedAt` set), as
 * the instances launched with it still name it; it is gone from every list and lookup, and its
 * name is free again for a new flavor.
 */
export const flavors = pgTable(
  "flavors",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    /** Nova's flavor description (compute API 2.55). */
    description: text("description"),
    vcpus: integer("vcpus").notNull(),
    memoryMb: integer("memory_mb").notNull(),
    rootGb: integer("root_gb").notNull(),
    ephemeralGb: integer("ephemeral_gb").notNull().default(0),
    swapMb: integer("swap_mb").notNull().default(0),
    isPublic: boolean("is_public").notNull().default(true),
    disabled: boolean("disabled").notNull().default(false),
    extraSpecs: jsonb("extra_specs").$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("flavors_name_live_idx").on(t.name).where(sql`${t.deletedAt} is null`)],
);

/**
 * Nova's flavor access: the projects a private flavor is offered to (besides cloud admins, who
 * see every flavor). A public flavor has no rows here.
 */
export const flavorProjects = pgTable(
  "flavor_projects",
  {
    flavorId: uuid("flavor_id")
      .notNull()
      .references(() => flavors.id, { onDelete: "cascade" }),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.flavorId, t.projectId] }), index("flavor_projects_project_idx").on(t.projectId)],
);

export const imageStatus = pgEnum("image_status", ["queued", "saving", "active", "killed", "deleted"]);
export const imageVisibility = pgEnum("image_visibility", ["public", "private", "shared"]);

/**
 * Glance images. The bits live in the image store as `<store>/<id>` once `active`; the format is
 * what `qemu-img info` detected, never what the uploader claimed. Glance keeps kernel_id,
 * ramdisk_id, os_command_line, architecture, hypervisor_type and os_type as properties.
 */
export const images = pgTable(
  "images",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    status: imageStatus("status").notNull().default("queued"),
    visibility: imageVisibility("visibility").notNull().default("private"),
    ownerProjectId: uuid("owner_project_id").references(() => projects.id, { onDelete: "set null" }),
    /** qcow2, raw, or for direct-kernel-boot parts aki (kernel) and ari (ramdisk). */
    diskFormat: text("disk_format"),
    containerFormat: text("container_format").notNull().default("bare"),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    /** The guest-visible size of the disk (qemu-img's virtual-size); equals size for raw. */
    virtualSizeBytes: bigint("virtual_size_bytes", { mode: "number" }),
    checksumSha256: text("checksum_sha256"),
    /** Glance's `checksum`: the MD5 of the bits, kept for the clients that compare it. */
    checksumMd5: text("checksum_md5"),
    /** Glance's `os_hash_value` with `os_hash_algo` sha512 (its default hashing algorithm). */
    hashSha512: text("hash_sha512"),
    /**
     * Bytes the upload in progress has reserved against the project's image quotas (at least what
     * has arrived so far); counted only while the image is `saving`, 0 otherwise.
     */
    stagedBytes: bigint("staged_bytes", { mode: "number" }).notNull().default(0),
    minRamMb: integer("min_ram_mb").notNull().default(0),
    minDiskGb: integer("min_disk_gb").notNull().default(0),
    protected: boolean("protected").notNull().default(false),
    properties: jsonb("properties").$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // The image list's keyset orders (core's images list): by name then creation, or by creation.
  (t) => [index("images_name_idx").on(t.name, t.createdAt, t.id), index("images_created_idx").on(t.createdAt, t.id)],
);

/** A member's answer to a share (Glance's member_status): `pending` until the member project accepts or rejects it. */
export const imageMemberStatus = pgEnum("image_member_status", ["pending", "accepted", "rejected"]);

/**
 * Glance image members: the projects a `shared` image is offered to, by project id. As in Glance
 * the id is not checked against the projects (no foreign key): an owner learns nothing about which
 * projects exist by sharing. Only an `accepted` member sees the image.
 */
export const imageMembers = pgTable(
  "image_members",
  {
    imageId: uuid("image_id")
      .notNull()
      .references(() => images.id, { onDelete: "cascade" }),
    projectId: uuid("project_id").notNull(),
    status: imageMemberStatus("status").notNull().default("pending"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.imageId, t.projectId] }), index("image_members_project_idx").on(t.projectId)],
);

/**
 * The MTU of a tenant network by default: a 1500-byte underlay less VXLAN's 50 bytes of outer
 * headers (Neutron's global_physnet_mtu 1500 gives 1450 on its VXLAN networks).
 */
export const OVERLAY_NETWORK_MTU = 1450;

/** Neutron networks; addressing lives in their subnets (see network.ts). */
export const networks = pgTable(
  "networks",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    shared: boolean("shared").notNull().default(false),
    mtu: integer("mtu").notNull().default(OVERLAY_NETWORK_MTU),
    /**
     * The network's VXLAN network identifier (VNI, 1 … 16,777,215), given by the database as the
     * row is inserted (migration 0018, `nimbus_allocate_vni`): unique, and a released one is not
     * taken again before its quarantine is over (see `releasedSegments`).
     */
    segmentationId: integer("segmentation_id").unique(),
    /**
     * Neutron's `router:external`: routers of every project may take their gateway here and
     * floating IPs come from its subnets (cloud admins only). Visible to every project.
     */
    routerExternal: boolean("router_external").notNull().default(false),
    /**
     * Neutron's `provider:network_type`: `vxlan` (a tenant network on the overlay), `flat` (a host
     * bridge, NIMBUS_PHYSNETS) or `vlan` (tagged on a host interface, NIMBUS_PHYSNETS).
     */
    networkType: text("network_type").notNull().default("vxlan"),
    /** Neutron's `provider:physical_network` of a flat or vlan network: the name each host maps to an interface of its own. */
    physicalNetwork: text("physical_network"),
    /**
     * The 802.1Q VLAN id of a `vlan` network (Neutron's `provider:segmentation_id` for it), unique
     * per physical network; a vlan network has no VNI (migration 0030).
     */
    vlanId: integer("vlan_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The network list's keyset orders (core's networks list): by name then creation, or by creation.
    index("networks_name_idx").on(t.name, t.createdAt, t.id),
    index("networks_created_idx").on(t.createdAt, t.id),
    uniqueIndex("networks_physical_network_vlan_unique").on(t.physicalNetwork, t.vlanId),
    check(
      "networks_vlan_segment",
      sql`(${t.networkType} = 'vlan') = (${t.vlanId} is not null and ${t.physicalNetwork} is not null) and (${t.vlanId} is null or ${t.vlanId} between 1 and 4094)`,
    ),
  ],
);

export const imagesRelations = relations(images, ({ one }) => ({
  owner: one(projects, { fields: [images.ownerProjectId], references: [projects.id] }),
}));
export const networksRelations = relations(networks, ({ one }) => ({
  project: one(projects, { fields: [networks.projectId], references: [projects.id] }),
}));
export const flavorsRelations = relations(flavors, ({ many }) => ({ projects: many(flavorProjects) }));
export const flavorProjectsRelations = relations(flavorProjects, ({ one }) => ({
  flavor: one(flavors, { fields: [flavorProjects.flavorId], references: [flavors.id] }),
  project: one(projects, { fields: [flavorProjects.projectId], references: [projects.id] }),
}));
export const imageMembersRelations = relations(imageMembers, ({ one }) => ({
  image: one(images, { fields: [imageMembers.imageId], references: [images.id] }),
  project: one(projects, { fields: [imageMembers.projectId], references: [projects.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type FlavorRow = typeof flavors.$inferSelect;
export type FlavorProjectRow = typeof flavorProjects.$inferSelect;
export type ImageRow = typeof images.$inferSelect;
export type ImageMemberRow = typeof imageMembers.$inferSelect;
export type NetworkRow = typeof networks.$inferSelect;
