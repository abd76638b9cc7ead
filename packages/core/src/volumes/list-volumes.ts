import { schema, type Executor } from "@nimbus/db";
import { and, asc, eq, sql, type SQL } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { idInput, MAX_LIST_LIMIT, text } from "../validation";
import { containsText, keyset, textPart, timestampPart } from "../paging/keyset";
import { z } from "zod";

/** Volumes (one project's, or every project's when `projectId` is null) with what the console shows beside each: image, attachment, host. */
async function volumeRows(
  db: Executor,
  projectId: string | null,
  filters: (SQL | undefined)[] = [],
  {
    order = [asc(schema.volumes.name), asc(schema.volumes.createdAt), asc(schema.volumes.id)],
    limit,
    keyset: cursorColumn,
  }: { order?: SQL[]; limit?: number; keyset?: SQL<string[]> } = {},
) {
  const query = db
    .select({
      volume: schema.volumes,
      projectName: schema.projects.name,
      attachment: schema.volumeAttachments,
      instance: { id: schema.instances.id, name: schema.instances.name },
      image: { id: schema.images.id, name: schema.images.name },
      host: { id: schema.computeHosts.id, hostname: schema.computeHosts.hostname },
      _keyset: cursorColumn ?? sql<string[]>`array[]::text[]`,
    })
    .from(schema.volumes)
    .leftJoin(schema.volumeAttachments, eq(schema.volumeAttachments.volumeId, schema.volumes.id))
    .leftJoin(schema.instances, eq(schema.instances.id, schema.volumeAttachments.instanceId))
    .leftJoin(schema.images, eq(schema.images.id, schema.volumes.imageId))
    .leftJoin(schema.computeHosts, eq(schema.computeHosts.id, schema.volumes.hostId))
    .innerJoin(schema.projects, eq(schema.projects.id, schema.volumes.projectId))
    .where(and(projectId === null ? undefined : eq(schema.volumes.projectId, projectId), ...filters))
    .orderBy(...order);
  const rows = limit === undefined ? await query : await query.limit(limit);
  return rows.map(({ volume, projectName, attachment, instance, image, host, _keyset }) => ({
    /** The row's sort values for a page cursor (see listVolumePage). */
    _keyset,
    id: volume.id,
    projectId: volume.projectId,
    projectName,
    /** Who created it (null once that user is gone). */
    userId: volume.userId,
    name: volume.name,
    description: volume.description,
    sizeGb: volume.sizeGb,
    status: volume.status,
    /** Why it is in an error status (error_deleting: what the host said); null otherwise. */
    statusReason: volume.statusReason,
    bootable: volume.bootable,
    /** The image the volume was made from (null: blank, or the image is gone). */
    image,
    attachment:
      attachment && instance
        ? {
            instanceId: instance.id,
            instanceName: instance.name,
            device: attachment.device,
            bootIndex: attachment.bootIndex,
            deleteOnTermination: attachment.deleteOnTermination,
          }
        : null,
    /** Where the volume's bits live; null until its first instance is built. */
    host,
    createdAt: volume.createdAt,
    updatedAt: volume.updatedAt,
  }));
}
export type VolumeView = Omit<Awaited<ReturnType<typeof volumeRows>>[number], "_keyset">;

export const listVolumesInput = z
  .object({
    /** Every project's volumes (Cinder's all_tenants): cloud administrators only. */
    allProjects: z.boolean().default(false),
    /** With allProjects, only this project's volumes. */
    projectId: z.uuid("Not a project id.").optional(),
    name: text("Name").max(255, "Use at most 255 characters.").optional(),
    /** Names that contain this text, any case (the console's filter). */
    nameContains: text("Name").max(255, "Use at most 255 characters.").optional(),
    status: z.enum(schema.volumeStatus.enumValues).optional(),
    /** Order: by name (A to Z, the default) or by creation (Cinder's default: newest first). */
    sortKey: z.enum(["name", "created_at"]).default("name"),
    sortDir: z.enum(["asc", "desc"]).default("asc"),
    /** A page: at most `limit` volumes after the volume `marker` (in the same order), or at `cursor` (a page's next or prev). */
    limit: z.number().int("Enter a whole number.").min(1, "Ask for at least one.").max(MAX_LIST_LIMIT, `Use at most ${MAX_LIST_LIMIT}.`).default(20),
    marker: z.uuid("Not a volume id.").optional(),
    cursor: text("The page cursor").max(4096, "Not a page cursor this list gave out.").optional(),
  })
  .default({ allProjects: false, sortKey: "name", sortDir: "asc", limit: 20 });
export type ListVolumesInput = z.input<typeof listVolumesInput>;

/** A volume list's orders, each ending in the id: by name (then creation) or by creation. Migration `more_list_indexes` indexes them. */
const volumeKeyset = keyset<"name" | "created_at">({
  keys: {
    name: [textPart(sql`${schema.volumes.name}`), timestampPart(sql`${schema.volumes.createdAt}`)],
    created_at: [timestampPart(sql`${schema.volumes.createdAt}`)],
  },
  id: sql`${schema.volumes.id}`,
  idCast: (v) => sql`${v}::uuid`,
});

/** The list's filters in SQL (the scope is the caller's project unless allProjects). */
function volumeFilters(value: z.output<typeof listVolumesInput>): (SQL | undefined)[] {
  const v = schema.volumes;
  return [
    value.name !== undefined ? eq(v.name, value.name) : undefined,
    value.nameContains ? containsText(sql`${v.name}`, value.nameContains) : undefined,
    value.status ? eq(v.status, value.status) : undefined,
    value.allProjects && value.projectId ? eq(v.projectId, value.projectId) : undefined,
  ];
}

/** How many volumes the list would give over all its pages (Cinder's with_count), counted in SQL. */
export async function countVolumes({ ctx, input }: { ctx: CoreContext; input?: ListVolumesInput }): Promise<number> {
  const principal = authorize(ctx.principal, "volumes.list");
  const value = parseInput(listVolumesInput, input);
  if (value.allProjects) authorize(ctx.principal, "volumes.listAllProjects");
  const v = schema.volumes;
  const [row] = await ctx.db
    .select({ n: sql<number>`count(*)::int` })
    .from(v)
    .where(and(value.allProjects ? undefined : eq(v.projectId, principal.projectId), ...volumeFilters(value)));
  return row?.n ?? 0;
}

/**
 * A page of Cinder's volume list, filtered, sorted and paged in SQL by keyset: the project's
 * volumes, attached or not (every project's for a cloud admin who asks), after `marker` (a volume
 * of the same scope; another's is Cinder's "invalid marker") or at `cursor`.
 */
export async function listVolumePage({ ctx, input }: { ctx: CoreContext; input?: ListVolumesInput }) {
  const principal = authorize(ctx.principal, "volumes.list");
  const value = parseInput(listVolumesInput, input);
  if (value.allProjects) authorize(ctx.principal, "volumes.listAllProjects");
  const v = schema.volumes;
  const projectId = value.allProjects ? null : principal.projectId;
  const filters = volumeFilters(value);
  const request = await volumeKeyset.fromMarker(
    { sort: value.sortKey, direction: value.sortDir, limit: value.limit, cursor: value.cursor },
    value.marker,
    async (select) =>
      (
        await ctx.db
          .select({ id: v.id, _keyset: select })
          .from(v)
          .where(and(eq(v.id, value.marker!), projectId === null ? undefined : eq(v.projectId, projectId)))
      )[0],
    () => NimbusError.badRequest(`Invalid marker: volume ${value.marker} could not be found.`, [{ path: "marker", message: "No such volume." }]),
  );
  return volumeKeyset.run(request, ({ select, where, orderBy, limit }) =>
    volumeRows(ctx.db, projectId, [...filters, where], { order: orderBy, limit, keyset: select }),
  );
}

/** Cinder's volume list as one list: listVolumePage's first page (or the one after `marker`), at most `limit` (at most MAX_LIST_LIMIT). */
export async function listVolumes({ ctx, input }: { ctx: CoreContext; input?: ListVolumesInput }): Promise<VolumeView[]> {
  return (await listVolumePage({ ctx, input: { ...input, limit: input?.limit ?? MAX_LIST_LIMIT } })).items;
}

/** One volume of the project; another project's answers NotFound. */
export async function getVolume({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<VolumeView> {
  const principal = authorize(ctx.principal, "volumes.get");
  const { id } = parseInput(idInput, input);
  const [row] = await volumeRows(ctx.db, principal.projectId, [eq(schema.volumes.id, id)]);
  if (!row) throw NimbusError.notFound("Volume", id);
  const { _keyset: _, ...volume } = row;
  return volume;
}
