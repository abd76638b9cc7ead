import type { ImageRef } from "../protocol/agent";
import { NimbusError } from "../errors";
import type { ImageRow } from "@nimbus/db/schema";

/** What an agent needs to fetch and verify an image; only an active image (with its bits) has one. */
export function imageRefOf(image: ImageRow): ImageRef {
  if (image.status !== "active" || image.sizeBytes === null || !image.checksumSha256 || !image.diskFormat) {
    throw NimbusError.badRequest(`Image ${image.name} is ${image.status}, not active.`, [{ path: "imageId", message: "This image is not active." }]);
  }
  return { id: image.id, name: image.name, diskFormat: image.diskFormat, sizeBytes: image.sizeBytes, checksumSha256: image.checksumSha256 };
}
