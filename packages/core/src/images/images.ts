import { rm } from "node:fs/promises";
import { schema, type Executor } from "@nimbus/db";
import { and, asc, eq, inArray, ne, or, sql, type SQL } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import type { Principal } from "../policy";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { enforceQuota } from "../quota/enforce";
import { imageFilePath } from "./import";
import { imageVisibleTo } from "./visibility";
import { keyErrors, MAX_LIST_LIMIT, text } from "../validation";
import { containsText, keyset, textPart, timestampPart } from "../paging/keyset";
import type { ImageMemberRow, ImageRow } from "@nimbus/db/schema";

export type ImageMemberStatus = ImageMemberRow["status"];

/** A disk image to boot, or the kernel (aki) / ramdisk (ari) part of a direct-kernel-boot image. */
export const IMAGE_KINDS = ["disk", "kernel", "ramdisk"] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];

const PART_FORMAT = { kernel: "aki", ramdisk: "ari" } as const;

export function imageKindOf(diskFormat: string | null): ImageKind {
  return diskFormat === "aki" ? "kernel" : diskFormat === "ari" ? "ramdisk" : "disk";
}

/** The Glance properties Nimbus understands, as input fields (camelCase) and as stored (Glance's keys). */
const PROPERTY_KEYS = {
  architecture: "architecture",
  hypervisorType: "hypervisor_type",
  osType: "os_type",
  kernelId: "kernel_id",
  ramdiskId: "ramdisk_id",
  osCommandLine: "os_command_line",
} as const;
type PropertyField = keyof typeof PROPERTY_KEYS;

/**
 * Glance's image attributes that are not properties: an additional property may not take their
 * name, nor one in Glance's reserved `os_glance_` namespace.
 */
const RESERVED_PROPERTY_KEYS = new Set([
  ...Object.values(PROPERTY_KEYS),
  "id",
  "name",
  "status",
  "visibility",
  "protected",
  "os_hidden",
  "min_ram",
  "min_disk",
  "size",
  "virtual_size",
  "checksum",
  "os_hash_algo",
  "os_hash_value",
  "container_format",
  "disk_format",
  "owner",
  "tags",
  "created_at",
  "updated_at",
  "deleted",
  "deleted_at",
  "self",
  "file",
  "schema",
  "direct_url",
  "location",
  "locations",
  "stores",
]);

/** Glance's image_property_quota: the most properties one image may have. */
export const MAX_IMAGE_PROPERTIES = 128;

const propertyKey = text("A property name")
  .min(1, "A property needs a name.")
  .max(255, "Use at most 255 characters for a property name.")
  .refine((key) => !RESERVED_PROPERTY_KEYS.has(key), "This name is an image attribute or a property with its own field, not a free property.")
  .refine((key) => !key.startsWith("os_glance"), "Names starting with os_glance are reserved.");
const propertyValue = text("A property value").max(65_535, "Use at most 65,535 characters for a property value.");

/**
 * Free properties (Glance's additional properties: any name, a text value), beside the ones
 * Nimbus understands, which have their own fields. On update, null removes one.
 */
const extraProperties = z.record(propertyKey, propertyValue, keyErrors);
/** Free image properties as a caller gives them (a snapshot's metadata, say): Glance's names and text values. */
export const imagePropertiesSchema = extraProperties;
/** An image's name as every caller gives it. */
export const imageNameSchema = text("Name").trim().min(1, "Enter a name.").max(255, "Use at most 255 characters.");
const extraPropertyChanges = z.record(propertyKey, propertyValue.nullable(), keyErrors);

const token = (what: string) =>
  text(what[0]!.toUpperCase() + what.slice(1))
    .trim()
    .max(64, "Use at most 64 characters.")
    .regex(/^[A-Za-z0-9._-]*$/, `Write the ${what} as one word (letters, digits, '.', '_', '-').`)
    .transform((v) => v || null)
    .nullable();

/** The image fields an owner sets at creation and may change later; null clears a property. */
const imageFields = {
  name: text("Name").trim().min(1, "Enter a name.").max(255, "Use at most 255 characters."),
  /** `public` is for cloud administrators; `shared` images are seen by their member projects. */
  visibility: z.enum(["private", "shared", "public"]),
  minRamMb: z
    .number()
    .int("Enter whole megabytes.")
    .min(0, "Cannot be negative.")
    .max(4 * 1024 * 1024),
  minDiskGb: z.number().int("Enter whole gigabytes.").min(0, "Cannot be negative.").max(65_536),
  /** A protected image cannot be deleted until unprotected. */
  protected: z.boolean(),
  architecture: token("architecture"),
  hypervisorType: token("hypervisor type"),
  osType: token("OS type"),
  /** Direct kernel boot: an active kernel (aki) image visible to the project. */
  kernelId: z.uuid("Choose a kernel image.").nullable(),
  /** Direct kernel boot: an active ramdisk (ari) image visible to the project. */
  ramdiskId: z.uuid("Choose a ramdisk image.").nullable(),
  osCommandLine: text("The kernel command line")
    .trim()
    .max(2048, "Use at most 2048 characters.")
    .transform((v) => v || null)
    .nullable(),
};

export const createImageInput = z
  .object({
    ...imageFields,
    visibility: imageFields.visibility.default("private"),
    minRamMb: imageFields.minRamMb.default(0),
    minDiskGb: imageFields.minDiskGb.default(0),
    protected: imageFields.protected.default(false),
    kind: z.enum(IMAGE_KINDS).default("disk"),
    /**
     * What the uploader says the file is (Glance's disk_format at creation). Recorded while the
     * image is queued and replaced by what `qemu-img info` detects once the bits arrive.
     */
    diskFormat: z.enum(["qcow2", "raw"]).nullable().default(null),
    architecture: imageFields.architecture.default(null),
    hypervisorType: imageFields.hypervisorType.default(null),
    osType: imageFields.osType.default(null),
    kernelId: imageFields.kernelId.default(null),
    ramdiskId: imageFields.ramdiskId.default(null),
    osCommandLine: imageFields.osCommandLine.default(null),
    properties: extraProperties.default({}),
  })
  .superRefine((v, issues) => {
    if (v.kind !== "disk") {
      for (const field of ["kernelId", "ramdiskId", "osCommandLine"] as const) {
        if (v[field] !== null) issues.addIssue({ code: "custom", path: [field], message: "Only a disk image boots with a kernel and ramdisk." });
      }
      if (v.diskFormat !== null)
        issues.addIssue({ code: "custom", path: ["diskFormat"], message: "A kernel or ramdisk is stored as it is; it has no disk format." });
    }
  });

export const updateImageInput = z.object({
  id: z.uuid("Not an image id."),
  name: imageFields.name.optional(),
  visibility: imageFields.visibility.optional(),
  minRamMb: imageFields.minRamMb.optional(),
  minDiskGb: imageFields.minDiskGb.optional(),
  protected: imageFields.protected.optional(),
  architecture: imageFields.architecture.optional(),
  hypervisorType: imageFields.hypervisorType.optional(),
  osType: imageFields.osType.optional(),
  kernelId: imageFields.kernelId.optional(),
  ramdiskId: imageFields.ramdiskId.optional(),
  osCommandLine: imageFields.osCommandLine.optional(),
  properties: extraPropertyChanges.optional(),
});

export const imageIdInput = z.object({ id: z.uuid("Not an image id.") });

export type CreateImageInput = z.input<typeof createImageInput>;
export type UpdateImageInput = z.input<typeof updateImageInput>;

export interface ImageMemberView {
  projectId: string;
  status: ImageMemberStatus;
  projectName: string | null;
}

/** An image as the API shows it; members are listed to the owning project only. */
export interface ImageView {
  id: string;
  name: string;
  status: ImageRow["status"];
  visibility: ImageRow["visibility"];
  kind: ImageKind;
  /** Detected by qemu-img once active (qcow2 / raw), aki / ari for parts; while queued, what the uploader claimed. */
  diskFormat: string | null;
  containerFormat: string;
  sizeBytes: number | null;
  virtualSizeBytes: number | null;
  checksumSha256: string | null;
  /** Glance's `checksum`. */
  checksumMd5: string | null;
  /** Glance's `os_hash_value` (`os_hash_algo` sha512). */
  hashSha512: string | null;
  minRamMb: number;
  minDiskGb: number;
  protected: boolean;
  properties: Record<string, string>;
  ownerProjectId: string | null;
  ownerProjectName: string | null;
  /** Whether the caller's project owns the image (may upload, change, share and delete it). */
  owned: boolean;
  /**
   * The projects the image is offered to, with their answer (Glance's member_status). A member's
   * name is shown once it accepted (it agreed to be known to the owner); until then only the id
   * the owner typed.
   */
  members: ImageMemberView[];
  createdAt: Date;
  updatedAt: Date;
}

function viewOf(row: ImageRow, ownerProjectName: string | null, principal: Principal, members: ImageView["members"]): ImageView {
  const owned = row.ownerProjectId !== null && row.ownerProjectId === principal.projectId;
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    visibility: row.visibility,
    kind: imageKindOf(row.diskFormat),
    diskFormat: row.diskFormat,
    containerFormat: row.containerFormat,
    sizeBytes: row.sizeBytes,
    virtualSizeBytes: row.virtualSizeBytes,
    checksumSha256: row.checksumSha256,
    checksumMd5: row.checksumMd5,
    hashSha512: row.hashSha512,
    minRamMb: row.minRamMb,
    minDiskGb: row.minDiskGb,
    protected: row.protected,
    properties: row.properties,
    ownerProjectId: row.ownerProjectId,
    ownerProjectName,
    owned,
    members: owned ? members : [],
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * What a project sees on its images page: every image visible to it (imageVisibleTo) that is
 * active, plus its own images in any live state (queued, saving, killed). Deleted images are gone.
 */
function listedBy(projectId: string) {
  return and(
    imageVisibleTo(projectId),
    ne(schema.images.status, "deleted"),
    or(eq(schema.images.status, "active"), eq(schema.images.ownerProjectId, projectId)),
  )!;
}

async function membersOf(db: Executor, imageIds: string[]): Promise<Map<string, ImageView["members"]>> {
  const byImage = new Map<string, ImageView["members"]>();
  if (imageIds.length === 0) return byImage;
  const m = schema.imageMembers;
  const rows = await db
    .select({
      imageId: m.imageId,
      projectId: m.projectId,
      status: m.status,
      projectName: sql<string | null>`case when ${m.status} = 'accepted' then ${schema.projects.name} end`,
    })
    .from(m)
    .leftJoin(schema.projects, eq(schema.projects.id, m.projectId))
    .where(inArray(m.imageId, imageIds))
    .orderBy(asc(m.createdAt), asc(m.projectId));
  for (const { imageId, ...member } of rows) {
    const list = byImage.get(imageId) ?? [];
    list.push(member);
    byImage.set(imageId, list);
  }
  return byImage;
}

/** The views of image rows: owner names read with them, members for the images the caller owns. */
async function viewsOf(db: Executor, principal: Principal, rows: { image: ImageRow; ownerProjectName: string | null }[]): Promise<ImageView[]> {
  const owned = rows.filter((r) => r.image.ownerProjectId === principal.projectId).map((r) => r.image.id);
  const members = await membersOf(db, owned);
  return rows.map((r) => viewOf(r.image, r.ownerProjectName, principal, members.get(r.image.id) ?? []));
}

async function readViews(db: Executor, principal: Principal, where: SQL): Promise<ImageView[]> {
  const rows = await db
    .select({ image: schema.images, ownerProjectName: schema.projects.name })
    .from(schema.images)
    .leftJoin(schema.projects, eq(schema.projects.id, schema.images.ownerProjectId))
    .where(where);
  return viewsOf(db, principal, rows);
}

/**
 * An image list's orders, each ending in the id: by name (then creation) or by creation. Migration
 * `more_list_indexes` gives each an index.
 */
const imageKeyset = keyset<"name" | "created_at">({
  keys: {
    name: [textPart(sql`${schema.images.name}`), timestampPart(sql`${schema.images.createdAt}`)],
    created_at: [timestampPart(sql`${schema.images.createdAt}`)],
  },
  id: sql`${schema.images.id}`,
  idCast: (v) => sql`${v}::uuid`,
});

/** The images page's filters and Glance's list parameters; none narrows nothing. */
export const listImagesInput = z
  .object({
    /** Glance's visibility filter: only public, private (the project's own unshared), or shared images. */
    visibility: z.enum(["public", "private", "shared"]).optional(),
    name: text("Name").max(255, "Use at most 255 characters.").optional(),
    /** Names that contain this text, any case (the console's filter). */
    nameContains: text("Name").max(255, "Use at most 255 characters.").optional(),
    status: z.enum(["queued", "saving", "active", "killed"]).optional(),
    /** Only images this project owns (Glance's owner filter). */
    ownerProjectId: z.uuid("Not a project id.").optional(),
    /** Order: by name (A to Z, the default) or by creation (Glance's default: newest first). */
    sortKey: z.enum(["name", "created_at"]).default("name"),
    sortDir: z.enum(["asc", "desc"]).default("asc"),
    /** A page: at most `limit` images after the image `marker` (in the same order), or at `cursor` (a page's next or prev). */
    limit: z.number().int("Enter a whole number.").min(1, "Ask for at least one.").max(MAX_LIST_LIMIT, `Use at most ${MAX_LIST_LIMIT}.`).default(20),
    marker: z.uuid("Not an image id.").optional(),
    cursor: text("The page cursor").max(4096, "Not a page cursor this list gave out.").optional(),
  })
  .default({ sortKey: "name", sortDir: "asc", limit: 20 });
export type ListImagesInput = z.input<typeof listImagesInput>;

/**
 * A page of the images a project sees (see `listedBy`), narrowed by `input`'s filters in SQL, in
 * its order, by keyset: the page after `marker`, which must be an image the project sees
 * (BadRequest otherwise, as Glance's "invalid marker"), or at `cursor`.
 */
export async function listImagePage({ ctx, input }: { ctx: CoreContext; input?: ListImagesInput }) {
  const principal = authorize(ctx.principal, "images.list");
  const value = parseInput(listImagesInput, input);
  const i = schema.images;
  const scope = listedBy(principal.projectId);
  const filters: (SQL | undefined)[] = [
    scope,
    value.visibility ? eq(i.visibility, value.visibility) : undefined,
    value.name !== undefined ? eq(i.name, value.name) : undefined,
    value.nameContains ? containsText(sql`${i.name}`, value.nameContains) : undefined,
    value.status ? eq(i.status, value.status) : undefined,
    value.ownerProjectId ? eq(i.ownerProjectId, value.ownerProjectId) : undefined,
  ];
  const request = await imageKeyset.fromMarker(
    { sort: value.sortKey, direction: value.sortDir, limit: value.limit, cursor: value.cursor },
    value.marker,
    async (select) =>
      (
        await ctx.db
          .select({ id: i.id, _keyset: select })
          .from(i)
          .where(and(eq(i.id, value.marker!), scope))
      )[0],
    () =>
      NimbusError.badRequest(`Invalid marker: image ${value.marker} could not be found.`, [
        { path: "marker", message: "No such image in this list." },
      ]),
  );
  const page = await imageKeyset.run(request, ({ select, where, orderBy, limit }) =>
    ctx.db
      .select({ id: i.id, image: i, ownerProjectName: schema.projects.name, _keyset: select })
      .from(i)
      .leftJoin(schema.projects, eq(schema.projects.id, i.ownerProjectId))
      .where(and(...filters, where))
      .orderBy(...orderBy)
      .limit(limit),
  );
  return { ...page, items: await viewsOf(ctx.db, principal, page.items) };
}

/**
 * The images a project sees as one list: the first page (or the one after `marker`) of
 * listImagePage, at most `limit` (at most MAX_LIST_LIMIT, Glance's api_limit_max).
 */
export async function listImages({ ctx, input }: { ctx: CoreContext; input?: ListImagesInput }): Promise<ImageView[]> {
  return (await listImagePage({ ctx, input: { ...input, limit: input?.limit ?? MAX_LIST_LIMIT } })).items;
}

/** The row of an image the project sees (as `getImage` finds it), or NotFound. */
export async function getImageRow(db: Executor, principal: Principal, id: string): Promise<ImageRow> {
  const row = await db.query.images.findFirst({ where: and(eq(schema.images.id, id), listedBy(principal.projectId)) });
  if (!row) throw NimbusError.notFound("Image", id);
  return row;
}

export async function getImage({ ctx, input }: { ctx: CoreContext; input: z.input<typeof imageIdInput> }): Promise<ImageView> {
  const principal = authorize(ctx.principal, "images.get");
  const { id } = parseInput(imageIdInput, input);
  const [view] = await readViews(ctx.db, principal, and(eq(schema.images.id, id), listedBy(principal.projectId))!);
  if (!view) throw NimbusError.notFound("Image", id);
  return view;
}

/**
 * The image the caller may change: not visible (or deleted) → NotFound, as for any other
 * project's object; visible but owned by another project → Forbidden (Glance's 403).
 */
async function ownedImage(db: Executor, principal: Principal, id: string, { adminMay }: { adminMay: boolean }): Promise<ImageRow> {
  const row = await db.query.images.findFirst({
    where: and(eq(schema.images.id, id), imageVisibleTo(principal.projectId), ne(schema.images.status, "deleted")),
  });
  if (!row) throw NimbusError.notFound("Image", id);
  if (row.ownerProjectId !== principal.projectId && !(adminMay && principal.isAdmin)) {
    throw NimbusError.forbidden(`Image ${row.name} belongs to another project; only its owner may change it.`);
  }
  return row;
}

function checkPropertyCount(properties: Record<string, string>): void {
  if (Object.keys(properties).length > MAX_IMAGE_PROPERTIES) {
    throw NimbusError.badRequest(`An image may have at most ${MAX_IMAGE_PROPERTIES} properties.`, [
      { path: "properties", message: `Use at most ${MAX_IMAGE_PROPERTIES} properties.` },
    ]);
  }
}

function checkVisibility(principal: Principal, visibility: ImageRow["visibility"]): void {
  if (visibility === "public" && !principal.isAdmin) {
    throw new NimbusError("Forbidden", "Only cloud administrators may publish images to every project.", {
      fields: [{ path: "visibility", message: "Only cloud administrators may make an image public." }],
    });
  }
}

/** kernel_id / ramdisk_id must name active kernel (aki) / ramdisk (ari) images the project can see. */
async function checkBootParts(db: Executor, projectId: string, parts: { kernelId: string | null; ramdiskId: string | null }): Promise<void> {
  const wanted = [
    { field: "kernelId", id: parts.kernelId, format: "aki", what: "kernel" },
    { field: "ramdiskId", id: parts.ramdiskId, format: "ari", what: "ramdisk" },
  ] as const;
  for (const { field, id, format, what } of wanted) {
    if (id === null) continue;
    const part = await db.query.images.findFirst({
      where: and(eq(schema.images.id, id), imageVisibleTo(projectId), eq(schema.images.status, "active")),
    });
    if (!part || part.diskFormat !== format) {
      throw NimbusError.badRequest(`Image ${id} is not an active ${what} image you can use.`, [
        { path: field, message: `Choose an active ${what} image.` },
      ]);
    }
  }
  if (parts.ramdiskId !== null && parts.kernelId === null) {
    throw NimbusError.badRequest("A ramdisk is loaded by a kernel: choose a kernel too.", [
      { path: "kernelId", message: "Choose the kernel that loads the ramdisk." },
    ]);
  }
}

/** Applies property fields to Glance's property map: a value sets the key, null removes it. */
function withProperties(
  properties: Record<string, string>,
  fields: Partial<Record<PropertyField, string | null>> & { properties?: Record<string, string | null> },
): Record<string, string> {
  const next = { ...properties };
  for (const [key, value] of Object.entries(fields.properties ?? {})) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  for (const [field, key] of Object.entries(PROPERTY_KEYS) as [PropertyField, string][]) {
    const value = fields[field];
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/**
 * Records a new image in `queued`, within the project's `image_count_total`: the bits follow with
 * PUT /api/images/:id/file. A disk image's format is whatever qemu-img detects then; a kernel or
 * ramdisk is stored as aki / ari.
 */
export async function createImage({ ctx, input }: { ctx: CoreContext; input: CreateImageInput }): Promise<ImageView> {
  const principal = authorize(ctx.principal, "images.create");
  const value = parseInput(createImageInput, input);
  checkVisibility(principal, value.visibility);
  await checkBootParts(ctx.db, principal.projectId, value);
  if (value.osCommandLine !== null && value.kernelId === null) {
    throw NimbusError.badRequest("A kernel command line needs a kernel.", [
      { path: "kernelId", message: "Choose the kernel the command line is for." },
    ]);
  }
  checkPropertyCount(withProperties({}, value));
  const row = await ctx.db.transaction(async (tx) => {
    // Glance's image_count_total, checked under the project's lock in the transaction that inserts.
    await enforceQuota(tx, principal.projectId, { image_count_total: 1 });
    const [created] = await tx
      .insert(schema.images)
      .values({
        name: value.name,
        status: "queued",
        visibility: value.visibility,
        ownerProjectId: principal.projectId,
        diskFormat: value.kind === "disk" ? value.diskFormat : PART_FORMAT[value.kind],
        minRamMb: value.minRamMb,
        minDiskGb: value.minDiskGb,
        protected: value.protected,
        properties: withProperties({}, value),
      })
      .returning();
    await audit(ctx, tx, {
      action: "image.create",
      outcome: "success",
      targetType: "image",
      targetId: created!.id,
      details: { name: value.name, kind: value.kind, visibility: value.visibility },
    });
    return created!;
  });
  return viewOf(row, principal.projectName, principal, []);
}

/** Changes an image's name, visibility, minimums, protection or properties (owner or cloud admin). */
export async function updateImage({ ctx, input }: { ctx: CoreContext; input: UpdateImageInput }): Promise<ImageView> {
  const principal = authorize(ctx.principal, "images.update");
  const { id, ...changes } = parseInput(updateImageInput, input);
  const image = await ownedImage(ctx.db, principal, id, { adminMay: true });
  if (changes.visibility !== undefined && changes.visibility !== image.visibility) checkVisibility(principal, changes.visibility);
  const properties = withProperties(image.properties, changes);
  checkPropertyCount(properties);
  const kind = imageKindOf(image.diskFormat);
  if (kind !== "disk" && (properties.kernel_id || properties.ramdisk_id || properties.os_command_line)) {
    throw NimbusError.badRequest("Only a disk image boots with a kernel and ramdisk.", [
      { path: "kernelId", message: "A kernel or ramdisk image cannot name boot parts." },
    ]);
  }
  if (changes.kernelId !== undefined || changes.ramdiskId !== undefined) {
    await checkBootParts(ctx.db, principal.projectId, { kernelId: properties.kernel_id ?? null, ramdiskId: properties.ramdisk_id ?? null });
  }
  if (properties.os_command_line && !properties.kernel_id) {
    throw NimbusError.badRequest("A kernel command line needs a kernel.", [
      { path: "kernelId", message: "Choose the kernel the command line is for." },
    ]);
  }
  await ctx.db.transaction(async (tx) => {
    const rows = await tx
      .update(schema.images)
      .set({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.visibility !== undefined ? { visibility: changes.visibility } : {}),
        ...(changes.minRamMb !== undefined ? { minRamMb: changes.minRamMb } : {}),
        ...(changes.minDiskGb !== undefined ? { minDiskGb: changes.minDiskGb } : {}),
        ...(changes.protected !== undefined ? { protected: changes.protected } : {}),
        properties,
        updatedAt: new Date(),
      })
      .where(and(eq(schema.images.id, id), ne(schema.images.status, "deleted")))
      .returning({ id: schema.images.id });
    if (rows.length === 0) throw NimbusError.notFound("Image", id);
    await audit(ctx, tx, {
      action: "image.update",
      outcome: "success",
      targetType: "image",
      targetId: id,
      projectId: image.ownerProjectId,
      details: { name: changes.name ?? image.name, changed: Object.keys(changes) },
    });
  });
  return getImage({ ctx, input: { id } });
}

/**
 * Deletes an image as Glance does: instances already built from it keep their cached base copy,
 * so an image in use may go; a protected image, or a kernel / ramdisk that another image boots
 * with, may not. The row stays as `deleted` (instances still name it); its bits leave the store.
 */
export async function deleteImage({ ctx, input }: { ctx: CoreContext; input: z.input<typeof imageIdInput> }): Promise<{ id: string }> {
  const principal = authorize(ctx.principal, "images.delete");
  const { id } = parseInput(imageIdInput, input);
  const image = await ownedImage(ctx.db, principal, id, { adminMay: true });
  if (image.protected) throw NimbusError.conflict(`Image ${image.name} is protected; unprotect it before deleting it.`);
  const users = await ctx.db
    .select({ name: schema.images.name })
    .from(schema.images)
    .where(
      and(
        ne(schema.images.id, id),
        inArray(schema.images.status, ["queued", "saving", "active"]),
        or(sql`${schema.images.properties}->>'kernel_id' = ${id}`, sql`${schema.images.properties}->>'ramdisk_id' = ${id}`),
      ),
    )
    .limit(3);
  if (users.length > 0) {
    throw NimbusError.conflict(
      `Image ${image.name} is the kernel or ramdisk of ${users.map((u) => u.name).join(", ")}; change or delete ${users.length === 1 ? "that image" : "those images"} first.`,
    );
  }
  await ctx.db.transaction(async (tx) => {
    // Conditional on `protected` too: an update that protected it meanwhile wins.
    const rows = await tx
      .update(schema.images)
      .set({ status: "deleted", updatedAt: new Date() })
      .where(and(eq(schema.images.id, id), ne(schema.images.status, "deleted"), eq(schema.images.protected, false)))
      .returning({ id: schema.images.id });
    if (rows.length === 0) throw NimbusError.conflict(`Image ${image.name} changed while it was being deleted; try again.`);
    await tx.delete(schema.imageMembers).where(eq(schema.imageMembers.imageId, id));
    await audit(ctx, tx, {
      action: "image.delete",
      outcome: "success",
      targetType: "image",
      targetId: id,
      projectId: image.ownerProjectId,
      details: { name: image.name },
    });
  });
  // An upload still running owns its `.partial` file and removes it when it finds the image deleted.
  await rm(imageFilePath(ctx.imageStoreDir, id), { force: true });
  return { id };
}
