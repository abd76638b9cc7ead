/** Real disk images and the host tools tests inspect them with (qemu-img, isoinfo). */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { z } from "zod";

const run = promisify(execFile);

/** The bytes of a blank qcow2 image of `sizeMb` virtual megabytes. */
export async function qcow2Bytes(sizeMb: number): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "nimbus-image-"));
  try {
    const file = path.join(dir, "image.qcow2");
    await run("qemu-img", ["create", "-q", "-f", "qcow2", file, `${sizeMb}M`]);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const imageInfoSchema = z.object({
  format: z.string(),
  "virtual-size": z.number(),
  "backing-filename": z.string().optional(),
  "backing-filename-format": z.string().optional(),
});

export async function qemuImgInfo(file: string): Promise<z.infer<typeof imageInfoSchema>> {
  const { stdout } = await run("qemu-img", ["info", "--output=json", "-U", file]);
  return imageInfoSchema.parse(JSON.parse(stdout));
}

/** The paths of the files and directories in an ISO (Rock Ridge names). */
export async function isoFiles(iso: string): Promise<string[]> {
  const { stdout } = await run("isoinfo", ["-i", iso, "-R", "-f"]);
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .sort();
}

export async function isoFile(iso: string, file: string): Promise<string> {
  const { stdout } = await run("isoinfo", ["-i", iso, "-R", "-x", file]);
  return stdout;
}

export async function isoVolumeId(iso: string): Promise<string> {
  const { stdout } = await run("isoinfo", ["-i", iso, "-d"]);
  return /^Volume id: (.*)$/m.exec(stdout)?.[1]?.trim() ?? "";
}

export const GIB = 1024 ** 3;
