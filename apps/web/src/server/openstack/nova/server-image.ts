import { z } from "zod";
import { snapshotInstance } from "@nimbus/core/compute";
import { atLeast, type OsCall, type OsReply } from "../service";
import { parseWire } from "../wire";

/** Nova's createImage body (its `create_image` schema): a name, and metadata of text values. */
const createImageBody = z
  .object({
    name: z.string().min(1).max(255),
    metadata: z.record(z.string().min(1).max(255), z.string().max(255)).optional(),
  })
  .strict();

/**
 * POST /servers/{id}/action `createImage` (`openstack server image create`): core's snapshot,
 * answered 202 at once with the new image's Glance URL in `Location` (2.1 has no body; from
 * 2.45 the body names `image_id` and there is no Location, as Nova answers).
 */
export async function createImageAction(call: OsCall, instanceId: string, args: unknown): Promise<OsReply> {
  const { name, metadata } = parseWire(z.object({ createImage: createImageBody }), { createImage: args }, "createImage").createImage;
  const started = await snapshotInstance({ ctx: call.ctx, input: { instanceId, name, metadata: metadata ?? {} } });
  if (atLeast(call, "2.45")) return { status: 202, body: { image_id: started.imageId } };
  return { status: 202, headers: { location: `${call.baseUrl}/image/v2/images/${started.imageId}` } };
}
