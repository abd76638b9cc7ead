/**
 * The image side of a snapshot (Nova's createImage), shared by every way its task ends:
 *
 *   task_done    ─▶ `finishSnapshot`: the image is active (its bits arrived over HTTP, see
 *                   ./snapshot-upload) ─▶ the instance as it was; an image without its bits is a failure
 *   any failure  ─▶ `discardSnapshotImage` (from failTask, interruptTask: a failed report, the
 *                   sweeper's timeout or host down, a delete that won): an image that is not
 *                   active goes (`deleted`), as Nova's delete_image_on_error
 *
 * Apart from ./task so that ./task (which calls these on a failure) and the verb
 * (./snapshot-instance, which calls ./task) do not import each other.
 */
import { schema, type Executor } from "@nimbus/db";
import { and, eq, inArray } from "@nimbus/db/orm";
import type { InstanceRow, InstanceTaskRow } from "@nimbus/db/schema";
import { z } from "zod";
import { audit } from "../../audit/record";
import { vmStateForPower, type PowerState, type VmState } from "../../instance/state-machine";
import type { Announcements } from "../announce";
import { endTask, type TaskEnd } from "./task-end";

/** What a snapshot's task carries (its params, as sent to the host). */
export const snapshotParamsSchema = z.object({ imageId: z.uuid(), imageName: z.string() });

/** The image a task snapshots into, or null for any other task. */
export function snapshotImageOf(task: Pick<InstanceTaskRow, "operation" | "params">): string | null {
  if (task.operation !== "snapshot") return null;
  const parsed = snapshotParamsSchema.safeParse(task.params);
  return parsed.success ? parsed.data.imageId : null;
}

/**
 * A failed or interrupted snapshot's image goes unless it is whole (active: its bits all
 * arrived, checksummed): it is `deleted` and its reserved bytes given back. It has no file in
 * the store (only an active image has); an upload still running finds it gone, stops and
 * removes its partial file itself. Audited with the reason.
 */
export async function discardSnapshotImage(tx: Executor, task: InstanceTaskRow, reason: string): Promise<void> {
  const imageId = snapshotImageOf(task);
  if (!imageId) return;
  const gone = await tx
    .update(schema.images)
    .set({ status: "deleted", stagedBytes: 0, updatedAt: new Date() })
    .where(and(eq(schema.images.id, imageId), inArray(schema.images.status, ["queued", "saving", "killed"])))
    .returning({ id: schema.images.id, name: schema.images.name, projectId: schema.images.ownerProjectId });
  for (const image of gone) {
    await audit({ principal: null, remoteAddress: null }, tx, {
      action: "image.delete",
      outcome: "success",
      targetType: "image",
      targetId: image.id,
      projectId: image.projectId,
      actorName: "nimbus",
      details: { name: image.name, reason: `The snapshot did not finish: ${reason}` },
    });
  }
}

/**
 * The host says the snapshot is done: with its image active the instance is as it was (its
 * guest back in its power state); an image that never became active (its upload was refused,
 * say, and the host's word is wrong) ends the task as a failure, the image discarded.
 */
export async function finishSnapshot(
  tx: Executor,
  out: Announcements,
  instance: InstanceRow,
  task: InstanceTaskRow,
  report: { powerState: PowerState; at: string },
): Promise<InstanceRow> {
  const imageId = snapshotImageOf(task);
  const [image] = imageId
    ? await tx.select({ status: schema.images.status, name: schema.images.name }).from(schema.images).where(eq(schema.images.id, imageId))
    : [];
  const vmState = vmStateForPower(report.powerState) ?? (task.previousVmState as VmState);
  const end: TaskEnd = { vmState, powerState: report.powerState, reportedAt: report.at };
  if (image?.status === "active") return endTask(tx, out, instance, task, end);
  const message = `The snapshot of instance ${instance.name} did not reach the image service: image ${image?.name ?? imageId ?? "(none)"} is ${image?.status ?? "missing"}.`;
  await discardSnapshotImage(tx, task, message);
  return endTask(tx, out, instance, task, { ...end, fault: { code: "SnapshotFailed", message } });
}
