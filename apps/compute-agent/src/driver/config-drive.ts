/**
 * The OpenStack config drive: an ISO 9660 image labelled `config-2` holding
 * `openstack/latest/{meta_data.json, network_data.json, vendor_data.json, user_data}`, built
 * with genisoimage exactly as Nova builds it, so cloud-init images read it unchanged.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { ConfigDrive } from "@nimbus/core/protocol/agent";
import { toolFailure } from "./disks";

const run = promisify(execFile);

const GENISOIMAGE_TIMEOUT_MS = 60_000;

/** The files of the drive, by their path inside it. */
export function configDriveFiles(drive: ConfigDrive): Map<string, string | Buffer> {
  const files = new Map<string, string | Buffer>([
    ["openstack/latest/meta_data.json", JSON.stringify(drive.metaData)],
    ["openstack/latest/network_data.json", JSON.stringify(drive.networkData)],
    ["openstack/latest/vendor_data.json", "{}"],
  ]);
  if (drive.userData !== null) files.set("openstack/latest/user_data", Buffer.from(drive.userData, "base64"));
  return files;
}

/** Writes the drive's files to a directory beside `isoFile`, builds the ISO there, and removes the directory. */
export async function buildConfigDrive(drive: ConfigDrive, isoFile: string): Promise<void> {
  const staging = await mkdtemp(path.join(path.dirname(isoFile), ".config-drive-"));
  const part = `${isoFile}.part`;
  try {
    for (const [name, content] of configDriveFiles(drive)) {
      const file = path.join(staging, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
    }
    try {
      await run("genisoimage", ["-o", part, "-ldots", "-allow-lowercase", "-allow-multidot", "-l", "-quiet", "-J", "-r", "-V", "config-2", staging], {
        timeout: GENISOIMAGE_TIMEOUT_MS,
      });
    } catch (error) {
      throw new Error(`The config drive could not be built: ${toolFailure("genisoimage", "", "genisoimage", error)}`, { cause: error });
    }
    await rename(part, isoFile);
  } finally {
    await rm(part, { force: true });
    await rm(staging, { recursive: true, force: true });
  }
}
