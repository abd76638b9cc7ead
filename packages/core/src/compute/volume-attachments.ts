import { schema } from "@nimbus/db";
import { and, eq } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { findVisibleInstance } from "./queries";

export const volumeAttachmentInput = z.object({
  instanceId: z.uuid("Not an instance id."),
  volumeId: z.uuid("Not a volume id."),
});

/** The project's volume and its attachment, if any; another project's volume is NotFound. */
async function projectVolume(ctx: CoreContext, projectId: string, volumeId: string) {
  const volume = await ctx.db.query.volumes.findFirst({
    where: and(eq(schema.volumes.id, volumeId), eq(schema.volumes.projectId, projectId)),
    with: { attachment: true },
  });
  if (!volume) throw NimbusError.notFound("Volume", volumeId);
  return volume;
}

/**
 * Nova's attach of a volume to an instance that already runs (os-volume_attachments create).
 * Nimbus attaches volumes when an instance is launched only (no hot-plug): this verb checks what
 * Nova checks first (the instance and the volume are the project's, the volume is free) and then
 * refuses in plain words, so that the console and the API say the same thing.
 */
export async function attachVolume({ ctx, input }: { ctx: CoreContext; input: z.input<typeof volumeAttachmentInput> }): Promise<never> {
  const principal = authorize(ctx.principal, "instances.attachVolume");
  const { instanceId, volumeId } = parseInput(volumeAttachmentInput, input);
  const instance = await findVisibleInstance(ctx.db, principal, instanceId);
  const volume = await projectVolume(ctx, principal.projectId, volumeId);
  if (volume.attachment) {
    throw NimbusError.badRequest(
      volume.attachment.instanceId === instance.id
        ? `Volume ${volume.name} is already attached to instance ${instance.name} as ${volume.attachment.device}.`
        : `Volume ${volume.name} is in-use by another instance; a volume attaches to one instance at a time.`,
      [{ path: "volumeId", message: "This volume is attached." }],
    );
  }
  throw NimbusError.conflict(
    `Nimbus attaches volumes only when an instance is launched, so volume ${volume.name} cannot be attached to instance ${instance.name} now. Launch an instance with the volume (or boot from it) instead.`,
  );
}

/**
 * Nova's detach of a volume from an instance (os-volume_attachments delete). Nimbus detaches a
 * volume when its instance is deleted only: like `attachVolume`, this verb checks and refuses.
 */
export async function detachVolume({ ctx, input }: { ctx: CoreContext; input: z.input<typeof volumeAttachmentInput> }): Promise<never> {
  const principal = authorize(ctx.principal, "instances.detachVolume");
  const { instanceId, volumeId } = parseInput(volumeAttachmentInput, input);
  const instance = await findVisibleInstance(ctx.db, principal, instanceId);
  const volume = await projectVolume(ctx, principal.projectId, volumeId);
  if (volume.attachment?.instanceId !== instance.id) {
    throw new NimbusError("NotFound", `Volume ${volume.name} is not attached to instance ${instance.name}.`, {
      kind: "Volume attachment",
      id: volumeId,
    });
  }
  throw NimbusError.conflict(
    `Nimbus detaches volumes only when their instance is deleted, so volume ${volume.name} stays attached to instance ${instance.name} as ${volume.attachment.device}. Delete the instance to detach it (it is kept unless marked delete on termination).`,
  );
}
