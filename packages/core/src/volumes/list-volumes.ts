import { schema, type Executor } from "@nimbus/db";
import { and, asc, eq } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { idInput } from "../validation";
import type { z } from "zod";

/** A project's volumes with what the console shows beside each: image, attachment, host. */
async function volumeRows(db: Executor, projectId: string, volumeId?: string) {
  const rows = await db
    .select({
      volume: schema.volumes,
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
    .where(and(eq(schema.volumes.projectId, projectId), volumeId ? eq(schema.volumes.id, volumeId) : undefined))
    .orderBy(asc(schema.volumes.name), asc(schema.volumes.createdAt));
  return rows.map(({ volume, attachment, instance, image, host }) => ({
    id: volume.id,
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

/** Cinder's volume list: the project's volumes, attached or not. */
export async function listVolumes({ ctx }: { ctx: CoreContext }): Promise<VolumeView[]> {
  const principal = authorize(ctx.principal, "volumes.list");
  return volumeRows(ctx.db, principal.projectId);
}

/** One volume of the project; another project's answers NotFound. */
export async function getVolume({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<VolumeView> {
  const principal = authorize(ctx.principal, "volumes.get");
  const { id } = parseInput(idInput, input);
  const [volume] = await volumeRows(ctx.db, principal.projectId, id);
  if (!volume) throw NimbusError.notFound("Volume", id);
  return volume;
}
