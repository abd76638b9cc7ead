import { stat } from "node:fs/promises";
import type { z } from "zod";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { getImageRow, imageIdInput } from "./images";
import { imageFilePath } from "./import";

/**
 * Glance's image data download for a user (`openstack image save`): the bits of an image the
 * project sees, from the store. An image without bits yet (queued, saving, killed) has none:
 * `path` is null and the caller answers with no content, as Glance does.
 */
export async function imageData({ ctx, input }: { ctx: CoreContext; input: z.input<typeof imageIdInput> }) {
  const principal = authorize(ctx.principal, "http:image-data");
  const { id } = parseInput(imageIdInput, input);
  const image = await getImageRow(ctx.db, principal, id);
  if (image.status !== "active") return { image, path: null, sizeBytes: 0 };
  const path = imageFilePath(ctx.imageStoreDir, image.id);
  const found = await stat(path).catch(() => null);
  // Deleted between the read and the stat (its bits leave the store after the row changes).
  if (!found) throw NimbusError.notFound("Image", id);
  return { image, path, sizeBytes: found.size };
}
