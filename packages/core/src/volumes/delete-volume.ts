import { randomUUID } from "node:crypto";
import { schema } from "@nimbus/db";
import { and, eq } from "@nimbus/db/orm";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput, publicError } from "../errors";
import { authorize } from "../policy";
import { isUp } from "../placement/usage";
import { idInput } from "../validation";
import type { z } from "zod";

/** The statuses Cinder deletes from; the others are busy (attached, being made or deleted). */
const DELETABLE = new Set(["available", "error", "error_deleting"]);

export type DeleteVolumeResult =
  | { id: string; name: string; deleted: true }
  | { id: string; name: string; deleted: false; status: "error_deleting"; message: string };

/**
 * Cinder's delete. A volume attached to an instance is refused. One that never had bits goes at
 * once; one whose bits live on a host is marked `deleting` while that host's agent deletes them
 * (`volume.delete`), then goes. If the host is down or does not confirm, the volume stays as
 * `error_deleting` so nothing is leaked silently; deleting it again retries.
 */
export async function deleteVolume({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<DeleteVolumeResult> {
  const principal = authorize(ctx.principal, "volumes.delete");
  const { id } = parseInput(idInput, input);
  const claimed = await ctx.db.transaction(async (tx) => {
    const [volume] = await tx
      .select()
      .from(schema.volumes)
      .where(and(eq(schema.volumes.id, id), eq(schema.volumes.projectId, principal.projectId)))
      .for("update");
    if (!volume) throw NimbusError.notFound("Volume", id);
    const [attached] = await tx
      .select({ device: schema.volumeAttachments.device, instanceName: schema.instances.name })
      .from(schema.volumeAttachments)
      .innerJoin(schema.instances, eq(schema.instances.id, schema.volumeAttachments.instanceId))
      .where(eq(schema.volumeAttachments.volumeId, volume.id));
    if (attached) {
      throw NimbusError.conflict(
        `Volume ${volume.name} is attached to instance ${attached.instanceName} as ${attached.device}: delete the instance first (the volume is then detached, or deleted if marked delete on termination).`,
      );
    }
    if (!DELETABLE.has(volume.status)) {
      throw NimbusError.conflict(`Volume ${volume.name} is ${volume.status}; only an available volume, or one in error, can be deleted.`);
    }
    if (!volume.hostId) {
      await tx.delete(schema.volumes).where(eq(schema.volumes.id, volume.id));
      await audit(ctx, tx, {
        action: "volume.delete",
        outcome: "success",
        targetType: "volume",
        targetId: volume.id,
        details: { name: volume.name, sizeGb: volume.sizeGb },
      });
      return { volume, hostId: null };
    }
    await tx.update(schema.volumes).set({ status: "deleting", statusReason: null, updatedAt: new Date() }).where(eq(schema.volumes.id, volume.id));
    return { volume, hostId: volume.hostId };
  });
  const { volume, hostId } = claimed;
  if (!hostId) return { id: volume.id, name: volume.name, deleted: true };

  const host = await ctx.db.query.computeHosts.findFirst({ where: eq(schema.computeHosts.id, hostId) });
  let failure: string | null = null;
  if (!host || !isUp(host, ctx.hostDownAfterMs)) {
    failure = `Host ${host?.hostname ?? hostId} is down, so the volume's data on it could not be deleted.`;
  } else {
    const ack = await ctx.agents
      .deleteVolume(hostId, { commandId: randomUUID(), volumeId: volume.id })
      .catch((error: unknown) => ({ ok: false as const, error: publicError(error).message }));
    if (!ack.ok) failure = `Host ${host.hostname} could not delete the volume's data: ${ack.error}`;
  }
  const stillDeleting = and(eq(schema.volumes.id, volume.id), eq(schema.volumes.status, "deleting"));
  if (failure === null) {
    await ctx.db.transaction(async (tx) => {
      await tx.delete(schema.volumes).where(stillDeleting);
      await audit(ctx, tx, {
        action: "volume.delete",
        outcome: "success",
        targetType: "volume",
        targetId: volume.id,
        details: { name: volume.name, sizeGb: volume.sizeGb, host: host?.hostname },
      });
    });
    return { id: volume.id, name: volume.name, deleted: true };
  }
  await ctx.db.transaction(async (tx) => {
    // Kept on the volume, so the list says why long after this answer.
    await tx.update(schema.volumes).set({ status: "error_deleting", statusReason: failure, updatedAt: new Date() }).where(stillDeleting);
    await audit(ctx, tx, {
      action: "volume.delete",
      outcome: "failure",
      targetType: "volume",
      targetId: volume.id,
      details: { name: volume.name, reason: failure },
    });
  });
  const message = `${failure} Volume ${volume.name} is kept as error_deleting (it still counts against the quota); delete it again once the host is back.`;
  return { id: volume.id, name: volume.name, deleted: false, status: "error_deleting", message };
}
