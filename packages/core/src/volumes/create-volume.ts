import { schema } from "@nimbus/db";
import { and, eq } from "@nimbus/db/orm";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { imageVisibleTo } from "../images/visibility";
import { enforceQuota } from "../quota/enforce";
import { createVolumeInput, minimumVolumeGb, type CreateVolumeInput } from "./validation";

/**
 * Cinder's create: a blank volume, or one made from an image (then bootable), `available` at
 * once. Its bits are made on the host of the first instance that uses it (host-local backend).
 * The volume quota (count and GB) is checked in the transaction that inserts it.
 */
export async function createVolume({ ctx, input }: { ctx: CoreContext; input: CreateVolumeInput }) {
  const principal = authorize(ctx.principal, "volumes.create");
  const value = parseInput(createVolumeInput, input);
  const image = value.imageId
    ? await ctx.db.query.images.findFirst({ where: and(eq(schema.images.id, value.imageId), imageVisibleTo(principal.projectId)) })
    : null;
  if (value.imageId && !image) {
    throw new NimbusError("NotFound", `Image ${value.imageId} could not be found.`, { fields: [{ path: "imageId", message: "No such image." }] });
  }
  if (image) {
    if (image.status !== "active")
      throw NimbusError.badRequest(`Image ${image.name} is ${image.status}, not active.`, [
        { path: "imageId", message: "This image is not active." },
      ]);
    if (image.diskFormat === "aki" || image.diskFormat === "ari") {
      throw NimbusError.badRequest(`Image ${image.name} is a kernel or ramdisk, not a disk image.`, [
        { path: "imageId", message: "Choose a disk image." },
      ]);
    }
    const needGb = minimumVolumeGb(image);
    if (value.sizeGb < needGb) {
      throw NimbusError.badRequest(`Image ${image.name} needs a volume of at least ${needGb} GB.`, [
        { path: "sizeGb", message: `The image needs at least ${needGb} GB.` },
      ]);
    }
  }
  const volume = await ctx.db.transaction(async (tx) => {
    await enforceQuota(tx, principal.projectId, { volumes: 1, gigabytes: value.sizeGb });
    const [row] = await tx
      .insert(schema.volumes)
      .values({
        projectId: principal.projectId,
        userId: principal.userId,
        name: value.name,
        description: value.description,
        sizeGb: value.sizeGb,
        status: "available",
        imageId: image?.id ?? null,
        bootable: image !== null,
      })
      .returning();
    await audit(ctx, tx, {
      action: "volume.create",
      outcome: "success",
      targetType: "volume",
      targetId: row!.id,
      details: { name: value.name, sizeGb: value.sizeGb, image: image?.name ?? null },
    });
    return row!;
  });
  return { id: volume.id, name: volume.name, sizeGb: volume.sizeGb, status: volume.status, bootable: volume.bootable };
}
