import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { z } from "zod";

const run = promisify(execFile);

/** What `qemu-img info` says about a file, reduced to what Glance records. */
export interface ImageInspection {
  /** qcow2 or raw: the only disk formats Nimbus boots. */
  format: "qcow2" | "raw";
  virtualSizeBytes: number;
}

const qemuImgInfo = z.object({
  format: z.string(),
  "virtual-size": z.number().int().nonnegative(),
  "backing-filename": z.string().optional(),
  "data-file": z.string().optional(),
});

/**
 * Detects an image's format with `qemu-img info` (Glance's format inspection); never trusts
 * what the uploader said. Probing is limited to raw and qcow2, and a qcow2 that points at a
 * backing or data file is refused: it could make the host read files outside the image.
 */
export async function inspectImageFile(path: string): Promise<ImageInspection> {
  let stdout: string;
  try {
    ({ stdout } = await run("qemu-img", ["info", "--output=json", path], { timeout: 30_000, maxBuffer: 1024 * 1024 }));
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim();
    throw new ImageInspectionError(`qemu-img could not read the image${detail ? `: ${detail.split("\n")[0]}` : "."}`);
  }
  const info = qemuImgInfo.parse(JSON.parse(stdout));
  if (info.format !== "qcow2" && info.format !== "raw") {
    throw new ImageInspectionError(`The image is in ${info.format} format; upload qcow2 or raw.`);
  }
  // A qcow2 with a backing or data file would read another file on the host: refused.
  if (info["backing-filename"] !== undefined || info["data-file"] !== undefined) {
    throw new ImageInspectionError("The image refers to a backing or data file outside itself; upload a self-contained image.");
  }
  return { format: info.format, virtualSizeBytes: info["virtual-size"] };
}

export class ImageInspectionError extends Error {
  override readonly name = "ImageInspectionError";
}
