/** Input schemas shared by the API and the console's forms (pure: safe in the browser). */
import { z } from "zod";

/** PostgreSQL's `integer` (int4): the largest value any int4 column takes. */
export const INT4_MAX = 2_147_483_647;

/** Half of a UTF-16 surrogate pair without the other half: not Unicode, so no encoder can store it as it is. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text as a caller may send it: every text field of every input (the API's and the agent
 * protocol's) starts here. It refuses a NUL character (PostgreSQL's text cannot hold one, and
 * the insert would fail as an internal error) and a lone UTF-16 surrogate (not Unicode: the
 * database driver would silently store U+FFFD in its place). `label` names the field in the
 * message, e.g. "Name cannot contain a NUL character."
 */
export function text(label: string) {
  return z.string().check(
    z.refine((v) => !v.includes("\u0000"), `${label} cannot contain a NUL character.`),
    z.refine((v) => !LONE_SURROGATE.test(v), `${label} must be valid Unicode text (it has half of a UTF-16 surrogate pair).`),
  );
}

/**
 * The error option of a record whose keys are text: a refused key says why (zod's own message
 * is only "Invalid key in record"), e.g. `z.record(text("Metadata keys"), value, keyErrors)`.
 */
export const keyErrors = {
  error: (issue: { code?: string; issues?: readonly { message?: string }[] }) =>
    issue.code === "invalid_key" ? issue.issues?.map((i) => i.message).join(" ") : undefined,
};

/**
 * A list's items are each given once (ids of security groups, volumes, member projects, ...):
 * twice would either mean nothing or break a unique row. Use as `.refine(eachOnce(), message)`;
 * `key` picks what must differ (the item itself by default).
 */
export function eachOnce<T>(key: (item: T) => unknown = (item) => item): (items: readonly T[]) => boolean {
  return (items) => new Set(items.map(key)).size === items.length;
}

export const instanceNameSchema = text("Instance name")
  .trim()
  .min(1, "Enter an instance name.")
  .max(63, "Use at most 63 characters.")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Start with a letter or digit; use only letters, digits, '.', '_' and '-'.");

export const MAX_COUNT = 10;
/** Largest volume, as create-volume and the launch's image-to-volume boot source allow. */
export const MAX_VOLUME_GB = 16_384;
export const MAX_USER_DATA_BYTES = 64 * 1024;
/** Most existing volumes one launch attaches. */
export const MAX_LAUNCH_VOLUMES = 8;

/**
 * Horizon's Boot Source: the image as a local disk (an overlay on the host), a new volume made
 * from the image, or an existing bootable volume.
 */
export const bootSourceSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("image") }),
  z.object({
    type: z.literal("image-to-volume"),
    sizeGb: z.number().int().min(1, "A volume holds at least 1 GB.").max(MAX_VOLUME_GB),
    deleteOnTermination: z.boolean().default(true),
  }),
  z.object({ type: z.literal("volume"), volumeId: z.uuid("Choose a volume."), deleteOnTermination: z.boolean().default(false) }),
]);
export type BootSource = z.infer<typeof bootSourceSchema>;

/** The launch fields; wizard steps pick from these. */
export const launchInstanceFields = z.object({
  name: instanceNameSchema,
  count: z.number().int("Count must be a whole number.").min(1, "Launch at least 1 instance.").max(MAX_COUNT, `Launch at most ${MAX_COUNT} at once.`),
  /** The image to boot; not needed when booting from an existing volume. */
  imageId: z.uuid("Choose an image.").nullable().default(null),
  flavorId: z.uuid("Choose a flavor."),
  networkId: z.uuid("Choose a network."),
  description: text("Description").max(255, "Use at most 255 characters.").default(""),
  /** Nova's min_count: launch as many as quota allows between this and `count`. */
  minCount: z.number().int().min(1).max(MAX_COUNT).optional(),
  /** An availability zone; admins may write `zone:host` to force a host. */
  availabilityZone: text("Availability zone")
    .trim()
    .max(255)
    .regex(/^[A-Za-z0-9._-]*(:[A-Za-z0-9._-]+)?$/, "Use a zone name, or zone:host.")
    .nullable()
    .default(null),
  serverGroupId: z.uuid("Not a server group id.").nullable().default(null),
  /** Security groups for the instance's port; none chosen: the project's `default` group. */
  securityGroupIds: z
    .array(z.uuid("Not a security group id."))
    .max(10, "Choose at most 10 security groups.")
    .refine(eachOnce(), "Choose each security group once.")
    .default([]),
  /** The key pair whose public key the guest gets (by name, as Nova does). */
  keyName: text("Key pair name").trim().min(1).max(255).nullable().default(null),
  /** Plain-text user data for cloud-init (at most 64 KiB). */
  userData: text("User data")
    .refine((v) => new TextEncoder().encode(v).length <= MAX_USER_DATA_BYTES, `User data is limited to ${MAX_USER_DATA_BYTES / 1024} KiB.`)
    .nullable()
    .default(null),
  /** Nova server metadata: key/value pairs visible to the guest (config drive meta). */
  metadata: z
    .record(text("Metadata keys").trim().min(1, "Metadata keys cannot be empty.").max(255), text("Metadata values").max(255), keyErrors)
    .refine((m) => Object.keys(m).length <= 128, "At most 128 metadata items.")
    .default({}),
  /** Where the root disk comes from (Horizon's Boot Source). */
  bootSource: bootSourceSchema.default({ type: "image" }),
  /** Existing volumes attached as extra disks (single instance launches only). */
  volumes: z
    .array(z.object({ volumeId: z.uuid("Not a volume id."), deleteOnTermination: z.boolean().default(false) }))
    .max(MAX_LAUNCH_VOLUMES, `Attach at most ${MAX_LAUNCH_VOLUMES} volumes.`)
    .refine(
      eachOnce((a: { volumeId: string }) => a.volumeId),
      "Each volume can be attached once.",
    )
    .default([]),
  /** Whether the guest gets a config drive (cloud-init's ConfigDrive source); on by default. */
  configDrive: z.boolean().default(true),
  /** Repeating a launch with the same key returns the same instances and claims nothing twice. */
  idempotencyKey: text("Idempotency key").trim().min(8).max(255).optional(),
});

export const launchInstanceInput = launchInstanceFields
  .refine((v) => v.minCount === undefined || v.minCount <= v.count, { path: ["minCount"], message: "Minimum count cannot exceed count." })
  .refine((v) => v.bootSource.type === "volume" || v.imageId !== null, { path: ["imageId"], message: "Choose an image." })
  .refine((v) => v.count === 1 || (v.volumes.length === 0 && v.bootSource.type !== "volume"), {
    path: ["volumes"],
    message: "An existing volume can be attached to one instance only: launch a count of 1.",
  });
export type LaunchInstanceInput = z.input<typeof launchInstanceInput>;

export const instanceIdInput = z.object({ id: z.uuid("Not an instance id.") });

/** An instance by id; `allProjects`: in whichever project it is (the operator's view, cloud admins). */
export const getInstanceInput = instanceIdInput.extend({ allProjects: z.boolean().default(false) });

export const VM_STATES = ["building", "active", "stopped", "paused", "suspended", "resized", "error", "deleted"] as const;
/** Most instances one page of a list holds (Nova's max_limit). */
export const MAX_LIST_LIMIT = 1000;

/**
 * A keyset page request's fields (see core's paging/keyset): the sort key among `keys`, its
 * direction, the page size (at most Nova's max_limit) and the cursor of the page to show.
 */
export function pageInput<const Keys extends readonly [string, ...string[]]>(
  keys: Keys,
  defaults: { sort: Keys[number]; direction: "asc" | "desc"; limit?: number },
) {
  return {
    sort: z.enum(keys, `Sort by one of: ${keys.join(", ")}.`).default(defaults.sort as never),
    direction: z.enum(["asc", "desc"], "Sort asc or desc.").default(defaults.direction),
    limit: z
      .number()
      .int()
      .min(1, "Ask for at least one row.")
      .max(MAX_LIST_LIMIT, `Ask for at most ${MAX_LIST_LIMIT} rows.`)
      .default(defaults.limit ?? 20),
    cursor: text("The page cursor").max(4096, "Not a page cursor this list gave out.").optional(),
  };
}

/** The orders an instance list can be in: by creation (launch order within a launch), name, status (vm_state). */
export const INSTANCE_SORT_KEYS = ["created", "name", "status"] as const;
export type InstanceSortKey = (typeof INSTANCE_SORT_KEYS)[number];

/**
 * Which instances a list returns, filtered, sorted and paged in the database (Nova's GET /servers
 * filters). With none given: the project's instances that are not deleted, newest first.
 */
export const listInstancesInput = z
  .object({
    /** Every project's instances, or with `projectId` one other project's (cloud admins: Nova's all_tenants). */
    allProjects: z.boolean().default(false),
    projectId: z.uuid("Not a project id.").optional(),
    /** Names matching this regular expression (PostgreSQL's, as Nova's name filter is a regular expression). */
    name: text("Name filter").max(255, "Use at most 255 characters.").optional(),
    vmStates: z.array(z.enum(VM_STATES)).min(1).max(VM_STATES.length).optional(),
    /** Only instances changed at or after this instant, deleted ones included (Nova's changes-since). */
    changesSince: z.date().optional(),
    reservationId: text("Reservation id").max(255).optional(),
    imageId: z.uuid("Not an image id.").optional(),
    flavorId: z.uuid("Not a flavor id.").optional(),
    /** A fixed address matching this regular expression. */
    ip: text("IP filter").max(255).optional(),
    /** Instances on this host (cloud admins). */
    host: text("Host").max(255).optional(),
    userId: z.uuid("Not a user id.").optional(),
    keyName: text("Key pair name").max(255).optional(),
    /** At most this many (at most MAX_LIST_LIMIT); a page after `marker` (an instance id) when given. */
    limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
    marker: z.uuid("Not an instance id.").optional(),
    /** The order (newest first unless told) and, instead of a marker, the cursor of a page this list gave out. */
    sort: z.enum(INSTANCE_SORT_KEYS, `Sort by one of: ${INSTANCE_SORT_KEYS.join(", ")}.`).default("created"),
    direction: z.enum(["asc", "desc"], "Sort asc or desc.").optional(),
    cursor: text("The page cursor").max(4096, "Not a page cursor this list gave out.").optional(),
  })
  .default({ allProjects: false, sort: "created" });
export type ListInstancesInput = z.input<typeof listInstancesInput>;
export const idInput = z.object({ id: z.uuid("Not a valid id.") });
/**
 * Nova's `POST /servers/{id}/remote-consoles` body: a VNC console shown by noVNC, the one kind
 * Nimbus offers (Nova also knows spice, rdp, serial and mks).
 */
export const remoteConsoleInput = z.object({
  id: z.uuid("Not an instance id."),
  protocol: z.literal("vnc", "Only vnc consoles are offered.").default("vnc"),
  type: z.literal("novnc", "Only novnc consoles are offered.").default("novnc"),
});

/** Nova's reboot body: `{"reboot": {"type": "SOFT" | "HARD"}}`; SOFT unless told. */
export const rebootInstanceInput = z.object({
  id: z.uuid("Not an instance id."),
  type: z.enum(["SOFT", "HARD"], "Reboot type must be SOFT or HARD.").default("SOFT"),
});
/** Nova's resize body: `{"resize": {"flavorRef": …}}`. */
export const resizeInstanceInput = z.object({
  id: z.uuid("Not an instance id."),
  flavorId: z.uuid("Choose a flavor."),
});
/** A compute host's name, as an operator names a destination. */
const targetHost = text("Host name")
  .trim()
  .min(1, "Name a host.")
  .max(253, "A host name has at most 253 characters.")
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9.-]*$/, "Not a host name.");
/**
 * Nova's migrate (`{"migrate": {"host": …}}`, 2.56) and evacuate (`{"evacuate": {"host": …,
 * "force": …}}`): a named host is checked by the scheduler's filters unless `force`.
 */
export const migrateInstanceInput = z.object({
  id: z.uuid("Not an instance id."),
  host: targetHost.nullable().default(null),
  force: z.boolean().default(false),
});
export const evacuateInstanceInput = migrateInstanceInput;
/**
 * Nova's os-migrateLive: a named host (checked by the filters unless `force`) or the
 * scheduler's choice; block migration copies the disk along (`auto`: whenever the hosts share
 * no storage, which Nimbus hosts never do).
 */
export const liveMigrateInstanceInput = z.object({
  instanceId: z.uuid("Not an instance id."),
  host: targetHost.nullable().default(null),
  blockMigration: z.union([z.boolean(), z.literal("auto")]).default("auto"),
  force: z.boolean().default(false),
});
/**
 * Nova's rebuild (`{"rebuild": {"imageRef", "name", "metadata", "key_name", "user_data"}}`): the
 * image (new or the same) is required; a field left out keeps what the instance has, a null key
 * name or user data removes it (Nova 2.54 / 2.57), metadata given replaces all of it.
 */
export const rebuildInstanceInput = z.object({
  instanceId: z.uuid("Not an instance id."),
  imageId: z.uuid("Choose an image."),
  name: instanceNameSchema.optional(),
  keyName: launchInstanceFields.shape.keyName.unwrap().unwrap().nullable().optional(),
  userData: launchInstanceFields.shape.userData.unwrap().unwrap().nullable().optional(),
  metadata: launchInstanceFields.shape.metadata.unwrap().optional(),
});
export type RebuildInstanceInput = z.input<typeof rebuildInstanceInput>;
/** Every instance of a down host, each to a host the scheduler picks. */
export const evacuateHostInput = z.object({ hostId: z.uuid("Not a host id.") });
export const instanceConsoleInput = z.object({
  id: z.uuid("Not an instance id."),
  /** Continue after this console offset; omitted: the newest part of the log. */
  afterOffset: z.number().int().min(-1).optional(),
});
