/**
 * Instance disks and volumes as files, made with `qemu-img` (as Nova's libvirt driver does):
 * a qcow2 overlay on a cached base image for the root disk, and a qcow2 file per volume.
 * Every file is made beside its final name and renamed into place, so a file at a final name
 * is always whole.
 */
import { execFile } from "node:child_process";
import { rename, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { z } from "zod";
import type { ImageRef } from "@nimbus/core/protocol/agent";
import { isMissingFile } from "../error-message";

const run = promisify(execFile);

const GIB = 1024 ** 3;
const QEMU_IMG_TIMEOUT_MS = 10 * 60_000;

/** The disk formats an image can have to back a disk (Glance also has aki / ari for kernels). */
export type BaseFormat = "qcow2" | "raw";

/** `qemu-img`, with failures in plain words: a missing tool, or the first line qemu-img said. */
export async function qemuImg(args: string[]): Promise<string> {
  try {
    const { stdout } = await run("qemu-img", args, { timeout: QEMU_IMG_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    throw new Error(toolFailure("qemu-img", args[0] ?? "", "qemu-utils", error), { cause: error });
  }
}

/** The message for a failed external tool: not installed, or its first line of complaint. */
export function toolFailure(tool: string, action: string, debianPackage: string, error: unknown): string {
  if (isMissingFile(error)) {
    return `${tool} is not installed on this compute host (apt-get install ${debianPackage}).`;
  }
  const stderr = (error as { stderr?: unknown }).stderr;
  const detail = typeof stderr === "string" ? stderr.trim().split("\n")[0] : "";
  return `${tool}${action ? ` ${action}` : ""} failed: ${detail || (error instanceof Error ? error.message : String(error))}`;
}

const imageInfoSchema = z.object({ "virtual-size": z.number().int().nonnegative() });

/** The format a cached image backs a disk with, or a plain refusal for a kernel or other format. */
export function baseFormatOf(image: ImageRef): BaseFormat {
  if (image.diskFormat === "qcow2" || image.diskFormat === "raw") return image.diskFormat;
  throw new Error(`Image ${image.name} is in ${image.diskFormat} format; only qcow2 and raw images can back a disk.`);
}

/** The size the guest sees of a disk file, read with its known format (never probed). */
export async function virtualSizeOf(file: string, format: BaseFormat): Promise<number> {
  const stdout = await qemuImg(["info", "--output=json", "-f", format, file]);
  return imageInfoSchema.parse(JSON.parse(stdout))["virtual-size"];
}

function gigabytes(bytes: number): string {
  return `${(bytes / GIB).toFixed(bytes % GIB === 0 ? 0 : 2)} GB`;
}

/**
 * The instance's root disk: a qcow2 overlay backed by the cached image, grown to `rootGb`
 * (0: the image's own virtual size). A flavor disk smaller than the image is refused, as Nova
 * refuses it.
 */
export async function createOverlay({ image, base, file, rootGb }: { image: ImageRef; base: string; file: string; rootGb: number }): Promise<void> {
  const format = baseFormatOf(image);
  const virtualSize = await virtualSizeOf(base, format);
  if (rootGb > 0 && rootGb * GIB < virtualSize) {
    throw new Error(`The flavor's root disk (${rootGb} GB) is smaller than image ${image.name} (${gigabytes(virtualSize)}).`);
  }
  const size = rootGb > 0 ? [`${rootGb}G`] : [];
  await intoPlace(file, (part) => qemuImg(["create", "-q", "-f", "qcow2", "-F", format, "-b", base, part, ...size]));
}

/** A volume made from an image: a full qcow2 copy of the cached base, grown to `sizeGb`. */
export async function createVolumeFromImage({
  image,
  base,
  file,
  sizeGb,
}: {
  image: ImageRef;
  base: string;
  file: string;
  sizeGb: number;
}): Promise<void> {
  const format = baseFormatOf(image);
  const virtualSize = await virtualSizeOf(base, format);
  if (sizeGb * GIB < virtualSize) {
    throw new Error(`The volume (${sizeGb} GB) is smaller than image ${image.name} (${gigabytes(virtualSize)}).`);
  }
  await intoPlace(file, async (part) => {
    await qemuImg(["convert", "-q", "-f", format, "-O", "qcow2", base, part]);
    if (sizeGb * GIB > virtualSize) await qemuImg(["resize", "-q", "-f", "qcow2", part, `${sizeGb}G`]);
  });
}

/** A blank qcow2 volume of `sizeGb`. */
export async function createBlankVolume({ file, sizeGb }: { file: string; sizeGb: number }): Promise<void> {
  await intoPlace(file, (part) => qemuImg(["create", "-q", "-f", "qcow2", part, `${sizeGb}G`]));
}

/** Runs `make` on `<file>.part`, then renames it to `file`; removes the part file if `make` fails. */
async function intoPlace(file: string, make: (part: string) => Promise<unknown>): Promise<void> {
  const part = `${file}.part`;
  try {
    await make(part);
    await rename(part, file);
  } catch (error) {
    await rm(part, { force: true });
    throw error;
  }
}

/** The size of a simulated host's blank snapshot: small, bootable by nothing, launchable by any flavor. */
const BLANK_SNAPSHOT_SIZE = "64M";

/**
 * A snapshot's file: the root disk `disk` flattened with its backing chain into a self-contained
 * qcow2 (Nova's snapshot_extract: `qemu-img convert -O qcow2`), or, on a host with no disks, a
 * small blank qcow2.
 */
export async function createSnapshotFile({ disk, file }: { disk: string | null; file: string }): Promise<void> {
  await intoPlace(file, (part) =>
    disk ? qemuImg(["convert", "-q", "-f", "qcow2", "-O", "qcow2", disk, part]) : qemuImg(["create", "-q", "-f", "qcow2", part, BLANK_SNAPSHOT_SIZE]),
  );
}
