import { schema, type Executor } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import type { ImageRow, InstanceRow } from "@nimbus/db/schema";
import { z } from "zod";
import { audit } from "../../audit/record";
import type { CoreContext } from "../../context";
import { NimbusError, parseInput } from "../../errors";
import { imageNameSchema, imagePropertiesSchema, MAX_IMAGE_PROPERTIES } from "../../images/images";
import { authorize, type Principal } from "../../policy";
import { enforceQuota } from "../../quota/enforce";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

export const snapshotInstanceInput = z.object({
  instanceId: z.uuid("Not an instance id."),
  /** The new image's name. */
  name: imageNameSchema,
  /** Properties the image takes besides the ones the snapshot sets (Nova's createImage metadata). */
  metadata: imagePropertiesSchema.default({}),
});
export type SnapshotInstanceInput = z.input<typeof snapshotInstanceInput>;

/** What a snapshot answers at once: the action under way and the image its bits will fill. */
export interface SnapshotStarted extends InstanceActionStarted {
  imageId: string;
}

/**
 * Properties of the base image a snapshot does not inherit (Nova's non-inheritable ones and its
 * own snapshot markers, set afresh).
 */
const NOT_INHERITED = new Set([
  "image_type",
  "instance_uuid",
  "base_image_ref",
  "user_id",
  "image_location",
  "image_state",
  "nimbus_simulated_snapshot",
]);

/**
 * Nova's createImage (`openstack server image create --name N SERVER`): the image is recorded
 * at once, `queued`, private to the instance's project, within its image_count_total (checked in
 * the transaction that inserts it, under the instance's lock), with the properties Nova gives a
 * snapshot: the base image's (kernel, ramdisk, command line, OS…) plus image_type=snapshot,
 * instance_uuid, base_image_ref, user_id; min_ram from the base image, min_disk at least the
 * flavor's root disk; qcow2, bare. The host then saves a running guest's memory (a consistent
 * disk), copies the disk flattened, puts the guest back as it was and uploads the copy
 * (./snapshot-upload): image_snapshot ─▶ image_pending_upload ─▶ image_uploading ─▶ as before.
 * Allowed from ACTIVE, SHUTOFF, PAUSED and SUSPENDED; anything else, or a task under way, is a
 * plain-words Conflict. Answers the image's id at once; a failure deletes the image.
 */
export async function snapshotInstance({ ctx, input }: { ctx: CoreContext; input: SnapshotInstanceInput }): Promise<SnapshotStarted> {
  const principal = authorize(ctx.principal, "instances.snapshot");
  const value = parseInput(snapshotInstanceInput, input);
  let imageId: string | null = null;
  const started = await beginInstanceTask(ctx, principal, {
    instanceId: value.instanceId,
    operation: "snapshot",
    prepare: async (tx, instance) => {
      const image = await createSnapshotImage(tx, ctx, principal, instance, value);
      imageId = image.id;
      return { params: { imageId: image.id, imageName: image.name }, details: { imageId: image.id, imageName: image.name } };
    },
  });
  return { ...started, imageId: imageId! };
}

/** The queued image of a snapshot, within the project's image count (under the project's lock). */
async function createSnapshotImage(
  tx: Executor,
  ctx: CoreContext,
  principal: Principal,
  instance: InstanceRow,
  value: z.output<typeof snapshotInstanceInput>,
): Promise<ImageRow> {
  if (!instance.imageId) {
    throw NimbusError.conflict(
      `Instance ${instance.name} boots from a volume: Nimbus snapshots an instance's image-backed root disk only (snapshot the volume instead).`,
    );
  }
  const [base] = await tx.select().from(schema.images).where(eq(schema.images.id, instance.imageId));
  const inherited = Object.fromEntries(Object.entries(base?.properties ?? {}).filter(([key]) => !NOT_INHERITED.has(key)));
  const properties: Record<string, string> = {
    ...inherited,
    ...value.metadata,
    image_type: "snapshot",
    instance_uuid: instance.id,
    base_image_ref: instance.imageId,
    user_id: principal.userId,
  };
  if (Object.keys(properties).length > MAX_IMAGE_PROPERTIES) {
    throw NimbusError.badRequest(`An image may have at most ${MAX_IMAGE_PROPERTIES} properties; the snapshot's metadata would pass that.`, [
      { path: "metadata", message: `Use fewer properties (at most ${MAX_IMAGE_PROPERTIES} in all).` },
    ]);
  }
  // Glance's image_count_total, in the transaction that inserts the image (the project's lock).
  await enforceQuota(tx, instance.projectId, { image_count_total: 1 });
  const [created] = await tx
    .insert(schema.images)
    .values({
      name: value.name,
      status: "queued",
      visibility: "private",
      ownerProjectId: instance.projectId,
      diskFormat: "qcow2",
      containerFormat: "bare",
      minRamMb: base?.minRamMb ?? 0,
      minDiskGb: Math.max(base?.minDiskGb ?? 0, instance.rootGb),
      properties,
    })
    .returning();
  await audit(ctx, tx, {
    action: "image.create",
    outcome: "success",
    targetType: "image",
    targetId: created!.id,
    projectId: instance.projectId,
    details: { name: value.name, kind: "disk", visibility: "private", snapshotOf: instance.id },
  });
  return created!;
}
