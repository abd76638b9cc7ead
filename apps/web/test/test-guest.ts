/**
 * The bootable test guest (scripts/test-image/build.sh: a Debian cloud kernel and a busybox
 * initramfs whose init reads the config drive and prints NIMBUS-GUEST marker lines on the serial
 * console), uploaded through the image API like any image, and a compute agent on the real
 * hypervisor (qemu:///system, TCG) to boot it. Shared by the real-guest test and the boot bench.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { chmodSync, createReadStream, existsSync, mkdtempSync, statSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { repoRoot, spawnAgent, type apiClient } from "./harness";

export const TEST_IMAGE_DIR = process.env.NIMBUS_TEST_IMAGE_DIR ?? path.join(repoRoot, ".data/test-image");

/** Builds the guest if needed and starts libvirtd/virtlogd (both idempotent, as root). */
export function prepareRealHypervisor(): string {
  execFileSync("bash", [path.join(repoRoot, "scripts/libvirt-daemons.sh")], { stdio: "inherit" });
  return buildTestGuest();
}

/** Builds the guest if needed (idempotent). */
export function buildTestGuest(): string {
  execFileSync("bash", [path.join(repoRoot, "scripts/test-image/build.sh"), TEST_IMAGE_DIR], { stdio: "inherit" });
  for (const file of ["vmlinuz", "initrd.img", "disk.qcow2"]) {
    if (!existsSync(path.join(TEST_IMAGE_DIR, file))) throw new Error(`scripts/test-image/build.sh did not make ${file} in ${TEST_IMAGE_DIR}`);
  }
  return TEST_IMAGE_DIR;
}

type Api = ReturnType<typeof apiClient>;

/** PUTs a file as an image's bits, streamed, as the console does. */
export async function uploadImageFile(baseUrl: string, cookie: string, imageId: string, file: string): Promise<void> {
  const response = await fetch(`${baseUrl}/api/images/${imageId}/file`, {
    method: "PUT",
    headers: { cookie, origin: baseUrl, "content-type": "application/octet-stream", "content-length": String(statSync(file).size) },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: "half",
  } as RequestInit);
  if (!response.ok) throw new Error(`upload of ${path.basename(file)} failed: ${response.status} ${await response.text()}`);
}

/** Uploads kernel, ramdisk and disk; returns the disk image (which names the other two). */
export async function uploadTestGuest(
  baseUrl: string,
  api: Api,
  name = "test-guest",
): Promise<{ imageId: string; kernelId: string; ramdiskId: string }> {
  const cookie = api.cookie();
  if (!cookie) throw new Error("sign in first");
  const kernel = await api.client.images.create.mutate({ name: `${name}-kernel`, kind: "kernel" });
  await uploadImageFile(baseUrl, cookie, kernel.id, path.join(TEST_IMAGE_DIR, "vmlinuz"));
  const ramdisk = await api.client.images.create.mutate({ name: `${name}-initrd`, kind: "ramdisk" });
  await uploadImageFile(baseUrl, cookie, ramdisk.id, path.join(TEST_IMAGE_DIR, "initrd.img"));
  const disk = await api.client.images.create.mutate({
    name,
    kind: "disk",
    minRamMb: 128,
    kernelId: kernel.id,
    ramdiskId: ramdisk.id,
    osCommandLine: "console=ttyS0",
    architecture: "x86_64",
    osType: "linux",
  });
  await uploadImageFile(baseUrl, cookie, disk.id, path.join(TEST_IMAGE_DIR, "disk.qcow2"));
  return { imageId: disk.id, kernelId: kernel.id, ramdiskId: ramdisk.id };
}

/** A compute agent on qemu:///system; its state dir must be readable by libvirt's qemu. */
export function startQemuAgent(
  serverUrl: string,
  hostname: string,
  env: Record<string, string> = {},
): { child: ChildProcess; stateDir: string; output(): string } {
  const stateDir = mkdtempSync(path.join("/var/tmp", "nimbus-qemu-agent-"));
  chmodSync(stateDir, 0o755);
  const { child, output } = spawnAgent(serverUrl, hostname, {
    NODE_ENV: "production",
    NIMBUS_LIBVIRT_URI: "qemu:///system",
    NIMBUS_STATE_DIR: stateDir,
    ...env,
  });
  return { child, stateDir, output };
}
