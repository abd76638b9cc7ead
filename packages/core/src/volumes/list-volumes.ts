import { schema, type Executor } from "@nimbus/db";
import { and, asc, desc, eq, sql, type SQL } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { idInput, text } from "../validation";
import { z } from "zod";

/** Volumes (one project's, or every project's when `projectId` is null) with what the console shows beside each: image, attachment, host. */
async function volumeRows(
  db: Executor,
  projectId: string | null,
  filters: SQL[] = [],
  { order = [asc(schema.volumes.name), asc(schema.volumes.createdAt), asc(schema.volumes.id)], limit }: { order?: SQL[]; limit?: number } = {},
) {
  const query = db
    .select({
      volume: schema.volumes,
      projectName: schema.projects.name,
      attachment: schema.volumeAttachments,
      instance: { id: schema.instances.id, name: schema.instances.name },
      image: { id: schema.images.id, name: schema.images.name },
      host: { id: schema.computeHosts.id, hostname: schema.computeHosts.hostname },
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
  return rows.map(({ volume, projectName, attachment, instance, image, host }) => ({
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
export type VolumeView = Awaited<ReturnType<typeof volumeRows>>[number];

export const listVolumesInput = z
  .object({
    /** Every project's volumes (Cinder's all_tenants): cloud administrators only. */
    allProjects: z.boolean().default(false),
    /** With allProjects, only this project's volumes. */
    projectId: z.uuid("Not a project id.").optional(),
    name: text("Name").max(255, "Use at most 255 characters.").optional(),
    status: z.enum(schema.volumeStatus.enumValues).optional(),
    /** Order: by name (A to Z, the default) or by creation (Cinder's default: newest first). */
    sortKey: z.enum(["name", "created_at"]).default("name"),
    sortDir: z.enum(["asc", "desc"]).default("asc"),
    /** A page: at most `limit` volumes after the volume `marker` (in the same order). */
    limit: z.number().int("Enter a whole number.").min(0, "Cannot be negative.").max(1000, "Use at most 1000.").optional(),
    marker: z.uuid("Not a volume id.").optional(),
  })
  .default({ allProjects: false, sortKey: "name", sortDir: "asc" });
export type ListVolumesInput = z.input<typeof listVolumesInput>;

/** Cinder's volume list: the project's volumes, attached or not (every project's for a cloud admin who asks). */
export async function listVolumes({ ctx, input }: { ctx: CoreContext; input?: ListVolumesInput }): Promise<VolumeView[]> {
  const principal = authorize(ctx.principal, "volumes.list");
  const value = parseInput(listVolumesInput, input);
  if (value.allProjects) authorize(ctx.principal, "volumes.listAllProjects");
  const v = schema.volumes;
  const projectId = value.allProjects ? null : principal.projectId;
  const filters = [
    ...(value.name !== undefined ? [eq(v.name, value.name)] : []),
    ...(value.status ? [eq(v.status, value.status)] : []),
    ...(value.allProjects && value.projectId ? [eq(v.projectId, value.projectId)] : []),
  ];
  const key = value.sortKey === "name" ? v.name : v.createdAt;
  const direction = value.sortDir === "asc" ? asc : desc;
  if (value.marker) {
    const [marker] = await ctx.db
      .select({ id: v.id })
      .from(v)
      .where(and(eq(v.id, value.marker), projectId === null ? undefined : eq(v.projectId, projectId)));
    if (!marker)
      throw NimbusError.badRequest(`Invalid marker: volume ${value.marker} could not be found.`, [{ path: "marker", message: "No such volume." }]);
    const column = sql.raw(value.sortKey === "name" ? "name" : "created_at");
    const after = sql`(select ${column}, created_at, id from ${v} where id = ${value.marker})`;
    filters.push(value.sortDir === "asc" ? sql`(${key}, ${v.createdAt}, ${v.id}) > ${after}` : sql`(${key}, ${v.createdAt}, ${v.id}) < ${after}`);
  }
  // The key, then creation and id to break ties: a total order, so pages neither skip nor repeat.
  return volumeRows(ctx.db, projectId, filters, { order: [direction(key), direction(v.createdAt), direction(v.id)], limit: value.limit });
}

/** One volume of the project; another project's answers NotFound. */
export async function getVolume({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<VolumeView> {
  const principal = authorize(ctx.principal, "volumes.get");
  const { id } = parseInput(idInput, input);
  const [volume] = await volumeRows(ctx.db, principal.projectId, [eq(schema.volumes.id, id)]);
  if (!volume) throw NimbusError.notFound("Volume", id);
  return volume;
}
