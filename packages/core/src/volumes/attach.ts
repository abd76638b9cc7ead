import { schema, type Database, type Executor } from "@nimbus/db";
import { and, asc, eq, inArray, sql } from "@nimbus/db/orm";
import type { ImageRef, VolumeSpec } from "../protocol";
import { NimbusError } from "../errors";
import type { BootSource } from "../validation";
import { imageRefOf } from "../images/refs";
import { preparedOn } from "../prepared";

type ImageRow = typeof schema.images.$inferSelect;

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
    if (!volume) throw new NimbusError("NotFound", `Volume ${id} could not be found.`, { fields: [{ path, message: "No such volume in this project." }] });
    if (volume.status !== "available") {
      throw NimbusError.badRequest(`Volume ${volume.name} is ${volume.status}; only an available volume can be attached.`, [{ path, message: `Volume is ${volume.status}.` }]);
    }
    if (path === "bootSource" && !volume.bootable) {
      throw NimbusError.badRequest(`Volume ${volume.name} is not bootable: make it from an image to boot from it.`, [{ path, message: "Volume is not bootable." }]);
    }
    if (volume.hostId) hosts.add(volume.hostId);
  }
  if (hosts.size > 1) {
    throw NimbusError.badRequest("These volumes live on different hosts, so no one instance can use them all.", [{ path: "volumes", message: "Volumes are on different hosts." }]);
  }
  return { requiredHostId: [...hosts][0] ?? null };
}

/**
 * Records the instance's volumes inside the launch transaction: a new root volume made from the
 * image (image-to-volume), or the existing ones, all marked in-use with their attachment.
 * Returns the GB of new volumes, for the volume quota check.
 */
export async function attachLaunchVolumes(
  tx: Executor,
  { instanceId, instanceName, projectId, userId, image }: { instanceId: string; instanceName: string; projectId: string; userId: string; image: ImageRow | null },
  request: LaunchVolumes,
): Promise<{ newVolumes: number; newGigabytes: number }> {
  let next = 0;
  let newVolumes = 0;
  let newGigabytes = 0;
  const boot = request.bootSource;
  if (boot.type === "image-to-volume") {
    const [volume] = await tx
      .insert(schema.volumes)
      .values({ projectId, userId, name: `${instanceName}-root`, sizeGb: boot.sizeGb, status: "in-use", imageId: image?.id ?? null, bootable: true })
      .returning();
    await tx.insert(schema.volumeAttachments).values({ volumeId: volume!.id, instanceId, bootIndex: 0, device: deviceName(next++), deleteOnTermination: boot.deleteOnTermination });
    newVolumes++;
    newGigabytes += boot.sizeGb;
  } else if (boot.type === "volume") {
    await tx.update(schema.volumes).set({ status: "in-use", updatedAt: new Date() }).where(eq(schema.volumes.id, boot.volumeId));
    await tx.insert(schema.volumeAttachments).values({ volumeId: boot.volumeId, instanceId, bootIndex: 0, device: deviceName(next++), deleteOnTermination: boot.deleteOnTermination });
  } else {
    next++; // vda is the image-backed local root disk
  }
  for (const extra of request.extra) {
    await tx.update(schema.volumes).set({ status: "in-use", updatedAt: new Date() }).where(eq(schema.volumes.id, extra.volumeId));
    await tx.insert(schema.volumeAttachments).values({ volumeId: extra.volumeId, instanceId, bootIndex: null, device: deviceName(next++), deleteOnTermination: extra.deleteOnTermination });
  }
  return { newVolumes, newGigabytes };
}

/** The instance's volumes as the host attaches them (made from their image on first use). */
export async function volumeSpecsFor(db: Database, instanceId: string, hostId: string): Promise<VolumeSpec[]> {
  // Prepared once per handle: every dispatch reads it.
  const rows = await preparedOn(db, "volume_specs", (on) =>
    on
      .select({ attachment: schema.volumeAttachments, volume: schema.volumes, image: schema.images })
      .from(schema.volumeAttachments)
      .innerJoin(schema.volumes, eq(schema.volumes.id, schema.volumeAttachments.volumeId))
      .leftJoin(schema.images, eq(schema.images.id, schema.volumes.imageId))
      .where(eq(schema.volumeAttachments.instanceId, sql.placeholder("instanceId")))
      .orderBy(asc(schema.volumeAttachments.device))
      .prepare("volume_specs"),
  ).execute({ instanceId });
  return rows.map(({ attachment, volume, image }) => {
    const exists = volume.hostId === hostId;
    const source: ImageRef | null = !exists && image ? imageRefOf(image) : null;
    return { id: volume.id, sizeGb: volume.sizeGb, device: attachment.device, bootIndex: attachment.bootIndex, image: source, exists };
  });
}

/** Once the instance is ACTIVE on a host, its volumes' bits live there: later launches that use them go there. */
export async function settleVolumesOnHost(tx: Executor, instanceId: string, hostId: string): Promise<void> {
  const attached = tx.select({ id: schema.volumeAttachments.volumeId }).from(schema.volumeAttachments).where(eq(schema.volumeAttachments.instanceId, instanceId));
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
