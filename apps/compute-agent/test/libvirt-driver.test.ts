/**
 * The libvirt driver against libvirt's built-in simulated hypervisor (`test:///default`), with
 * real files: images fetched from a server, qcow2 overlays and volumes made with qemu-img, and
 * the config drive built with genisoimage. The test driver itself never opens the files.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Hypervisor } from "@unraid/libvirt";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DestroyCommand, SpawnCommand } from "@nimbus/core/protocol/agent";
import { LibvirtDriver } from "../src/driver/libvirt";
import type { BlockDevices } from "../src/driver/types";
import { ImageCache } from "../src/image-cache";
import { SECRET, configDrive, imageRef, spawnCommand, volumeSpec } from "./support/commands";
import { FakeServer } from "./support/fake-server";
import { GIB, isoFile, isoFiles, isoVolumeId, qcow2Bytes, qemuImgInfo } from "./support/images";

const URI = "test:///default";
const log = pino({ level: "silent" });

function destroyCommand(command: SpawnCommand, deleteVolumes: boolean): DestroyCommand {
  return {
    commandId: randomUUID(),
    instanceId: command.instance.id,
    volumes: command.volumes.map((v) => ({ id: v.id, delete: deleteVolumes })),
    ports: command.ports.map(({ id, networkId, macAddress, ipAddress }) => ({ id, networkId, macAddress, ipAddress })),
  };
}

describe("LibvirtDriver on the libvirt test driver", () => {
  let stateDir: string;
  let driver: LibvirtDriver;
  let server: FakeServer;
  let images: ImageCache;
  // A second connection: the test driver's state is shared within the process.
  let libvirt: Hypervisor;
  /** A blank 64 MiB qcow2, as the test image's disk. */
  let diskBytes: Buffer;

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), "nimbus-agent-"));
    driver = await LibvirtDriver.open({ uri: URI, stateDir, vif: { kind: "user" }, simulated: false, log });
    server = await FakeServer.listen();
    images = new ImageCache({
      dir: path.join(stateDir, "_base"),
      serverUrls: [server.url],
      hostname: "compute-1",
      auth: async () => ({ secret: SECRET }),
      log,
    });
    libvirt = new Hypervisor({ uri: URI });
    await libvirt.connectOpen();
    diskBytes = await qcow2Bytes(64);
  });

  afterAll(async () => {
    await driver.close();
    await libvirt.connectClose();
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  /** The three steps as the compute manager runs them, undone on failure as it undoes them. */
  async function spawn(command: SpawnCommand, on: LibvirtDriver = driver): Promise<BlockDevices> {
    try {
      const nics = await on.plugNetwork(command);
      const blockDevices = await on.prepareBlockDevices(command, { images, onDownload: () => undefined });
      await on.spawn(command, { nics, blockDevices });
      return blockDevices;
    } catch (error) {
      await on.abortSpawn(command);
      throw error;
    }
  }

  function served(bytes: Buffer = diskBytes, overrides: Parameters<typeof imageRef>[1] = {}) {
    const image = imageRef(bytes, overrides);
    server.images.set(image.id, bytes);
    return image;
  }

  async function domainsWithUuid(uuid: string): Promise<number> {
    const uuids = await Promise.all((await libvirt.connectListAllDomains()).map((d) => d.getUUIDString()));
    return uuids.filter((u) => u === uuid).length;
  }

  const instanceDir = (id: string) => path.join(stateDir, "instances", id);
  const volumeFile = (id: string) => path.join(stateDir, "volumes", `${id}.qcow2`);

  it("reports the node's inventory", async () => {
    const node = await driver.nodeInfo();
    expect(node).toMatchObject({ hypervisorType: "test", uri: URI });
    expect(node.vcpus).toBeGreaterThan(0);
    expect(node.memoryMb).toBeGreaterThan(0);
  });

  it("spawns a running domain once, however often the command repeats, and destroys it", async () => {
    const command = spawnCommand(randomUUID());
    command.instance.name = "web & <db>";
    const id = command.instance.id;

    await spawn(command);
    expect(await driver.powerState(id)).toBe("running");
    expect(await driver.listDomainUuids()).toContain(id);
    const xml = await (await libvirt.domainLookupByUUIDString(id)).getXMLDesc();
    expect(xml).toContain("<nimbus:name>web &amp; &lt;db&gt;</nimbus:name>");
    expect(xml).toContain("<memory unit='KiB'>262144</memory>");
    expect(xml).toContain("fa:16:3e:00:00:02");

    await spawn(command);
    expect(await domainsWithUuid(id)).toBe(1);
    expect(await driver.powerState(id)).toBe("running");

    await driver.destroy(destroyCommand(command, true));
    expect(await domainsWithUuid(id)).toBe(0);
    expect(await driver.powerState(id)).toBe("nostate");
    expect(await driver.listDomainUuids()).not.toContain(id);
    expect(existsSync(instanceDir(id))).toBe(false);

    await expect(driver.destroy(destroyCommand(command, true))).resolves.toBeUndefined();
  });

  it("gives the test driver's guests no screen: no VNC display in their domain, and a plain refusal when one is asked for", async () => {
    const command = spawnCommand(randomUUID());
    await spawn(command);
    const xml = await (await libvirt.domainLookupByUUIDString(command.instance.id)).getXMLDesc();
    expect(xml).not.toContain("<graphics");
    await expect(driver.vncPort(command.instance.id)).rejects.toThrow("this host is simulated (libvirt's test driver): its guests have no screen");
    await driver.destroy(destroyCommand(command, true));
  });

  it("builds the root overlay on the cached image, the volumes and the config drive, and the domain uses them", async () => {
    const image = served();
    const volumeImage = served(await qcow2Bytes(32), { name: "data" });
    const id = randomUUID();
    const blank = volumeSpec({ device: "vdb", sizeGb: 2 });
    const fromImage = volumeSpec({ device: "vdc", sizeGb: 1, image: volumeImage });
    const userData = "#cloud-config\nhostname: ignored\n";
    const command = spawnCommand(id, {
      image,
      volumes: [fromImage, blank],
      configDrive: configDrive(id, { hostname: "web-1" }, Buffer.from(userData).toString("base64")),
    });
    command.instance.rootGb = 1;

    const devices = await spawn(command);
    const dir = instanceDir(id);
    const base = path.join(stateDir, "_base", image.id);

    // Root disk: a qcow2 overlay on the cached base, grown to the flavor's root disk.
    const overlay = await qemuImgInfo(path.join(dir, "disk"));
    expect(overlay).toMatchObject({ format: "qcow2", "virtual-size": GIB, "backing-filename": base, "backing-filename-format": "qcow2" });
    expect((await stat(base)).mode & 0o777).toBe(0o644);

    // Volumes: blank, and a full copy of their image grown to their size.
    expect(await qemuImgInfo(volumeFile(blank.id))).toMatchObject({ format: "qcow2", "virtual-size": 2 * GIB });
    const copied = await qemuImgInfo(volumeFile(fromImage.id));
    expect(copied).toMatchObject({ format: "qcow2", "virtual-size": GIB });
    expect(copied["backing-filename"]).toBeUndefined();

    // Config drive: OpenStack's layout on an ISO labelled config-2.
    const iso = path.join(dir, "disk.config");
    expect(await isoVolumeId(iso)).toBe("config-2");
    expect(await isoFiles(iso)).toEqual([
      "/openstack",
      "/openstack/latest",
      "/openstack/latest/meta_data.json",
      "/openstack/latest/network_data.json",
      "/openstack/latest/user_data",
      "/openstack/latest/vendor_data.json",
    ]);
    const metaData: unknown = JSON.parse(await isoFile(iso, "/openstack/latest/meta_data.json"));
    expect(metaData).toMatchObject({ uuid: id, hostname: "web-1", public_keys: { mykey: expect.stringMatching(/^ssh-ed25519 AAAA/) } });
    expect(await isoFile(iso, "/openstack/latest/user_data")).toBe(userData);
    expect(JSON.parse(await isoFile(iso, "/openstack/latest/vendor_data.json"))).toEqual({});
    expect((await readdir(dir)).sort()).toEqual(["disk", "disk.config", "images.json"]);
    // What the instance takes from the image cache, for pruning: its image and the one its new volume is copied from.
    expect(await driver.imagesInUse()).toEqual(new Set([command.image!.id, fromImage.image!.id]));

    expect(devices.disks.map((d) => [d.device, d.file])).toEqual([
      ["vda", path.join(dir, "disk")],
      ["vdb", volumeFile(blank.id)],
      ["vdc", volumeFile(fromImage.id)],
    ]);
    const xml = await (await libvirt.domainLookupByUUIDString(id)).getXMLDesc();
    expect(xml).toContain(`<source file='${path.join(dir, "disk")}'/>`);
    expect(xml).toContain(`<source file='${volumeFile(blank.id)}'/>`);
    expect(xml).toContain(`<source file='${iso}'/>`);
    expect(xml).toContain(`<source path='${path.join(dir, "console.log")}' append='on'/>`);

    // A redelivered build keeps the guest's disk and volumes.
    const before = (await stat(path.join(dir, "disk"))).ino;
    await spawn(command);
    expect((await stat(path.join(dir, "disk"))).ino).toBe(before);

    // Destroy: the domain, the instance directory and the volumes flagged delete go.
    await driver.destroy({
      ...destroyCommand(command, false),
      volumes: [
        { id: blank.id, delete: true },
        { id: fromImage.id, delete: false },
      ],
    });
    expect(await domainsWithUuid(id)).toBe(0);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(volumeFile(blank.id))).toBe(false);
    expect(existsSync(volumeFile(fromImage.id))).toBe(true);
    // The cache keeps the base for the next instance.
    expect(existsSync(base)).toBe(true);

    await driver.deleteVolume(fromImage.id);
    expect(existsSync(volumeFile(fromImage.id))).toBe(false);
    await expect(driver.deleteVolume(fromImage.id)).resolves.toBeUndefined();
  });

  it("gives a flavor without a root disk the image's own size, and boots the kernel and ramdisk from the cache", async () => {
    const kernel = served(Buffer.from("a kernel"), { name: "vmlinuz", diskFormat: "aki" });
    const ramdisk = served(Buffer.from("a ramdisk"), { name: "initrd", diskFormat: "ari" });
    const command = spawnCommand(randomUUID(), { image: served(), kernel, ramdisk, kernelCommandLine: "console=ttyS0 quiet" });
    await spawn(command);
    const dir = instanceDir(command.instance.id);
    expect((await qemuImgInfo(path.join(dir, "disk")))["virtual-size"]).toBe(64 * 1024 * 1024);
    const xml = await (await libvirt.domainLookupByUUIDString(command.instance.id)).getXMLDesc();
    expect(xml).toContain(`<kernel>${path.join(stateDir, "_base", kernel.id)}</kernel>`);
    expect(xml).toContain(`<initrd>${path.join(stateDir, "_base", ramdisk.id)}</initrd>`);
    expect(xml).toContain("<cmdline>console=ttyS0 quiet</cmdline>");
    await driver.destroy(destroyCommand(command, true));
  });

  it("boots from a volume made from the image at vda", async () => {
    const id = randomUUID();
    const root = volumeSpec({ device: "vda", bootIndex: 0, sizeGb: 1, image: served() });
    await spawn(spawnCommand(id, { volumes: [root] }));
    expect(await qemuImgInfo(volumeFile(root.id))).toMatchObject({ format: "qcow2", "virtual-size": GIB });
    expect(existsSync(path.join(instanceDir(id), "disk"))).toBe(false);
    const xml = await (await libvirt.domainLookupByUUIDString(id)).getXMLDesc();
    expect(xml).toMatch(new RegExp(`<source file='${volumeFile(root.id)}'/>\\s*<target dev='vda' bus='virtio'/>`));
    await driver.destroy({ commandId: randomUUID(), instanceId: id, volumes: [{ id: root.id, delete: true }], ports: [] });
    expect(existsSync(volumeFile(root.id))).toBe(false);
  });

  it("leaves no instance directory and no new volume when a spawn fails, and keeps volumes it did not make", async () => {
    const id = randomUUID();
    const existing = volumeSpec({ device: "vdb" });
    const made = volumeSpec({ device: "vdc" });
    const setup = spawnCommand(randomUUID(), { volumes: [existing] });
    await spawn(setup);
    await driver.destroy({ ...destroyCommand(setup, false), volumes: [{ id: existing.id, delete: false }] });

    const command = spawnCommand(id, { image: served(), volumes: [{ ...existing, exists: true }, made], configDrive: configDrive(id) });
    // Another domain already holds the name this instance's domain needs.
    const squatter = await libvirt.domainDefineXML(
      `<domain type='test'><name>nimbus-${id}</name><uuid>${randomUUID()}</uuid><memory unit='KiB'>1024</memory><os><type>hvm</type></os></domain>`,
    );
    try {
      await expect(spawn(command)).rejects.toThrow(/already exists/);
      expect(await domainsWithUuid(id)).toBe(0);
      expect(existsSync(instanceDir(id))).toBe(false);
      expect(existsSync(volumeFile(made.id))).toBe(false);
      expect(existsSync(volumeFile(existing.id))).toBe(true);
    } finally {
      await squatter.undefine();
    }
  });

  it("refuses an image that fails its checksum and leaves nothing of it", async () => {
    const image = imageRef(diskBytes, { name: "cirros" });
    const tampered = Buffer.from(diskBytes);
    tampered[diskBytes.length - 1] = 0xff;
    server.images.set(image.id, tampered);
    const command = spawnCommand(randomUUID(), { image });
    await expect(spawn(command)).rejects.toThrow(/^Image cirros failed its checksum: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}\.$/);
    expect(existsSync(path.join(stateDir, "_base", image.id))).toBe(false);
    expect(existsSync(path.join(stateDir, "_base", `${image.id}.part`))).toBe(false);
    expect(existsSync(instanceDir(command.instance.id))).toBe(false);
    expect(await domainsWithUuid(command.instance.id)).toBe(0);
  });

  it("refuses a flavor whose root disk is smaller than the image", async () => {
    const image = served(await qcow2Bytes(2048), { name: "big" });
    const command = spawnCommand(randomUUID(), { image });
    command.instance.rootGb = 1;
    await expect(spawn(command)).rejects.toThrow("The flavor's root disk (1 GB) is smaller than image big (2 GB).");
    expect(existsSync(instanceDir(command.instance.id))).toBe(false);
  });

  it("makes no files on a simulated host", async () => {
    const simStateDir = await mkdtemp(path.join(os.tmpdir(), "nimbus-sim-driver-"));
    const simulated = await LibvirtDriver.open({ uri: URI, stateDir: simStateDir, vif: { kind: "user" }, simulated: true, log });
    try {
      const id = randomUUID();
      const image = imageRef(diskBytes);
      // Not served: a simulated host never asks for it.
      const command = spawnCommand(id, { image, volumes: [volumeSpec()], configDrive: configDrive(id) });
      const devices = await spawn(command, simulated);
      expect(devices).toEqual({ instanceDir: null, disks: [], configDrive: null, kernel: null, ramdisk: null, consoleLog: null });
      expect(await simulated.powerState(id)).toBe("running");
      expect(await readdir(simStateDir)).toEqual([]);
      await simulated.destroy(destroyCommand(command, true));
      expect(await domainsWithUuid(id)).toBe(0);
    } finally {
      await simulated.close();
      await rm(simStateDir, { recursive: true, force: true });
    }
  });

  it("lists only the domains it manages", async () => {
    // test:///default ships a domain named "test"; it is not an instance.
    const builtIn = await (await libvirt.domainLookupByName("test")).getUUIDString();
    expect(await driver.listDomainUuids()).not.toContain(builtIn);
  });
});
