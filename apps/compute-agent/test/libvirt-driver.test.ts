/** The libvirt driver against libvirt's built-in simulated hypervisor (`test:///default`). */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Hypervisor } from "@unraid/libvirt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SpawnCommand } from "@nimbus/core/protocol";
import { LibvirtDriver } from "../src/driver/libvirt";

const URI = "test:///default";

function spawnCommand(name = "web & <db>"): SpawnCommand {
  return {
    commandId: randomUUID(),
    instance: { id: randomUUID(), name, vcpus: 1, memoryMb: 256, rootGb: 0 },
    image: null,
    network: { id: randomUUID(), name: "private", macAddress: "fa:16:3e:00:00:01", fixedIp: null },
  };
}

async function spawn(driver: LibvirtDriver, command: SpawnCommand): Promise<void> {
  const nic = driver.planNetwork(command);
  const { instanceDir } = await driver.prepareBlockDevices(command);
  await driver.spawn(command, { nic, instanceDir });
}

describe("LibvirtDriver on the libvirt test driver", () => {
  let stateDir: string;
  let driver: LibvirtDriver;
  // A second connection: the test driver's state is shared within the process.
  let libvirt: Hypervisor;

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), "nimbus-agent-"));
    driver = await LibvirtDriver.open({ uri: URI, stateDir, vif: { kind: "user" } });
    libvirt = new Hypervisor({ uri: URI });
    await libvirt.connectOpen();
  });

  afterAll(async () => {
    await driver.close();
    await libvirt.connectClose();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function domainsWithUuid(uuid: string): Promise<number> {
    const uuids = await Promise.all((await libvirt.connectListAllDomains()).map((d) => d.getUUIDString()));
    return uuids.filter((u) => u === uuid).length;
  }

  it("reports the node's inventory", async () => {
    const node = await driver.nodeInfo();
    expect(node).toMatchObject({ hypervisorType: "test", uri: URI });
    expect(node.vcpus).toBeGreaterThan(0);
    expect(node.memoryMb).toBeGreaterThan(0);
  });

  it("spawns a running domain once, however often the command repeats, and destroys it", async () => {
    const command = spawnCommand();
    const id = command.instance.id;

    await spawn(driver, command);
    expect(await driver.powerState(id)).toBe("running");
    expect(await driver.listDomainUuids()).toContain(id);
    const domain = await libvirt.domainLookupByUUIDString(id);
    const xml = await domain.getXMLDesc();
    expect(xml).toContain("<nimbus:name>web &amp; &lt;db&gt;</nimbus:name>");
    expect(xml).toContain("<memory unit='KiB'>262144</memory>");
    expect(xml).toContain("fa:16:3e:00:00:01");

    await spawn(driver, command);
    expect(await domainsWithUuid(id)).toBe(1);
    expect(await driver.powerState(id)).toBe("running");

    await driver.destroy(id);
    expect(await domainsWithUuid(id)).toBe(0);
    expect(await driver.powerState(id)).toBe("nostate");
    expect(await driver.listDomainUuids()).not.toContain(id);
    expect(existsSync(path.join(stateDir, "instances", id))).toBe(false);

    await expect(driver.destroy(id)).resolves.toBeUndefined();
  });

  it("leaves nothing behind when a spawn fails", async () => {
    const command = spawnCommand();
    const id = command.instance.id;
    // Another domain already holds the name this instance's domain needs.
    const squatter = await libvirt.domainDefineXML(
      `<domain type='test'><name>nimbus-${id}</name><uuid>${randomUUID()}</uuid><memory unit='KiB'>1024</memory><os><type>hvm</type></os></domain>`,
    );
    try {
      await expect(spawn(driver, command)).rejects.toThrow(/already exists/);
      expect(await domainsWithUuid(id)).toBe(0);
      expect(existsSync(path.join(stateDir, "instances", id))).toBe(false);
    } finally {
      await squatter.undefine();
    }
  });

  it("lists only the domains it manages", async () => {
    // test:///default ships a domain named "test"; it is not an instance.
    const builtIn = await (await libvirt.domainLookupByName("test")).getUUIDString();
    expect(await driver.listDomainUuids()).not.toContain(builtIn);
  });
});
