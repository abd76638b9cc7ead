import type { Readable } from "node:stream";
import { schema } from "@nimbus/db";
import { and, eq, sql } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../../context";
import { NimbusError } from "../../errors";
import { storeImageData } from "../../images/upload";
import type { TaskState } from "../../instance/state-machine";
import { Announcements } from "../announce";
import { lockInstance } from "../lifecycle";
import { currentTask, setTaskState } from "./task";

/** Set on a snapshot a simulated host made (libvirt's test driver has no disks: a blank qcow2, as Nova's fake driver). */
export const SIMULATED_SNAPSHOT_PROPERTY = "nimbus_simulated_snapshot";

export interface SnapshotUploadInput {
  /** The compute host that uploads, as its credential authenticated it. */
  hostname: string;
  imageId: string;
  body: Readable;
  maxBytes: number;
  declaredBytes?: number | null;
  /** The host made a blank disk rather than a copy (a simulated host). */
  simulated: boolean;
}

/**
 * A compute host uploads a snapshot's bits (Nova's compute pushing the image to Glance): only for
 * an image that an instance's snapshot task on that very host is filling, else NotFound (which
 * says nothing of whether the image exists). The instance's task moves to image_uploading, and
 * the bits take the path every upload takes (`storeImageData`: checksums, size, the project's
 * image quotas, `saving` ─▶ `active`, or `killed`).
 */
export async function uploadSnapshotData({ ctx, input }: { ctx: CoreContext; input: SnapshotUploadInput }) {
  if (!z.uuid().safeParse(input.imageId).success) throw NimbusError.notFound("Image", input.imageId);
  const t = schema.instanceTasks;
  const [target] = await ctx.db
    .select({ instanceId: t.instanceId, commandId: t.commandId, projectId: schema.instances.projectId })
    .from(t)
    .innerJoin(schema.computeHosts, eq(schema.computeHosts.id, t.hostId))
    .innerJoin(schema.instances, eq(schema.instances.id, t.instanceId))
    .where(and(eq(t.operation, "snapshot"), sql`${t.params}->>'imageId' = ${input.imageId}::text`, eq(schema.computeHosts.hostname, input.hostname)));
  if (!target) throw NimbusError.notFound("Image", input.imageId);

  const out = new Announcements();
  await ctx.db.transaction(async (tx) => {
    const instance = await lockInstance(tx, target.instanceId);
    const task = await currentTask(tx, target.instanceId);
    if (!instance || task?.commandId !== target.commandId) throw NimbusError.notFound("Image", input.imageId);
    const taskState = instance.taskState as TaskState | null;
    if (taskState === "image_snapshot" || taskState === "image_pending_upload") await setTaskState(tx, out, instance, "image_uploading");
  });
  out.flush(ctx.publisher);

  return storeImageData(ctx, {
    imageId: input.imageId,
    body: input.body,
    maxBytes: input.maxBytes,
    declaredBytes: input.declaredBytes ?? null,
    projectId: target.projectId,
    actorName: `host:${input.hostname}`,
    ...(input.simulated ? { properties: { [SIMULATED_SNAPSHOT_PROPERTY]: "true" } } : {}),
    whyNot: async () => {
      const [image] = await ctx.db
        .select({ name: schema.images.name, status: schema.images.status })
        .from(schema.images)
        .where(eq(schema.images.id, input.imageId));
      if (!image) return NimbusError.notFound("Image", input.imageId);
      return NimbusError.conflict(`Image ${image.name} is ${image.status}: a snapshot's bits go to a queued image only.`);
    },
  });
}
