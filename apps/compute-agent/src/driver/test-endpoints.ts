/**
 * TEST ONLY (NIMBUS_TEST_ENDPOINTS=<prefix>): a compute driver whose instances are veth
 * "endpoints" instead of libvirt domains, for the overlay's integration tests on hosts that are
 * network namespaces (no guest boots there in a second). Everything around the guest is the
 * real thing: the host's libvirt networks, DHCP entries, port nwfilters, member ipsets and the
 * overlay come from `HostNetworks` on the host's own libvirtd, exactly as for a qemu guest.
 * Only the guest is replaced: each instance is a network namespace `<prefix>-<8 hex of its id>`
 * holding one `eth<n>` per port (the port's MAC, its address set statically, a default route to
 * the subnet's gateway), whose host side `tap<11 hex of the port id>` is on the network's bridge
 * as a guest's tap would be. The port's nwfilter is bound to that tap with an nwfilter binding
 * (`virsh nwfilter-binding-create`, what libvirt itself makes for a domain's interface), so
 * security group rules are enforced on the endpoint by libvirt as on a guest.
 *
 * Never used outside tests: the environment refuses it without a qemu:// URI, and it says so
 * in every log line's message.
 */
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import type { DestroyCommand, LiveMigrationTarget, PortSpec, SpawnCommand } from "@nimbus/core/protocol/agent";
import { writeFileDurably } from "../durable-file";
import { isMissingFile } from "../error-message";
import { createSnapshotFile } from "./disks";
import { HostNetworks } from "./host-network";
import { bridgeName, libvirtNetworkName, parseCidr } from "./host-network-xml";
import type { Overlay } from "./overlay";
import { runTool } from "./tool";
import { NO_BLOCK_DEVICES, type BlockDevices, type ComputeDriver, type NicSpec, type NodeInventory, type PowerState, type SpawnPlan } from "./types";
import { VirshError, virshFor, withXmlFile, type Virsh } from "./virsh";

/** What an endpoint is, written when it is made (so an agent restart knows its instances). */
const endpointRecordSchema = z.object({
  instanceId: z.uuid(),
  namespace: z.string(),
  ports: z.array(z.object({ portId: z.uuid(), networkId: z.uuid(), tap: z.string() })),
  /** As a domain's: an endpoint that is not running has its links down. */
  power: z.enum(["running", "shutdown", "paused", "suspended"]).default("running"),
});
type EndpointRecord = z.infer<typeof endpointRecordSchema>;

/** The host side of a port's veth: `tap` and the first 11 hex digits of the port id, as Nova names a guest's tap. */
export function endpointTapName(portId: string): string {
  return `tap${portId.toLowerCase().replace(/-/g, "").slice(0, 11)}`;
}

/** The network namespace of an instance's endpoint. */
export function endpointNamespace(prefix: string, instanceId: string): string {
  return `${prefix}-${instanceId.toLowerCase().replace(/-/g, "").slice(0, 8)}`;
}

function ip(...args: string[]): Promise<string> {
  return runTool("ip", args, (stderr, cause) => new Error(`ip ${args.join(" ")} failed: ${stderr.trim()}`, { cause }));
}

export class TestEndpointDriver implements ComputeDriver {
  private readonly virsh: Virsh;
  private readonly networks: HostNetworks;

  private constructor(
    private readonly options: { uri: string; stateDir: string; prefix: string; log: Logger; physicalNetworks?: ReadonlyMap<string, string> },
    overlay: Overlay | null,
  ) {
    this.virsh = virshFor(options.uri);
    this.networks = new HostNetworks({
      uri: options.uri,
      log: options.log,
      overlay,
      alsoInUse: () => this.networksInUse(),
      physicalNetworks: options.physicalNetworks,
    });
  }

  static async open(options: {
    uri: string;
    stateDir: string;
    prefix: string;
    overlay: Overlay | null;
    log: Logger;
    physicalNetworks?: ReadonlyMap<string, string>;
  }): Promise<TestEndpointDriver> {
    const driver = new TestEndpointDriver(options, options.overlay);
    await mkdir(driver.recordsDir(), { recursive: true });
    // Fails here, at start, when the host's libvirtd is not there.
    await driver.virsh("uri");
    options.log.warn({ prefix: options.prefix }, "TEST ONLY: instances on this host are veth endpoints in network namespaces, not guests");
    return driver;
  }

  /** The host's networks, where routers plug their legs too. */
  hostNetworks(): HostNetworks {
    return this.networks;
  }

  async nodeInfo(): Promise<NodeInventory> {
    // Room for every seeded flavor; an endpoint uses none of it.
    return { hypervisorType: "qemu", uri: this.options.uri, cpuModel: "x86_64", vcpus: 16, memoryMb: 32_768 };
  }

  async listDomainUuids(): Promise<string[]> {
    return (await this.records()).map((r) => r.instanceId);
  }

  async plugNetwork(command: SpawnCommand): Promise<NicSpec[]> {
    const plugged = await this.networks.plug(command.ports);
    return command.ports.map((port, i) => ({
      portId: port.id,
      vif: { kind: "network", name: plugged[i]!.network },
      macAddress: port.macAddress,
      filter: plugged[i]!.filter,
    }));
  }

  async prepareBlockDevices(): Promise<BlockDevices> {
    return NO_BLOCK_DEVICES;
  }

  /** Makes the endpoint: its namespace, one veth per port on the port's bridge, the port's filter bound to it. */
  async spawn(command: SpawnCommand, plan: SpawnPlan): Promise<void> {
    const namespace = endpointNamespace(this.options.prefix, command.instance.id);
    const record: EndpointRecord = { instanceId: command.instance.id.toLowerCase(), namespace, ports: [], power: "running" };
    // Written first: a failed spawn's cleanup finds what it made.
    await writeFileDurably(this.recordFile(record.instanceId), JSON.stringify(record));
    const namespaces = await ip("netns", "list");
    if (!new RegExp(`^${namespace}(\\s|$)`, "m").test(namespaces)) await ip("netns", "add", namespace);
    await ip("-n", namespace, "link", "set", "lo", "up");
    for (const [index, port] of command.ports.entries()) {
      const tap = endpointTapName(port.id);
      record.ports.push({ portId: port.id, networkId: port.networkId, tap });
      await writeFileDurably(this.recordFile(record.instanceId), JSON.stringify(record));
      await this.makeVeth(namespace, `eth${index}`, tap, port);
      const filter = plan.nics.find((n) => n.portId === port.id)?.filter ?? null;
      if (filter) await this.bindFilter(command, tap, port.macAddress, filter);
    }
    this.options.log.info({ instanceId: command.instance.id, namespace }, "TEST ONLY: endpoint made");
  }

  async abortSpawn(command: SpawnCommand): Promise<void> {
    await this.teardown(command.instance.id, command.ports);
  }

  async destroy(command: DestroyCommand): Promise<void> {
    await this.teardown(command.instanceId, command.ports);
  }

  async discardGuest(instanceId: string): Promise<void> {
    await this.teardown(instanceId, [], { unplug: false });
  }

  async deleteVolume(): Promise<void> {}

  refreshPortFilters(ports: PortSpec[]): Promise<string[]> {
    return this.networks.refreshFilters(ports);
  }

  async replaceGroupMembers(groupId: string, cidrs: string[], version: number): Promise<void> {
    await this.networks.replaceGroupMembers(groupId, cidrs, version);
  }

  async powerState(instanceId: string): Promise<PowerState> {
    return (await this.record(instanceId))?.power ?? "nostate";
  }

  // The lifecycle operations: an endpoint that is not running has its links down.
  powerOff(instanceId: string): Promise<void> {
    return this.setPower(instanceId, "shutdown");
  }

  powerOn(instanceId: string): Promise<void> {
    return this.setPower(instanceId, "running");
  }

  async reboot(instanceId: string): Promise<void> {
    await this.setPower(instanceId, "shutdown");
    await this.setPower(instanceId, "running");
  }

  pause(instanceId: string): Promise<void> {
    return this.setPower(instanceId, "paused");
  }

  unpause(instanceId: string): Promise<void> {
    return this.setPower(instanceId, "running");
  }

  suspend(instanceId: string): Promise<void> {
    return this.setPower(instanceId, "suspended");
  }

  resume(instanceId: string): Promise<void> {
    return this.setPower(instanceId, "running");
  }

  private async setPower(instanceId: string, power: EndpointRecord["power"]): Promise<void> {
    const record = await this.record(instanceId);
    if (!record) throw new Error(`There is no endpoint of instance ${instanceId} on this host.`);
    for (const [index] of record.ports.entries()) {
      await ip("-n", record.namespace, "link", "set", "dev", `eth${index}`, power === "running" ? "up" : "down");
    }
    await writeFileDurably(this.recordFile(record.instanceId), JSON.stringify({ ...record, power }));
  }

  // Endpoints have no disk: the moves' disk steps have nothing to keep, restore or grow.
  async prepareLiveMigration(): Promise<LiveMigrationTarget> {
    throw new Error("this host's instances are test endpoints (namespaces, not guests): they cannot be live-migrated");
  }

  async liveMigrate(): Promise<void> {
    throw new Error("this host's instances are test endpoints (namespaces, not guests): they cannot be live-migrated");
  }

  async backupDisk(): Promise<void> {}
  async restoreDisk(): Promise<void> {}
  async dropDiskBackup(): Promise<void> {}
  async growDisk(): Promise<void> {}
  /** An endpoint has no disk: a blank snapshot, as a simulated host makes. */
  async snapshot(instanceId: string, imageId: string): Promise<{ file: string; simulated: boolean }> {
    if ((await this.powerState(instanceId)) === "nostate") throw new Error("The instance's endpoint is not on this host.");
    const file = path.join(this.options.stateDir, "snapshots", `${imageId}.qcow2`);
    await mkdir(path.dirname(file), { recursive: true });
    await createSnapshotFile({ disk: null, file });
    return { file, simulated: true };
  }
  async vncPort(): Promise<number> {
    throw new Error("a test endpoint is a veth pair, not a guest: it has no screen");
  }
  async close(): Promise<void> {}

  async imagesInUse(): Promise<Set<string>> {
    return new Set();
  }

  consoleLogOf(instanceId: string): string {
    return path.join(os.tmpdir(), `${endpointNamespace(this.options.prefix, instanceId)}.console.log`);
  }

  private async makeVeth(namespace: string, inside: string, tap: string, port: PortSpec): Promise<void> {
    await ip("link", "del", "dev", tap).catch(() => undefined);
    await ip("link", "add", tap, "type", "veth", "peer", "name", inside, "netns", namespace);
    await ip("link", "set", "dev", tap, "mtu", String(port.mtu), "master", bridgeName(port.networkId), "up");
    await ip("-n", namespace, "link", "set", "dev", inside, "address", port.macAddress, "mtu", String(port.mtu), "up");
    await ip("-n", namespace, "addr", "add", `${port.ipAddress}/${parseCidr(port.cidr).prefix}`, "dev", inside);
    if (port.gatewayIp) await ip("-n", namespace, "route", "replace", "default", "via", port.gatewayIp, "dev", inside);
  }

  /** What libvirt makes for a domain's `<filterref>`: the port's filter applied to the tap, for the port's MAC. */
  private async bindFilter(command: SpawnCommand, tap: string, mac: string, filter: string): Promise<void> {
    const xml = [
      `<filterbinding>`,
      `  <owner><name>endpoint-${command.instance.id.toLowerCase()}</name><uuid>${command.instance.id.toLowerCase()}</uuid></owner>`,
      `  <portdev name='${tap}'/>`,
      `  <mac address='${mac.toLowerCase()}'/>`,
      `  <filterref filter='${filter}'/>`,
      `</filterbinding>`,
    ].join("\n");
    await this.unbindFilter(tap);
    await withXmlFile(xml, (file) => this.virsh("nwfilter-binding-create", file));
  }

  private async unbindFilter(tap: string): Promise<void> {
    try {
      await this.virsh("nwfilter-binding-delete", tap);
    } catch (error) {
      if (!(error instanceof VirshError && /not found|no nwfilter binding/i.test(error.stderr))) throw error;
    }
  }

  /** Filters unbound, namespace (and its veths) gone, record removed, then the ports unplugged. */
  private async teardown(instanceId: string, ports: DestroyCommand["ports"], { unplug = true }: { unplug?: boolean } = {}): Promise<void> {
    const record = await this.record(instanceId);
    for (const port of record?.ports ?? []) await this.unbindFilter(port.tap);
    for (const port of record?.ports ?? []) await ip("link", "del", "dev", port.tap).catch(() => undefined);
    const namespace = record?.namespace ?? endpointNamespace(this.options.prefix, instanceId);
    await ip("netns", "del", namespace).catch(() => undefined);
    await rm(this.recordFile(instanceId), { force: true });
    // A rebuild (`unplug` false) keeps the ports plugged for the endpoint made again.
    if (unplug && ports.length > 0) await this.networks.unplug(ports);
    else if (unplug) await this.networks.sweepUnused();
    this.options.log.info({ instanceId, namespace }, "TEST ONLY: endpoint removed");
  }

  /** The libvirt networks endpoints are attached to (HostNetworks keeps them). */
  private async networksInUse(): Promise<Set<string>> {
    return new Set((await this.records()).flatMap((r) => r.ports.map((p) => libvirtNetworkName(p.networkId))));
  }

  private recordsDir(): string {
    return path.join(this.options.stateDir, "endpoints");
  }

  private recordFile(instanceId: string): string {
    return path.join(this.recordsDir(), `${instanceId.toLowerCase()}.json`);
  }

  private async record(instanceId: string): Promise<EndpointRecord | null> {
    try {
      return endpointRecordSchema.parse(JSON.parse(await readFile(this.recordFile(instanceId), "utf8")));
    } catch (error) {
      if (isMissingFile(error)) return null;
      throw error;
    }
  }

  private async records(): Promise<EndpointRecord[]> {
    const files = await readdir(this.recordsDir()).catch(() => []);
    const records = await Promise.all(files.filter((f) => f.endsWith(".json")).map((f) => this.record(f.slice(0, -".json".length))));
    return records.filter((r): r is EndpointRecord => r !== null);
  }
}
