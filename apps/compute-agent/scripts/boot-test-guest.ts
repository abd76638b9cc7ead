/**
 * Boots the Nimbus test guest (scripts/test-image/build.sh) on a real hypervisor through the
 * agent's own driver, with its images served by a stand-in server, and prints how long each
 * step took until the guest's `NIMBUS-GUEST booted` marker. Removes the domain, its files and
 * the network it made afterwards.
 *
 *   sudo scripts/libvirt-daemons.sh && scripts/test-image/build.sh
 *   cd apps/compute-agent && npx tsx scripts/boot-test-guest.ts [--keep-cache]
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { pino } from "pino";
import type { SpawnCommand } from "@nimbus/core/protocol/agent";
import { libvirtNetworkName } from "../src/driver/host-network-xml";
import { LibvirtDriver } from "../src/driver/libvirt";
import { ImageCache } from "../src/image-cache";
import { SECRET, configDrive, imageRef, portSpec } from "../test/support/commands";
import { FakeServer } from "../test/support/fake-server";

const run = promisify(execFile);
const URI = process.env.NIMBUS_LIBVIRT_URI ?? "qemu:///system";
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const imageDir = process.env.NIMBUS_TEST_IMAGE_DIR ?? path.join(repoRoot, ".data/test-image");
const BOOT_TIMEOUT_MS = 120_000;
const MARKER = "NIMBUS-GUEST booted";
const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGmJ3vNqB0Vqk4+ZbQ7pXc8yJb2fX9bJ5Ck1zj3TcSx4 boot-test@nimbus";

const log = pino({ level: process.env.LOG_LEVEL ?? "warn" });

async function main(): Promise<void> {
  const [disk, kernel, ramdisk] = await Promise.all(["disk.qcow2", "vmlinuz", "initrd.img"].map((f) => readFile(path.join(imageDir, f))));
  const server = await FakeServer.listen();
  const diskRef = imageRef(disk!, { name: "nimbus-test-disk", diskFormat: "qcow2" });
  const kernelRef = imageRef(kernel!, { name: "nimbus-test-kernel", diskFormat: "aki" });
  const ramdiskRef = imageRef(ramdisk!, { name: "nimbus-test-ramdisk", diskFormat: "ari" });
  for (const [ref, bytes] of [
    [diskRef, disk],
    [kernelRef, kernel],
    [ramdiskRef, ramdisk],
  ] as const)
    server.images.set(ref.id, bytes!);

  const stateDir = await mkdtemp(path.join(os.tmpdir(), "nimbus-boot-"));
  const driver = await LibvirtDriver.open({ uri: URI, stateDir, vif: { kind: "user" }, simulated: false, log });
  const images = new ImageCache({
    dir: path.join(stateDir, "_base"),
    serverUrls: [server.url],
    hostname: "boot-test",
    auth: async () => ({ secret: SECRET }),
    log,
  });

  const id = randomUUID();
  const networkId = randomUUID();
  const port = portSpec({
    networkId,
    networkName: "boot-test",
    ipAddress: "10.251.0.10",
    cidr: "10.251.0.0/24",
    gatewayIp: "10.251.0.1",
    dnsNameservers: [],
  });
  const command: SpawnCommand = {
    commandId: randomUUID(),
    instance: { id, name: "boot-test", hostname: "boot-test", vcpus: 1, memoryMb: 256, rootGb: 1 },
    image: diskRef,
    kernel: kernelRef,
    ramdisk: ramdiskRef,
    kernelCommandLine: "console=ttyS0",
    ports: [port],
    volumes: [],
    configDrive: { ...configDrive(id, { hostname: "boot-test", name: "boot-test", public_keys: { "boot-key": PUBLIC_KEY } }) },
  };

  const started = performance.now();
  const laps: [string, number][] = [];
  const lap = (name: string) => laps.push([name, (performance.now() - started) / 1000]);
  try {
    const nics = await driver.plugNetwork(command);
    lap("networking");
    const blockDevices = await driver.prepareBlockDevices(command, { images, onDownload: () => undefined });
    lap("block_device_mapping");
    await driver.spawn(command, { nics, blockDevices });
    lap("spawning (domain running)");
    const consoleLog = blockDevices.consoleLog!;
    const output = await waitForMarker(consoleLog);
    lap("guest booted");
    console.log(
      output
        .split("\n")
        .filter((line) => line.startsWith("NIMBUS-GUEST") || line.startsWith("nimbus-init"))
        .join("\n"),
    );
    console.log(`\nboot of ${id} on ${URI}:`);
    for (const [name, at] of laps) console.log(`  ${name.padEnd(28)} ${at.toFixed(2)} s`);
  } finally {
    await driver.abortSpawn(command).catch((error: unknown) => console.error("cleanup failed:", error));
    await removeNetwork(libvirtNetworkName(networkId));
    await driver.close();
    await server.close();
    if (!process.argv.includes("--keep-cache")) await rm(stateDir, { recursive: true, force: true });
  }
}

async function waitForMarker(file: string): Promise<string> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  for (;;) {
    const text = await readFile(file, "utf8").catch(() => "");
    if (text.includes(MARKER)) return text;
    if (Date.now() > deadline) throw new Error(`no "${MARKER}" in ${file} after ${BOOT_TIMEOUT_MS / 1000} s:\n${text.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The network HostNetworks defined for the run's port (networks outlive ports, so it stays otherwise). */
async function removeNetwork(name: string): Promise<void> {
  const { stdout } = await run("virsh", ["-c", URI, "net-list", "--all", "--name"]);
  if (!stdout.split("\n").includes(name)) return;
  await run("virsh", ["-c", URI, "net-destroy", name]).catch(() => undefined);
  await run("virsh", ["-c", URI, "net-undefine", name]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
