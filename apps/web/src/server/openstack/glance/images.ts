import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { Logger } from "pino";
import { z } from "zod";
import {
  createImage,
  deleteImage,
  getImage,
  imageData,
  listImageShares,
  listImagePage,
  updateImage,
  type CreateImageInput,
  type ImageView,
  type ListImagesInput,
  type UpdateImageInput,
} from "@nimbus/core/images";
import { isNimbusError } from "@nimbus/core/errors";
import { receiveImageData, uploadFailure } from "../../image-upload";
import { badRequest, OsRefusal, principalOf, type OsCall, type OsRoute } from "../service";
import { intParam, parseWire } from "../wire";
import { glanceImage, shareAsImage, type GlanceImageSource } from "./image-view";

/** Glance's images API: list, show, create, update (JSON patch), delete, and the data upload. */

export interface GlanceOptions {
  /** NIMBUS_IMAGE_MAX_BYTES: Glance's image_size_cap. */
  maxBytes: number;
  log: Logger;
}

/** Glance's limit_param_default and api_limit_max. */
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 1000;

/** Attributes Glance computes: a body that sets one is refused (403, as Glance words it). */
const READ_ONLY = new Set([
  "status",
  "size",
  "virtual_size",
  "checksum",
  "os_hash_algo",
  "os_hash_value",
  "created_at",
  "updated_at",
  "self",
  "file",
  "schema",
  "direct_url",
  "location",
  "locations",
  "stores",
]);

/** Properties Nimbus understands, each with its own field in core. */
const NAMED_PROPERTIES = {
  kernel_id: "kernelId",
  ramdisk_id: "ramdiskId",
  os_command_line: "osCommandLine",
  architecture: "architecture",
  hypervisor_type: "hypervisorType",
  os_type: "osType",
} as const;
type NamedProperty = keyof typeof NAMED_PROPERTIES;
const isNamed = (key: string): key is NamedProperty => key in NAMED_PROPERTIES;

/** What Glance's disk formats are in Nimbus: a qcow2 or raw disk, or a kernel (aki) or ramdisk (ari) part. */
function kindOf(diskFormat: string | null | undefined): Pick<CreateImageInput, "kind" | "diskFormat"> {
  if (diskFormat === undefined || diskFormat === null) return { kind: "disk", diskFormat: null };
  if (diskFormat === "qcow2" || diskFormat === "raw") return { kind: "disk", diskFormat };
  if (diskFormat === "aki") return { kind: "kernel" };
  if (diskFormat === "ari") return { kind: "ramdisk" };
  throw badRequest(
    `Invalid disk_format '${diskFormat.slice(0, 32)}': Nimbus stores qcow2 and raw disk images, and aki and ari kernels and ramdisks.`,
  );
}

const CONTAINER_FORMATS = new Set(["bare", "aki", "ari"]);
function checkContainerFormat(value: string | null | undefined): void {
  if (value === undefined || value === null || CONTAINER_FORMATS.has(value)) return;
  throw badRequest(`Invalid container_format '${value.slice(0, 32)}': Nimbus stores images bare (no ovf, ova, ami or docker container).`);
}

function checkVisibility(value: string | undefined): "public" | "private" | "shared" | undefined {
  if (value === "community") throw badRequest("Invalid visibility 'community': Nimbus offers private, shared and public images.");
  return value as "public" | "private" | "shared" | undefined;
}

function refuseReadOnly(keys: Iterable<string>): void {
  for (const key of keys) if (READ_ONLY.has(key)) throw new OsRefusal(403, "Forbidden", `Attribute '${key}' is read-only.`);
}

const wholeNumber = (what: string) =>
  z
    .number(`${what} must be an integer.`)
    .int(`${what} must be an integer.`)
    .min(0, `${what} cannot be negative.`)
    .max(2_147_483_647, `${what} is too large.`);

/** POST /v2/images: Glance's image schema; any other key is a free property whose value must be a string. */
const createBody = z
  .object({
    name: z.string("The name must be a string.").max(255, "The name is at most 255 characters."),
    id: z.string().optional(),
    visibility: z.enum(["public", "private", "shared", "community"]).optional(),
    protected: z.boolean("protected must be a boolean.").optional(),
    os_hidden: z.boolean("os_hidden must be a boolean.").optional(),
    container_format: z.string().nullable().optional(),
    disk_format: z.string().nullable().optional(),
    min_ram: wholeNumber("min_ram").optional(),
    min_disk: wholeNumber("min_disk").optional(),
    tags: z.array(z.string()).optional(),
    owner: z.string().nullable().optional(),
  })
  .catchall(z.string("A property's value must be a string."));

/** Nimbus keeps neither image tags nor hidden images, and chooses image ids itself. */
function refuseUnoffered(body: { id?: string; os_hidden?: boolean; tags?: string[]; owner?: string | null }, projectId: string): void {
  if (body.id !== undefined) throw badRequest("Invalid id: Nimbus chooses image ids (an id cannot be reserved).");
  if (body.os_hidden) throw badRequest("Invalid os_hidden: Nimbus has no hidden images.");
  if (body.tags && body.tags.length > 0) throw badRequest("Invalid tags: Nimbus keeps no image tags; use a property instead.");
  if (body.owner !== undefined && body.owner !== null && body.owner !== projectId) {
    throw new OsRefusal(403, "Forbidden", "An image belongs to the project that creates it; its owner cannot be set to another project.");
  }
}

function createInput(call: OsCall): CreateImageInput {
  const raw = call.body;
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) refuseReadOnly(Object.keys(raw));
  const body = parseWire(createBody, raw, "image");
  const { name, id, visibility, protected: isProtected, os_hidden, container_format, disk_format, min_ram, min_disk, tags, owner, ...rest } = body;
  refuseUnoffered({ id, os_hidden, tags, owner }, principalOf(call).projectId);
  checkContainerFormat(container_format);
  const input: CreateImageInput = {
    name,
    ...kindOf(disk_format),
    ...(visibility !== undefined ? { visibility: checkVisibility(visibility) } : {}),
    ...(isProtected !== undefined ? { protected: isProtected } : {}),
    ...(min_ram !== undefined ? { minRamMb: min_ram } : {}),
    ...(min_disk !== undefined ? { minDiskGb: min_disk } : {}),
  };
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (isNamed(key)) Object.assign(input, { [NAMED_PROPERTIES[key]]: value });
    else properties[key] = value;
  }
  return { ...input, properties };
}

/** PATCH /v2/images/{id}: a JSON patch (application/openstack-images-v2.1-json-patch). */
const patchBody = z
  .array(
    z
      .object({
        op: z.enum(["add", "replace", "remove"], "op must be add, replace or remove."),
        path: z.string().regex(/^\/[^/]+$/, "path must name one attribute, e.g. /name."),
        value: z.unknown().optional(),
      })
      .strict(),
    "The body must be a JSON patch: a list of operations.",
  )
  .max(256, "Use at most 256 operations.");

/** A JSON pointer's one segment, unescaped (RFC 6901). */
const unescapePointer = (path: string) => path.slice(1).replace(/~1/g, "/").replace(/~0/g, "~");

function patchValue<S extends z.ZodType>(schema: S, value: unknown, field: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(`Invalid value for ${field}: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

function updateInput(image: ImageView, body: unknown): UpdateImageInput {
  const ops = parseWire(patchBody, body, "patch");
  const input: UpdateImageInput = { id: image.id };
  const properties: Record<string, string | null> = {};
  refuseReadOnly(ops.map((op) => unescapePointer(op.path)));
  for (const op of ops) {
    const key = unescapePointer(op.path);
    if (op.op !== "remove" && op.value === undefined) throw badRequest(`Operation ${op.op} on ${key} needs a value.`);
    const removing = op.op === "remove";
    switch (key) {
      case "name":
        if (removing) throw new OsRefusal(403, "Forbidden", "Attribute 'name' cannot be removed.");
        input.name = patchValue(z.string("must be a string.").max(255, "at most 255 characters."), op.value, key);
        break;
      case "visibility":
        if (removing) throw new OsRefusal(403, "Forbidden", "Attribute 'visibility' cannot be removed.");
        input.visibility = checkVisibility(patchValue(z.enum(["public", "private", "shared", "community"]), op.value, key));
        break;
      case "protected":
        input.protected = removing ? false : patchValue(z.boolean("must be a boolean."), op.value, key);
        break;
      case "min_ram":
        input.minRamMb = removing ? 0 : patchValue(wholeNumber("min_ram"), op.value, key);
        break;
      case "min_disk":
        input.minDiskGb = removing ? 0 : patchValue(wholeNumber("min_disk"), op.value, key);
        break;
      case "os_hidden":
        if (!removing && patchValue(z.boolean("must be a boolean."), op.value, key))
          throw badRequest("Invalid os_hidden: Nimbus has no hidden images.");
        break;
      case "tags":
        if (!removing && patchValue(z.array(z.string()), op.value, key).length > 0)
          throw badRequest("Invalid tags: Nimbus keeps no image tags; use a property instead.");
        break;
      case "owner":
        if (removing || patchValue(z.string().nullable(), op.value, key) !== image.ownerProjectId) {
          throw new OsRefusal(403, "Forbidden", "An image's owner cannot be changed.");
        }
        break;
      case "disk_format":
      case "container_format": {
        const current = key === "disk_format" ? image.diskFormat : image.containerFormat;
        if (removing || patchValue(z.string().nullable(), op.value, key) !== current) {
          throw new OsRefusal(403, "Forbidden", `Attribute '${key}' cannot be changed: Nimbus detects an image's format from its data.`);
        }
        break;
      }
      default:
        if (isNamed(key)) {
          Object.assign(input, { [NAMED_PROPERTIES[key]]: removing ? null : patchValue(z.string("must be a string."), op.value, key) });
        } else {
          properties[key] = removing ? null : patchValue(z.string("must be a string."), op.value, key);
        }
    }
  }
  return Object.keys(properties).length > 0 ? { ...input, properties } : input;
}

/** The query parameters of GET /v2/images, in core's terms; any other is refused (400 naming it). */
const LIST_PARAMS = new Set([
  "limit",
  "marker",
  "name",
  "visibility",
  "status",
  "owner",
  "os_hidden",
  "member_status",
  "sort_key",
  "sort_dir",
  "sort",
]);

type MemberStatus = "accepted" | "pending" | "rejected" | "all";

function listInput(call: OsCall): { input: NonNullable<ListImagesInput>; limit: number; none: boolean; memberStatus: MemberStatus } {
  const q = call.query;
  for (const key of q.keys()) {
    if (!LIST_PARAMS.has(key)) throw badRequest(`Invalid filter '${key.slice(0, 64)}': Nimbus lists images by ${[...LIST_PARAMS].join(", ")}.`);
  }
  const limit = Math.min(intParam(q, "limit", { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? DEFAULT_LIMIT, MAX_LIMIT);
  let none = false;
  const visibility = q.get("visibility") ?? "all";
  if (!["public", "private", "shared", "community", "all"].includes(visibility)) {
    throw badRequest(`Invalid visibility value: ${visibility.slice(0, 32)}`);
  }
  // Nimbus has no community or hidden images: asking for them finds none.
  if (visibility === "community" || q.get("os_hidden")?.toLowerCase() === "true") none = true;
  const memberStatus = (q.get("member_status") ?? "accepted") as MemberStatus;
  if (!["accepted", "pending", "rejected", "all"].includes(memberStatus)) throw badRequest(`Invalid status value: ${memberStatus.slice(0, 32)}`);
  if (memberStatus !== "accepted" && q.has("marker")) {
    throw badRequest("Invalid marker: images offered to the project (member_status other than accepted) are listed in one page.");
  }
  const status = q.get("status");
  if (
    status !== null &&
    !["queued", "saving", "active", "killed", "deleted", "pending_delete", "deactivated", "uploading", "importing"].includes(status)
  ) {
    throw badRequest(`Invalid status value: ${status.slice(0, 32)}`);
  }
  if (status !== null && !["queued", "saving", "active", "killed"].includes(status)) none = true;
  // A limit of 0 asks for no images.
  if (limit === 0) none = true;
  // `sort=name:asc,created_at` (Glance's newer syntax) or `sort_key` and `sort_dir`; the first key orders.
  const [sortFirst] = (q.get("sort") ?? "").split(",");
  const [sortKey, sortDirText] = sortFirst ? sortFirst.split(":") : [q.get("sort_key") ?? "created_at", q.get("sort_dir") ?? undefined];
  if (sortKey !== "name" && sortKey !== "created_at") {
    throw badRequest(`Invalid sort key: ${String(sortKey).slice(0, 32)}. Nimbus sorts images by name or created_at.`);
  }
  const sortDir = sortDirText ?? (q.has("sort") ? "asc" : "desc");
  if (sortDir !== "asc" && sortDir !== "desc") throw badRequest(`Invalid sort direction: ${sortDir.slice(0, 32)}`);
  const owner = q.get("owner");
  if (owner !== null && !z.uuid().safeParse(owner).success) none = true;
  const marker = q.get("marker") ?? undefined;
  if (marker !== undefined && !z.uuid().safeParse(marker).success)
    throw badRequest(`Invalid marker: image ${marker.slice(0, 64)} could not be found.`);
  return {
    input: {
      ...(visibility === "public" || visibility === "private" || visibility === "shared" ? { visibility } : {}),
      ...(q.has("name") ? { name: q.get("name")! } : {}),
      ...(status !== null && !none ? { status: status as "queued" } : {}),
      ...(owner !== null && !none ? { ownerProjectId: owner } : {}),
      sortKey,
      sortDir,
      limit: Math.max(limit, 1),
      ...(marker !== undefined ? { marker } : {}),
    },
    limit,
    none,
    memberStatus,
  };
}

/**
 * Images another project offers to the caller's, with the answer `memberStatus` asks for (all:
 * those not accepted, which the list has already), narrowed by the list's filters: Glance lists
 * them beside the others when asked for a member status other than accepted.
 */
async function offeredImages(call: OsCall, input: NonNullable<ListImagesInput>, memberStatus: Exclude<MemberStatus, "accepted">) {
  const shares = await listImageShares({ ctx: call.ctx });
  return shares
    .filter((s) => (memberStatus === "all" ? s.status !== "accepted" : s.status === memberStatus))
    .map(shareAsImage)
    .filter(
      (i) =>
        (input.visibility === undefined || input.visibility === "shared") &&
        (input.name === undefined || i.name === input.name) &&
        (input.status === undefined || i.status === input.status) &&
        (input.ownerProjectId === undefined || i.ownerProjectId === input.ownerProjectId),
    );
}

/** Glance refuses what passes a quota with 413 (Request Entity Too Large), where Nova answers 403. */
export function quotaAsTooLarge(error: unknown): never {
  if (isNimbusError(error) && error.code === "QuotaExceeded") throw new OsRefusal(413, "QuotaExceeded", error.message);
  throw error;
}

/** Glance answers 404 for an id that is no image (a name, say), where core's parser would say 400. */
function imageIdOf(call: OsCall): string {
  const id = call.params.imageId!;
  if (!z.uuid().safeParse(id).success) throw new OsRefusal(404, "NotFound", `No image found with ID ${id.slice(0, 64)}`);
  return id;
}

/**
 * An image by id as Glance shows it: any the project sees, and, as Glance shows a member the
 * images shared with it whatever its answer, one offered to it that it has not accepted (so that
 * `openstack image set --accept <id>` finds it).
 */
async function shownImage(call: OsCall): Promise<GlanceImageSource> {
  const id = imageIdOf(call);
  try {
    return await getImage({ ctx: call.ctx, input: { id } });
  } catch (error) {
    if (!isNimbusError(error) || error.code !== "NotFound") throw error;
    const offered = (await listImageShares({ ctx: call.ctx })).find((s) => s.id === id);
    if (!offered) throw error;
    return shareAsImage(offered);
  }
}

export function imageRoutes({ maxBytes, log }: GlanceOptions): OsRoute[] {
  return [
    {
      method: "GET",
      path: "/v2/images",
      async handle(call) {
        const { input, limit, none, memberStatus } = listInput(call);
        // One page in SQL (keyset, after `marker`); `hasNext` says whether a row follows it.
        const page = none ? { items: [], next: null } : await listImagePage({ ctx: call.ctx, input });
        let images: GlanceImageSource[] = page.items;
        let paged = true;
        if (!none && memberStatus !== "accepted") {
          // Others' shared images by the project's answer instead of the accepted ones; one page.
          const own = principalOf(call).projectId;
          const kept = memberStatus === "all" ? images : images.filter((i) => i.visibility !== "shared" || i.ownerProjectId === own);
          const key = (i: GlanceImageSource) => (input.sortKey === "name" ? i.name : i.createdAt.toISOString());
          const sign = input.sortDir === "asc" ? 1 : -1;
          images = [...kept, ...(await offeredImages(call, input, memberStatus))]
            .sort((a, b) => sign * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
            .slice(0, limit);
          paged = false;
        }
        const query = call.query.toString();
        const body: Record<string, unknown> = {
          images: images.map(glanceImage),
          first: `/v2/images${query ? `?${query}` : ""}`,
          schema: "/v2/schemas/images",
        };
        // Glance links the next page, with the last image as the marker, while more follow.
        if (paged && images.length > 0 && page.next !== null) {
          const next = new URLSearchParams(call.query);
          next.set("marker", images.at(-1)!.id);
          body.next = `/v2/images?${next.toString()}`;
        }
        return { status: 200, body };
      },
    },
    {
      method: "POST",
      path: "/v2/images",
      async handle(call) {
        const image = await createImage({ ctx: call.ctx, input: createInput(call) }).catch(quotaAsTooLarge);
        return { status: 201, body: glanceImage(image), headers: { location: `${call.baseUrl}/image/v2/images/${image.id}` } };
      },
    },
    {
      method: "GET",
      path: "/v2/images/:imageId",
      async handle(call) {
        return { status: 200, body: glanceImage(await shownImage(call)) };
      },
    },
    {
      method: "PATCH",
      path: "/v2/images/:imageId",
      async handle(call) {
        // An empty patch changes nothing (the CLI sends one after `image set --accept`).
        if (Array.isArray(call.body) && call.body.length === 0) return { status: 200, body: glanceImage(await shownImage(call)) };
        const image = await getImage({ ctx: call.ctx, input: { id: imageIdOf(call) } });
        const updated = await updateImage({ ctx: call.ctx, input: updateInput(image, call.body) });
        return { status: 200, body: glanceImage(updated) };
      },
    },
    {
      method: "DELETE",
      path: "/v2/images/:imageId",
      async handle(call) {
        await deleteImage({ ctx: call.ctx, input: { id: imageIdOf(call) } });
        return { status: 204 };
      },
    },
    {
      method: "GET",
      path: "/v2/images/:imageId/file",
      async handle(call) {
        const { image, path, sizeBytes } = await imageData({ ctx: call.ctx, input: { id: imageIdOf(call) } });
        const requestId = { "x-openstack-request-id": call.ctx.requestId };
        // No data yet (queued, saving, killed): Glance answers 204 No Content.
        if (path === null) return { status: 204, headers: requestId };
        call.res.writeHead(200, {
          ...requestId,
          "content-type": "application/octet-stream",
          "content-length": String(sizeBytes),
          ...(image.checksumMd5 ? { "content-md5": image.checksumMd5 } : {}),
        });
        if (call.req.method === "HEAD") call.res.end();
        else await pipeline(createReadStream(path), call.res);
        return null;
      },
    },
    {
      method: "PUT",
      path: "/v2/images/:imageId/file",
      body: "stream",
      async handle(call) {
        const imageId = call.params.imageId!;
        const type = call.req.headers["content-type"];
        if (type !== undefined && type.split(";")[0]!.trim().toLowerCase() !== "application/octet-stream") {
          throw new OsRefusal(
            415,
            "BadRequest",
            `Content type ${type.slice(0, 64)} is not supported; send the image data as application/octet-stream.`,
          );
        }
        try {
          await receiveImageData(call.req, { ctx: call.ctx, imageId, maxBytes, log });
        } catch (error) {
          const failure = uploadFailure(error, { imageId, log });
          throw new OsRefusal(failure.status, failure.status === 413 ? "TooLarge" : "BadRequest", failure.message);
        }
        return { status: 204 };
      },
    },
  ];
}
