import { jsonValue, rowFromJson, schema, type Executor } from "@nimbus/db";
import { and, eq, inArray, sql, type SQL, type SQLWrapper } from "@nimbus/db/orm";
import type { ImageRef, VolumeSpec } from "../protocol/agent";
import { NimbusError } from "../errors";
import type { BootSource } from "../validation";
import { imageRefOf } from "../images/refs";
import type { ImageRow } from "@nimbus/db/schema";
import { z } from "zod";

export interface LaunchVolumes {
  bootSource: BootSource;
  /** Existing volumes attached as extra disks. */
  extra: { volumeId: string; deleteOnTermination: boolean }[];
}

/** Guest device names: vda is the root disk, extra volumes follow in order. */
const deviceName = (index: number) => `vd${String.fromCharCode("a".charCodeAt(0) + index)}`;

/**
 * Checks the existing volumes a launch names (same project, available; bootable for a boot
 * volume) and returns the host their bits live on, if any: the instance must go there.
 */
export async function checkLaunchVolumes(tx: Executor, projectId: string, request: LaunchVolumes): Promise<{ requiredHostId: string | null }> {
  const ids = [...(request.bootSource.type === "volume" ? [request.bootSource.volumeId] : []), ...request.extra.map((v) => v.volumeId)];
  if (ids.length === 0) return { requiredHostId: null };
  const rows = await tx
    .select()
    .from(schema.volumes)
    .where(and(eq(schema.volumes.projectId, projectId), inArray(schema.volumes.id, ids)))
    .for("update");
  const hosts = new Set<string>();
  for (const id of ids) {
    const volume = rows.find((v) => v.id === id);
    const path = request.bootSource.type === "volume" && id === request.bootSource.volumeId ? "bootSource" : "volumes";
    if (!volume)
      throw new NimbusError("NotFound", `Volume ${id} could not be found.`, { fields: [{ path, message: "No such volume in this project." }] });
    if (volume.status !== "available") {
      throw NimbusError.badRequest(`Volume ${volume.name} is ${volume.status}; only an available volume can be attached.`, [
        { path, message: `Volume is ${volume.status}.` },
      ]);
    }
    if (path === "bootSource" && !volume.bootable) {
      throw NimbusError.badRequest(`Volume ${volume.name} is not bootable: make it from an image to boot from it.`, [
        { path, message: "Volume is not bootable." },
      ]);
    }
    if (volume.hostId) hosts.add(volume.hostId);
  }
  if (hosts.size > 1) {
    throw NimbusError.badRequest("These volumes live on different hosts, so no one instance can use them all.", [
      { path: "volumes", message: "Volumes are on different hosts." },
    ]);
  }
  return { requiredHostId: [...hosts][0] ?? null };
}

/**
 * The volumes a launch of `count` instances creates (an image-to-volume root each), for the
 * volume quota: checked before `attachLaunchVolumes` inserts them, since the check counts the
 * project's volume rows and would otherwise count the new ones twice.
 */
export function newLaunchVolumes(request: LaunchVolumes, count: number): { volumes: number; gigabytes: number } {
  const boot = request.bootSource;
  return boot.type === "image-to-volume" ? { volumes: count, gigabytes: count * boot.sizeGb } : { volumes: 0, gigabytes: 0 };
}

/**
 * Records the instance's volumes inside the launch transaction: a new root volume made from the
 * image (image-to-volume), or the existing ones, all marked in-use with their attachment. The
 * volume quota is checked before (`newLaunchVolumes`).
 */
export async function attachLaunchVolumes(
  tx: Executor,
  {
    instanceId,
    instanceName,
    projectId,
    userId,
    image,
  }: { instanceId: string; instanceName: string; projectId: string; userId: string; image: ImageRow | null },
  request: LaunchVolumes,
): Promise<void> {
  let next = 0;
  const boot = request.bootSource;
  if (boot.type === "image-to-volume") {
    const [volume] = await tx
      .insert(schema.volumes)
      .values({ projectId, userId, name: `${instanceName}-root`, sizeGb: boot.sizeGb, status: "in-use", imageId: image?.id ?? null, bootable: true })
      .returning();
    await tx
      .insert(schema.volumeAttachments)
      .values({ volumeId: volume!.id, instanceId, bootIndex: 0, device: deviceName(next++), deleteOnTermination: boot.deleteOnTermination });
  } else if (boot.type === "volume") {
    await tx.update(schema.volumes).set({ status: "in-use", updatedAt: new Date() }).where(eq(schema.volumes.id, boot.volumeId));
    await tx
      .insert(schema.volumeAttachments)
      .values({ volumeId: boot.volumeId, instanceId, bootIndex: 0, device: deviceName(next++), deleteOnTermination: boot.deleteOnTermination });
  } else {
    next++; // vda is the image-backed local root disk
  }
  for (const extra of request.extra) {
    await tx.update(schema.volumes).set({ status: "in-use", updatedAt: new Date() }).where(eq(schema.volumes.id, extra.volumeId));
    await tx
      .insert(schema.volumeAttachments)
      .values({ volumeId: extra.volumeId, instanceId, bootIndex: null, device: deviceName(next++), deleteOnTermination: extra.deleteOnTermination });
  }
}

/**
 * What the host needs of an instance's volumes, as a JSON column `volumes` of one statement (the
 * spawn command's read): each attachment with its volume and the volume's image, by device.
 * Map it with `volumeSpecsFromJson`.
 */
export function volumeSpecColumn(instanceId: SQLWrapper | string): SQL {
  return sql`
    (select coalesce(json_agg(json_build_object('attachment', row_to_json(a), 'volume', row_to_json(v), 'image', row_to_json(i)) order by a.device), '[]'::json)
      from ${schema.volumeAttachments} a join ${schema.volumes} v on v.id = a.volume_id left join ${schema.images} i on i.id = v.image_id
      where a.instance_id = ${instanceId}::uuid) as volumes`;
}

/** `volumeSpecColumn`'s shape: each attachment with its volume and the volume's image, as rows. */
const joinedVolumes = z.array(z.object({ attachment: z.unknown(), volume: z.unknown(), image: z.unknown() }));

/** The instance's volumes as the host of `hostId` attaches them (made from their image on first use), from `volumeSpecColumn`. */
export function volumeSpecsFromJson(volumesJson: unknown, hostId: string): VolumeSpec[] {
  return joinedVolumes.parse(jsonValue(volumesJson)).map((joined) => {
    const attachment = rowFromJson(schema.volumeAttachments, joined.attachment);
    const volume = rowFromJson(schema.volumes, joined.volume);
    const image = joined.image ? rowFromJson(schema.images, joined.image) : null;
    const exists = volume.hostId === hostId;
    const source: ImageRef | null = !exists && image ? imageRefOf(image) : null;
    return { id: volume.id, sizeGb: volume.sizeGb, device: attachment.device, bootIndex: attachment.bootIndex, image: source, exists };
  });
}

/** Once the instance is ACTIVE on a host, its volumes' bits live there: later launches that use them go there. */
export async function settleVolumesOnHost(tx: Executor, instanceId: string, hostId: string): Promise<void> {
  const attached = tx
    .select({ id: schema.volumeAttachments.volumeId })
    .from(schema.volumeAttachments)
    .where(eq(schema.volumeAttachments.instanceId, instanceId));
  await tx.update(schema.volumes).set({ hostId, updatedAt: new Date() }).where(inArray(schema.volumes.id, attached));
}

/**
 * At the end of a delete: volumes marked delete-on-termination go, the rest are detached and
 * available again. Returns what the host must do with each volume's bits.
 */
export async function detachInstanceVolumes(tx: Executor, instanceId: string): Promise<{ id: string; delete: boolean }[]> {
  const rows = await tx.select().from(schema.volumeAttachments).where(eq(schema.volumeAttachments.instanceId, instanceId));
  for (const row of rows) {
    if (row.deleteOnTermination) await tx.delete(schema.volumes).where(eq(schema.volumes.id, row.volumeId));
    else {
      await tx.delete(schema.volumeAttachments).where(eq(schema.volumeAttachments.volumeId, row.volumeId));
      await tx.update(schema.volumes).set({ status: "available", updatedAt: new Date() }).where(eq(schema.volumes.id, row.volumeId));
    }
  }
  return rows.map((r) => ({ id: r.volumeId, delete: r.deleteOnTermination }));
}
