import { z } from "zod";
import { isNimbusError, NimbusError } from "@nimbus/core/errors";
import type { QuotaOverage } from "@nimbus/core/quota";
import { countVolumes, createVolume, deleteVolume, getVolume, listVolumePage, type ListVolumesInput, type VolumeView } from "@nimbus/core/volumes";
import { atLeast, badRequest, OsRefusal, principalOf, type OsCall, type OsRoute } from "../service";
import { intParam, parseWire } from "../wire";
import { checkUrlProject } from "./project-url";

/** Cinder's volumes API: list (summary and detail), show, create, delete. */

/** Cinder's osapi_max_limit. */
const MAX_LIMIT = 1000;
/** Nimbus has one volume type and one availability zone for volumes, named as Cinder's defaults. */
const VOLUME_TYPE = "__DEFAULT__";
const AVAILABILITY_ZONE = "nova";

/** Cinder's time format: ISO 8601 with microseconds and no zone (UTC). */
const cinderTime = (at: Date) => `${at.toISOString().slice(0, 23)}000`;

function links(call: OsCall, id: string) {
  const project = call.params.projectId!;
  return [
    { rel: "self", href: `${call.baseUrl}/volume/v3/${project}/volumes/${id}` },
    { rel: "bookmark", href: `${call.baseUrl}/volume/${project}/volumes/${id}` },
  ];
}

const summary = (call: OsCall, v: VolumeView) => ({ id: v.id, name: v.name, links: links(call, v.id) });

/** Cinder's volume detail at the call's microversion (admins see the host fields too). */
function detail(call: OsCall, v: VolumeView) {
  const admin = principalOf(call).isAdmin;
  return {
    id: v.id,
    name: v.name,
    description: v.description,
    status: v.status,
    size: v.sizeGb,
    availability_zone: AVAILABILITY_ZONE,
    created_at: cinderTime(v.createdAt),
    updated_at: cinderTime(v.updatedAt),
    attachments: v.attachment
      ? [
          {
            id: v.id,
            attachment_id: v.id,
            volume_id: v.id,
            server_id: v.attachment.instanceId,
            host_name: v.host?.hostname ?? null,
            device: `/dev/${v.attachment.device}`,
            attached_at: cinderTime(v.updatedAt),
          },
        ]
      : [],
    volume_type: VOLUME_TYPE,
    snapshot_id: null,
    source_volid: null,
    consistencygroup_id: null,
    metadata: {},
    links: links(call, v.id),
    user_id: v.userId,
    bootable: String(v.bootable),
    encrypted: false,
    replication_status: null,
    multiattach: false,
    migration_status: null,
    "os-vol-tenant-attr:tenant_id": v.projectId,
    ...(v.image ? { volume_image_metadata: { image_id: v.image.id, image_name: v.image.name } } : {}),
    ...(admin
      ? {
          "os-vol-host-attr:host": v.host?.hostname ?? null,
          "os-vol-mig-status-attr:migstat": null,
          "os-vol-mig-status-attr:name_id": null,
        }
      : {}),
    ...(atLeast(call, "3.13") ? { group_id: null } : {}),
    ...(admin && atLeast(call, "3.21") ? { provider_id: null } : {}),
    ...(atLeast(call, "3.48") ? { shared_targets: false, service_uuid: null } : {}),
  };
}

/** Query parameters of the volume lists Nimbus filters by; any other is refused (400 naming it). */
const LIST_PARAMS = new Set([
  "all_tenants",
  "project_id",
  "name",
  "display_name",
  "status",
  "marker",
  "limit",
  "sort",
  "sort_key",
  "sort_dir",
  "with_count",
]);
const truthy = (value: string | null) => value !== null && ["1", "true", "yes", "on", "t", "y"].includes(value.toLowerCase());

const STATUSES = new Set(["creating", "available", "reserved", "in-use", "deleting", "error", "error_deleting"]);

function listInput(call: OsCall): { input: NonNullable<ListVolumesInput>; limit: number; withCount: boolean; none: boolean } {
  const q = call.query;
  for (const key of q.keys()) {
    if (!LIST_PARAMS.has(key)) throw badRequest(`Invalid filter keys: ${key.slice(0, 64)}. Nimbus lists volumes by ${[...LIST_PARAMS].join(", ")}.`);
  }
  const principal = principalOf(call);
  // all_tenants from a user who is no cloud admin is ignored, as Cinder ignores it.
  const allProjects = principal.isAdmin && truthy(q.get("all_tenants"));
  const limit = Math.min(intParam(q, "limit", { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? MAX_LIMIT, MAX_LIMIT);
  const [sortFirst] = (q.get("sort") ?? "").split(",");
  const [rawKey, rawDir] = sortFirst ? sortFirst.split(":") : [q.get("sort_key") ?? "created_at", q.get("sort_dir") ?? undefined];
  const sortKey = rawKey === "display_name" ? "name" : rawKey;
  if (sortKey !== "name" && sortKey !== "created_at")
    throw badRequest(`Invalid sort key: ${String(rawKey).slice(0, 32)}. Nimbus sorts volumes by name or created_at.`);
  const sortDir = rawDir ?? "desc";
  if (sortDir !== "asc" && sortDir !== "desc") throw badRequest(`Invalid sort direction: ${sortDir.slice(0, 32)}.`);
  const marker = q.get("marker");
  if (marker !== null && !z.uuid().safeParse(marker).success) throw badRequest(`Invalid marker: volume ${marker.slice(0, 64)} could not be found.`);
  const projectId = q.get("project_id");
  if (projectId !== null && !z.uuid().safeParse(projectId).success) throw badRequest(`Invalid project_id: ${projectId.slice(0, 64)}.`);
  const status = q.get("status");
  const name = q.get("name") ?? q.get("display_name");
  return {
    input: {
      allProjects,
      ...(allProjects && projectId ? { projectId } : {}),
      ...(name !== null ? { name } : {}),
      ...(status !== null && STATUSES.has(status) ? { status: status as "available" } : {}),
      sortKey,
      sortDir,
      limit: Math.max(limit, 1),
      ...(marker !== null ? { marker } : {}),
    },
    limit,
    withCount: atLeast(call, "3.45") && truthy(q.get("with_count")),
    // A status no volume can have (Cinder's other ones: attaching, backing-up, ...) finds none.
    // So does a limit of 0.
    none: (status !== null && !STATUSES.has(status)) || limit === 0,
  };
}

async function listed(call: OsCall, view: (call: OsCall, v: VolumeView) => unknown, path: string) {
  checkUrlProject(call);
  const { input, withCount, none } = listInput(call);
  if (none) return { status: 200, body: { volumes: [], ...(withCount ? { count: 0 } : {}) } };
  // One page in SQL (keyset, after `marker`); Cinder links the next, the last volume as marker, while more follow.
  const page = await listVolumePage({ ctx: call.ctx, input });
  const volumes = page.items;
  const body: Record<string, unknown> = { volumes: volumes.map((v) => view(call, v)) };
  if (volumes.length > 0 && page.next !== null) {
    const next = new URLSearchParams(call.query);
    next.set("marker", volumes.at(-1)!.id);
    body.volumes_links = [{ rel: "next", href: `${call.baseUrl}/volume/v3/${call.params.projectId}/${path}?${next.toString()}` }];
  }
  if (withCount) {
    const { limit: _limit, marker: _marker, ...all } = input;
    body.count = await countVolumes({ ctx: call.ctx, input: all });
  }
  return { status: 200, body };
}

const nullableText = z.string("must be a string.").nullable().optional();
/** A size Cinder takes as an integer or a string of digits. */
const size = z.union(
  [z.number().int("must be an integer."), z.string().regex(/^\d+$/, "must be an integer.").transform(Number)],
  "must be an integer.",
);

/** POST /volumes: Cinder's volume create schema (what cinderclient sends: every key, most of them null). */
const createBody = z
  .object({
    volume: z
      .object({
        size: size.nullable().optional(),
        name: nullableText,
        display_name: nullableText,
        description: nullableText,
        display_description: nullableText,
        volume_type: nullableText,
        availability_zone: nullableText,
        metadata: z.record(z.string(), z.string("must be a string.")).nullable().optional(),
        imageRef: nullableText,
        image_id: nullableText,
        snapshot_id: nullableText,
        source_volid: nullableText,
        consistencygroup_id: nullableText,
        backup_id: nullableText,
        group_id: nullableText,
        multiattach: z.boolean("must be a boolean.").nullable().optional(),
      })
      .strict(),
    "OS-SCH-HNT:scheduler_hints": z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .strict();

function createInput(call: OsCall) {
  const body = parseWire(createBody, call.body, "volume");
  const v = body.volume;
  const unoffered: [string, unknown, string][] = [
    ["snapshot_id", v.snapshot_id, "Nimbus has no volume snapshots"],
    ["source_volid", v.source_volid, "Nimbus cannot clone a volume"],
    ["backup_id", v.backup_id, "Nimbus has no volume backups"],
    ["consistencygroup_id", v.consistencygroup_id, "Nimbus has no consistency groups"],
    ["group_id", v.group_id, "Nimbus has no volume groups"],
    ["multiattach", v.multiattach || null, "a Nimbus volume attaches to one instance at a time"],
  ];
  for (const [field, value, why] of unoffered) {
    if (value !== undefined && value !== null) throw badRequest(`Invalid input for field/attribute volume.${field}: ${why}.`);
  }
  if (v.metadata && Object.keys(v.metadata).length > 0)
    throw badRequest("Invalid input for field/attribute volume.metadata: Nimbus keeps no volume metadata.");
  const hints = body["OS-SCH-HNT:scheduler_hints"];
  if (hints && Object.keys(hints).length > 0)
    throw badRequest("Invalid input for field/attribute OS-SCH-HNT:scheduler_hints: Nimbus places volumes with their first instance.");
  if (v.volume_type != null && v.volume_type !== VOLUME_TYPE)
    throw new OsRefusal(404, "NotFound", `Volume type with name ${v.volume_type.slice(0, 64)} could not be found.`);
  if (v.availability_zone != null && v.availability_zone !== AVAILABILITY_ZONE) {
    throw badRequest(
      `Invalid input for field/attribute volume.availability_zone: Availability zone '${v.availability_zone.slice(0, 64)}' is invalid (volumes are in '${AVAILABILITY_ZONE}').`,
    );
  }
  if (v.size === undefined || v.size === null) throw badRequest("Invalid input for field/attribute volume.size: Give the size in GB.");
  const imageRef = v.imageRef ?? v.image_id ?? null;
  if (imageRef !== null && !z.uuid().safeParse(imageRef).success) throw badRequest("Invalid image identifier or unable to access requested image.");
  const name = v.name ?? v.display_name;
  if (name === undefined || name === null) throw badRequest("Invalid input for field/attribute volume.name: Give the volume a name.");
  return { name, description: v.description ?? v.display_description ?? "", sizeGb: v.size, imageId: imageRef };
}

/** Cinder's words for a volume quota refusal (413 overLimit). */
function quotaMessage(over: QuotaOverage): string {
  if (over.resource === "gigabytes") {
    return `Requested volume or snapshot exceeds allowed gigabytes quota. Requested ${over.requested}G, quota is ${over.limit}G and ${over.used}G has been consumed.`;
  }
  return `Maximum number of volumes allowed (${over.limit}) exceeded for quota 'volumes'.`;
}

function volumeId(call: OsCall): string {
  const id = call.params.volumeId!;
  if (!z.uuid().safeParse(id).success) throw new OsRefusal(404, "NotFound", `Volume ${id.slice(0, 64)} could not be found.`);
  return id;
}

export const volumeRoutes: OsRoute[] = [
  { method: "GET", path: "/v3/:projectId/volumes", handle: (call) => listed(call, summary, "volumes") },
  { method: "GET", path: "/v3/:projectId/volumes/detail", handle: (call) => listed(call, detail, "volumes/detail") },
  {
    method: "POST",
    path: "/v3/:projectId/volumes",
    async handle(call) {
      checkUrlProject(call);
      const input = createInput(call);
      try {
        const created = await createVolume({ ctx: call.ctx, input });
        return { status: 202, body: { volume: detail(call, await getVolume({ ctx: call.ctx, input: { id: created.id } })) } };
      } catch (error) {
        if (isNimbusError(error) && error.code === "QuotaExceeded") {
          // Cinder checks gigabytes before the volume count.
          const overs = (error.details as { overages?: QuotaOverage[] } | undefined)?.overages ?? [];
          const over = overs.find((o) => o.resource === "gigabytes") ?? overs[0];
          throw new OsRefusal(413, "QuotaExceeded", over ? quotaMessage(over) : error.message, { "retry-after": "0" });
        }
        if (error instanceof NimbusError && error.code === "NotFound" && input.imageId) {
          throw badRequest("Invalid image identifier or unable to access requested image.");
        }
        throw error;
      }
    },
  },
  {
    method: "GET",
    path: "/v3/:projectId/volumes/:volumeId",
    async handle(call) {
      checkUrlProject(call);
      return { status: 200, body: { volume: detail(call, await getVolume({ ctx: call.ctx, input: { id: volumeId(call) } })) } };
    },
  },
  {
    method: "DELETE",
    path: "/v3/:projectId/volumes/:volumeId",
    async handle(call) {
      checkUrlProject(call);
      try {
        await deleteVolume({ ctx: call.ctx, input: { id: volumeId(call) } });
      } catch (error) {
        // Cinder refuses to delete a volume that is attached or busy as an invalid volume (400).
        if (isNimbusError(error) && error.code === "Conflict") throw badRequest(`Invalid volume: ${error.message}`);
        throw error;
      }
      // A host that could not delete the bits leaves the volume error_deleting: the list shows it.
      return { status: 202 };
    },
  },
];
