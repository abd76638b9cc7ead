/**
 * Nova's rebuild (`openstack server rebuild --image IMAGE SERVER`): the instance stays on its
 * host with its ports (same MACs and addresses), flavor, allocation and quota; its guest is
 * destroyed and made again from the image (a new or the same one) with a fresh root disk and a
 * config drive that says its new name, key, user data and metadata:
 *
 *   ACTIVE|SHUTOFF|ERROR ─▶ rebuilding (this verb: checks, new columns, the command)
 *     ─▶ rebuild_block_device_mapping (the host took it: guest destroyed, disks made)
 *     ─▶ rebuild_spawning (the host defines and starts the guest) ─▶ ACTIVE, or SHUTOFF if it was
 *
 * As Nova's API: the image must be visible to the project, active and a disk image that fits
 * the flavor (min_ram, min_disk, its size); a new image must suit the instance's host (the
 * scheduler's image filters, run on that host alone); a volume-backed instance keeps its image.
 * A failure at any step ends in ERROR with the fault (../task, `failTask`).
 */
import { randomUUID } from "node:crypto";
import { schema, type Executor } from "@nimbus/db";
import { and, eq } from "@nimbus/db/orm";
import type { ImageRow, InstanceRow } from "@nimbus/db/schema";
import type { CoreContext } from "../../context";
import { NimbusError, parseInput } from "../../errors";
import { imageVisibleTo } from "../../images/visibility";
import { authorize, type Principal } from "../../policy";
import { imagePropertiesFilter } from "../../scheduler/filters";
import { loadHostSnapshots } from "../../scheduler/host-states";
import { rebuildInstanceInput, type RebuildInstanceInput } from "../../validation";
import { spawnFor } from "./migrations";
import type { TaskPreparation } from "./task-end";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/** The scheduler filters that look at the image (Nova re-checks these on a rebuild with a new image). */
const IMAGE_FILTERS = [imagePropertiesFilter];

export async function rebuildInstance({ ctx, input }: { ctx: CoreContext; input: RebuildInstanceInput }): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.rebuild");
  const request = parseInput(rebuildInstanceInput, input);
  return beginInstanceTask(ctx, principal, {
    instanceId: request.instanceId,
    operation: "rebuild",
    prepare: (tx, instance) => prepareRebuild(tx, ctx, principal, instance, request),
  });
}

type RebuildRequest = ReturnType<typeof rebuildInstanceInput.parse>;

async function prepareRebuild(
  tx: Executor,
  ctx: CoreContext,
  principal: Principal,
  instance: InstanceRow,
  request: RebuildRequest,
): Promise<TaskPreparation> {
  const image = await visibleImage(tx, principal, instance, request.imageId);
  checkImage(image, instance);
  const changed = image.id !== instance.imageId;
  if (changed) {
    const [bootVolume] = await tx
      .select({ volumeId: schema.volumeAttachments.volumeId })
      .from(schema.volumeAttachments)
      .where(and(eq(schema.volumeAttachments.instanceId, instance.id), eq(schema.volumeAttachments.bootIndex, 0)))
      .limit(1);
    if (bootVolume) {
      throw NimbusError.badRequest(`Instance ${instance.name} boots from a volume: it can be rebuilt only with its own image, not another.`, [
        { path: "imageId", message: "A volume-backed instance keeps its image." },
      ]);
    }
    await checkHostTakesImage(tx, ctx, instance, image);
  }

  const columns: Partial<typeof schema.instances.$inferInsert> = { imageId: image.id };
  if (request.name !== undefined) columns.name = request.name;
  if (request.keyName === null) Object.assign(columns, { keyName: null, keyData: null });
  else if (request.keyName !== undefined) {
    const [keyPair] = await tx
      .select()
      .from(schema.keyPairs)
      .where(and(eq(schema.keyPairs.userId, principal.userId), eq(schema.keyPairs.name, request.keyName)));
    if (!keyPair) {
      throw new NimbusError("NotFound", `You have no key pair named ${request.keyName}.`, {
        fields: [{ path: "keyName", message: "No such key pair." }],
      });
    }
    Object.assign(columns, { keyName: keyPair.name, keyData: keyPair.publicKey });
  }
  if (request.userData !== undefined) columns.userData = request.userData === null ? null : Buffer.from(request.userData, "utf8").toString("base64");
  if (request.metadata !== undefined) columns.metadata = request.metadata;

  // Written now (the task's own update only sets the task state), so the spawn command below
  // describes the rebuilt guest: its image, hostname, key, user data and metadata.
  const [updated] = await tx
    .update(schema.instances)
    .set({ ...columns, updatedAt: new Date() })
    .where(eq(schema.instances.id, instance.id))
    .returning();
  const spawn = await spawnFor(tx, updated!, instance.hostId!, randomUUID(), updated!);
  return {
    params: { powerOn: instance.vmState !== "stopped", spawn },
    details: { image_id: image.id, ...(changed ? { previous_image_id: instance.imageId } : {}), ...(request.name ? { new_name: request.name } : {}) },
  };
}

/** The image, if the instance's project may use it (admins: any image); otherwise NotFound, as Nova's 400 names it. */
async function visibleImage(tx: Executor, principal: Principal, instance: InstanceRow, imageId: string): Promise<ImageRow> {
  const [image] = await tx
    .select()
    .from(schema.images)
    .where(principal.isAdmin ? eq(schema.images.id, imageId) : and(eq(schema.images.id, imageId), imageVisibleTo(instance.projectId)));
  if (!image || image.status === "deleted") throw NimbusError.notFound("Image", imageId);
  return image;
}

/** Nova's _check_requested_image: active, a disk image, and within the flavor's RAM and disk. */
function checkImage(image: ImageRow, instance: InstanceRow): void {
  const field = (message: string) => [{ path: "imageId", message }];
  if (image.status !== "active") {
    throw NimbusError.badRequest(
      `Image ${image.name} is ${image.status}, not active: it cannot rebuild instance ${instance.name}.`,
      field("This image is not active."),
    );
  }
  if (image.diskFormat === "aki" || image.diskFormat === "ari") {
    throw NimbusError.badRequest(`Image ${image.name} is a kernel or ramdisk, not a bootable disk.`, field("Choose a disk image."));
  }
  if (instance.memoryMb < image.minRamMb) {
    throw NimbusError.badRequest(
      `Instance ${instance.name}'s flavor has ${instance.memoryMb} MB of RAM; image ${image.name} needs at least ${image.minRamMb} MB.`,
      field(`Image needs at least ${image.minRamMb} MB of RAM.`),
    );
  }
  // A 0 GB root disk is "as large as the image" (Nova's zero-disk flavors).
  if (instance.rootGb === 0) return;
  const needGb = Math.max(image.minDiskGb, Math.ceil((image.virtualSizeBytes ?? image.sizeBytes ?? 0) / 1024 ** 3));
  if (instance.rootGb < needGb) {
    throw NimbusError.badRequest(
      `Instance ${instance.name}'s flavor has a ${instance.rootGb} GB disk; image ${image.name} needs at least ${needGb} GB.`,
      field(`Image needs a disk of at least ${needGb} GB.`),
    );
  }
}

/**
 * Nova's rebuild with a new image asks the scheduler about the instance's own host alone, with
 * the image's properties: a host the image cannot run on (its architecture, its hypervisor) is
 * refused, in the filter's words.
 */
async function checkHostTakesImage(tx: Executor, ctx: CoreContext, instance: InstanceRow, image: ImageRow): Promise<void> {
  const hosts = await loadHostSnapshots(tx, { downAfterMs: ctx.hostDownAfterMs });
  const host = hosts.find((h) => h.id === instance.hostId);
  if (!host) throw NimbusError.conflict(`Instance ${instance.name}'s host no longer exists.`);
  const spec = {
    vcpus: instance.vcpus,
    memoryMb: instance.memoryMb,
    diskGb: instance.rootGb,
    projectId: instance.projectId,
    imageProperties: image.properties as Record<string, string>,
  };
  for (const filter of IMAGE_FILTERS) {
    const rejection = filter.check(host, spec);
    if (rejection) {
      throw NimbusError.badRequest(
        `Image ${image.name} cannot run on host ${host.hostname} of instance ${instance.name}: the host ${rejection.reason} (${filter.name}).`,
        [{ path: "imageId", message: "This image does not suit the instance's host." }],
      );
    }
  }
}
