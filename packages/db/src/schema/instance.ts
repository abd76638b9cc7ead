import { relations, sql } from "drizzle-orm";
import { bigint, bigserial, boolean, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { flavors, images, networks } from "./catalog";
import { computeHosts } from "./compute";
import { projects, users } from "./identity";

/** Nova's vm_states; `resized` is a resize or cold migration waiting for its confirm or revert (VERIFY_RESIZE). */
export const vmState = pgEnum("vm_state", ["building", "active", "stopped", "paused", "suspended", "resized", "error", "deleted"]);
/** Nova's task states: a build's phases, delete, and the lifecycle actions on an existing instance. */
export const taskState = pgEnum("task_state", [
  "scheduling",
  "networking",
  "block_device_mapping",
  "spawning",
  "deleting",
  "powering-off",
  "powering-on",
  "rebooting",
  "reboot_pending",
  "reboot_started",
  "rebooting_hard",
  "reboot_pending_hard",
  "reboot_started_hard",
  "pausing",
  "unpausing",
  "suspending",
  "resuming",
  "resize_prep",
  "resize_migrating",
  "resize_migrated",
  "resize_finish",
  "resize_reverting",
  "resize_confirming",
  "rebuilding",
  "rebuild_block_device_mapping",
  "rebuild_spawning",
  // createImage (a snapshot): Nova's image_snapshot ─▶ image_pending_upload ─▶ image_uploading.
  "image_snapshot",
  "image_pending_upload",
  "image_uploading",
  "migrating",
]);
export const powerState = pgEnum("power_state", ["nostate", "running", "paused", "shutdown", "crashed", "suspended"]);

export interface InstanceFault {
  code: string;
  message: string;
  details?: string;
  createdAt: string;
}

export const instances = pgTable(
  "instances",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    flavorId: uuid("flavor_id")
      .notNull()
      .references(() => flavors.id),
    imageId: uuid("image_id").references(() => images.id),
    networkId: uuid("network_id").references(() => networks.id),
    hostId: uuid("host_id").references(() => computeHosts.id),
    /** Flavor as it was at launch (Nova keeps it in instance_extra): quota counts these. */
    vcpus: integer("vcpus").notNull(),
    memoryMb: integer("memory_mb").notNull(),
    rootGb: integer("root_gb").notNull(),
    vmState: vmState("vm_state").notNull().default("building"),
    taskState: taskState("task_state"),
    powerState: powerState("power_state").notNull().default("nostate"),
    progress: integer("progress").notNull().default(0),
    /** Highest report sequence number applied from the compute agent (duplicates are dropped). */
    lastReportSeq: bigint("last_report_seq", { mode: "number" }).notNull().default(-1),
    fault: jsonb("fault").$type<InstanceFault>(),
    reservationId: text("reservation_id").notNull(),
    /** The availability zone asked for at launch (null: any). */
    availabilityZone: text("availability_zone"),
    launchIndex: integer("launch_index").notNull().default(0),
    /** Nova's network info cache: the first port's address and MAC (the ports table is the truth). */
    fixedIp: text("fixed_ip"),
    macAddress: text("mac_address"),
    /** The key pair chosen at launch, by name, and its public key as it was then (Nova's key_data). */
    keyName: text("key_name"),
    keyData: text("key_data"),
    /** Base64 user data (at most 64 KiB decoded), handed to the guest on the config drive. */
    userData: text("user_data"),
    configDrive: boolean("config_drive").notNull().default(true),
    /** When the guest's serial console said it finished booting (beyond Nova's ACTIVE). */
    guestBootedAt: timestamp("guest_booted_at", { withTimezone: true }),
    metadata: jsonb("metadata").$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    launchedAt: timestamp("launched_at", { withTimezone: true }),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    index("instances_project_idx").on(t.projectId, t.deletedAt),
    index("instances_host_idx").on(t.hostId),
    // The list's keyset orders (core's compute/queries instanceKeyset), in a project and across projects.
    index("instances_project_created_idx").on(t.projectId, t.createdAt, sql`(-${t.launchIndex})`, t.id),
    index("instances_project_name_idx").on(t.projectId, t.name, t.id),
    index("instances_project_status_idx").on(t.projectId, t.vmState, t.id),
    index("instances_created_idx").on(t.createdAt, sql`(-${t.launchIndex})`, t.id),
    index("instances_name_idx").on(t.name, t.id),
    index("instances_status_idx").on(t.vmState, t.id),
    // Instances in a task (a few of 100,000): the sweeps that look for deletes and builds on
    // hosts gone down read these instead of every instance each second.
    index("instances_in_task_idx").on(t.taskState, t.hostId).where(sql`${t.taskState} is not null`),
    // What the archive job reads: deleted instances, oldest deletion first.
    index("instances_deleted_idx").on(t.deletedAt, t.id).where(sql`${t.vmState} = 'deleted'`),
  ],
);

/** os-instance-actions: one row per user-visible action (create, delete, ...). */
export const instanceActions = pgTable(
  "instance_actions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    instanceId: uuid("instance_id")
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    action: text("action").notNull(),
    requestId: text("request_id").notNull(),
    userId: uuid("user_id").references(() => users.id),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id),
    startTime: timestamp("start_time", { withTimezone: true }).notNull().defaultNow(),
    finishTime: timestamp("finish_time", { withTimezone: true }),
    message: text("message"),
  },
  (t) => [index("instance_actions_instance_idx").on(t.instanceId, t.startTime, t.id)],
);

/**
 * The events of an action (one per build phase). The bigserial id doubles as the cursor of the
 * instance's progress stream: a viewer resumes with "everything after id N".
 */
export const instanceActionEvents = pgTable(
  "instance_action_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    actionId: uuid("action_id")
      .notNull()
      .references(() => instanceActions.id, { onDelete: "cascade" }),
    instanceId: uuid("instance_id")
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    startTime: timestamp("start_time", { withTimezone: true }).notNull().defaultNow(),
    finishTime: timestamp("finish_time", { withTimezone: true }),
    result: text("result"),
    host: text("host"),
    details: text("details"),
  },
  // An action's events, as the action log reads them (without it, each action scanned every event).
  (t) => [index("instance_action_events_instance_idx").on(t.instanceId, t.id), index("instance_action_events_action_idx").on(t.actionId, t.id)],
);

/**
 * The durable half of an action on an existing instance (stop, start, reboot, …): at most one per
 * instance, from the verb that set the task state until the host's last report on it (or a
 * timeout, the host going down, a delete). Nova casts to the compute host and trusts the queue;
 * here the command is resent (same id) until the host acknowledges it, and an acknowledged one
 * that ends with no report by `due_at` is failed back to the instance's true state.
 */
export const instanceTasks = pgTable(
  "instance_tasks",
  {
    instanceId: uuid("instance_id")
      .primaryKey()
      .references(() => instances.id, { onDelete: "cascade" }),
    actionId: uuid("action_id")
      .notNull()
      .references(() => instanceActions.id, { onDelete: "cascade" }),
    /** What the host is asked to do (`InstanceOperation`: stop, start, reboot, reboot_hard, …). */
    operation: text("operation").notNull(),
    /** The command's id: redeliveries carry it again, and the host's reports name it. */
    commandId: uuid("command_id").notNull(),
    hostId: uuid("host_id")
      .notNull()
      .references(() => computeHosts.id),
    /** The operation's parameters as sent (e.g. the graceful shutdown timeout). */
    params: jsonb("params").$type<Record<string, unknown>>().notNull().default({}),
    /** The vm_state before the action: where a failed action with no word from the host leaves it. */
    previousVmState: vmState("previous_vm_state").notNull(),
    /** Next time a sweeper looks at it: redelivery while unacknowledged, then the deadline. */
    dueAt: timestamp("due_at", { withTimezone: true }).notNull().defaultNow(),
    dispatchedAt: timestamp("dispatched_at", { withTimezone: true }),
    ackedAt: timestamp("acked_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("instance_tasks_due_idx").on(t.dueAt), index("instance_tasks_host_idx").on(t.hostId)],
);

/**
 * The guest's serial console log as the agent streamed it: chunks keyed by their byte offset in
 * the console file, so a resent chunk is stored once and a viewer resumes "after offset N".
 */
export const instanceConsoleChunks = pgTable(
  "instance_console_chunks",
  {
    instanceId: uuid("instance_id")
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    offset: bigint("offset", { mode: "number" }).notNull(),
    data: text("data").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.instanceId, t.offset] })],
);

export const instancesRelations = relations(instances, ({ one, many }) => ({
  project: one(projects, { fields: [instances.projectId], references: [projects.id] }),
  user: one(users, { fields: [instances.userId], references: [users.id] }),
  flavor: one(flavors, { fields: [instances.flavorId], references: [flavors.id] }),
  image: one(images, { fields: [instances.imageId], references: [images.id] }),
  network: one(networks, { fields: [instances.networkId], references: [networks.id] }),
  host: one(computeHosts, { fields: [instances.hostId], references: [computeHosts.id] }),
  actions: many(instanceActions),
}));
export const instanceActionsRelations = relations(instanceActions, ({ one, many }) => ({
  instance: one(instances, { fields: [instanceActions.instanceId], references: [instances.id] }),
  events: many(instanceActionEvents),
}));
export const instanceActionEventsRelations = relations(instanceActionEvents, ({ one }) => ({
  action: one(instanceActions, { fields: [instanceActionEvents.actionId], references: [instanceActions.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type InstanceRow = typeof instances.$inferSelect;
export type InstanceActionRow = typeof instanceActions.$inferSelect;
export type InstanceActionEventRow = typeof instanceActionEvents.$inferSelect;
export type InstanceConsoleChunkRow = typeof instanceConsoleChunks.$inferSelect;
export type InstanceTaskRow = typeof instanceTasks.$inferSelect;

/**
 * Deleted instances archived out of the live tables (`nova-manage db archive_deleted_rows`'s
 * shadow tables): each keeps the instance's row as it was, and its actions with their events,
 * as JSON, so admins can still read what was there and what was done to it. JSON rather than a
 * copy of each table's columns: Nova's shadow tables must be migrated with every change to
 * their originals, and an archive that fails on a column out of step archives nothing.
 */
export const shadowInstances = pgTable(
  "shadow_instances",
  {
    id: uuid("id").primaryKey(),
    projectId: uuid("project_id").notNull(),
    name: text("name").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    archivedAt: timestamp("archived_at", { withTimezone: true }).notNull().defaultNow(),
    /** The instances row, column names as keys (fault, flavor sizes, host and all). */
    instance: jsonb("instance").$type<Record<string, unknown>>().notNull(),
    /** Its os-instance-actions, oldest first, each with its `events`. */
    actions: jsonb("actions").$type<Record<string, unknown>[]>().notNull(),
  },
  (t) => [
    index("shadow_instances_project_deleted_idx").on(t.projectId, t.deletedAt, t.id),
    index("shadow_instances_deleted_idx").on(t.deletedAt, t.id),
  ],
);

export type ShadowInstanceRow = typeof shadowInstances.$inferSelect;
