/** Volume input schemas, shared by the API and the console's forms (pure: safe in the browser). */
import { z } from "zod";
import { MAX_VOLUME_GB, text } from "../validation";

/** The smallest volume an image fits in: its min_disk or its virtual size, in whole GB (at least 1). */
export function minimumVolumeGb(image: { minDiskGb: number; virtualSizeBytes: number | null }): number {
  return Math.max(1, image.minDiskGb, Math.ceil((image.virtualSizeBytes ?? 0) / 1024 ** 3));
}

export const createVolumeInput = z.object({
  name: text("Name").trim().min(1, "Enter a volume name.").max(255, "Use at most 255 characters."),
  description: text("Description").trim().max(255, "Use at most 255 characters.").default(""),
  sizeGb: z
    .number("Enter a size in GB.")
    .int("Use a whole number of GB.")
    .min(1, "A volume holds at least 1 GB.")
    .max(MAX_VOLUME_GB, `A volume holds at most ${MAX_VOLUME_GB} GB.`),
  /** Make the volume from this image (it is then bootable); null: a blank volume. */
  imageId: z.uuid("Choose an image.").nullable().default(null),
});
export type CreateVolumeInput = z.input<typeof createVolumeInput>;
