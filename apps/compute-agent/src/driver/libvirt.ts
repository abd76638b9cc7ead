import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { z } from "zod";
import { DomainState, Hypervisor, type Domain } from "@unraid/libvirt";
import type { DestroyCommand, ImageRef, LiveMigrationTarget, PortSpec, SpawnCommand, VolumeSpec } from "@nimbus/core/protocol/agent";
import { writeFileDurably } from "../durable-file";
import { isMissingFile, messageOf } from "../error-message";
import { buildConfigDrive } from "./config-drive";
import { createBlankVolume, createOverlay, createSnapshotFile, createVolumeFromImage, qemuImg, virtualSizeOf } from "./disks";
import { buildDomainXml, domainName, nicsFor, vncPortOf, type DomainType } from "./domain-xml";
import { HostNetworks, type HostNetworking } from "./host-network";
import type { Overlay } from "./overlay";
import { withPrivateFile } from "./tool";
import { virshFor, withXmlFile } from "./virsh";
import {
  NO_BLOCK_DEVICES,
  type BlockDeviceContext,
  type BlockDevices,
  type ComputeDriver,
  type DiskSpec,
  type NicSpec,
  type NodeInventory,
  type PowerState,
  type SpawnPlan,
  type Vif,
} from "./types";

/** In each instance directory: the ids of the cached images the instance takes (JSON). */
const IMAGES_RECORD = "images.json";
const imagesRecordSchema = z.array(z.string().min(1));
/** Beside the root disk during a resize on one host: the disk as it was, for a revert. */
const RESIZE_BACKUP = ".resize-backup";

export interface LibvirtDriverOptions {
  uri: string;
  /** Images (`_base/`), instance directories (`instances/<id>/`) and volumes (`volumes/`) live here. */
  stateDir: string;
  /** How NICs attach on the test driver; qemu hosts plug ports into their own libvirt networks. */
  vif: Vif;
  /**
   * A simulated host (Nova's fake driver on libvirt's test driver): domains only, no image
   * downloads, disks, volumes or config drives.
   */
  simulated: boolean;
  log: Logger;
  /** How long a started domain may take to report RUNNING. */
  spawnTimeoutMs?: number;
  /** The host's side of the overlay, on qemu hosts with a tunnel address (its networks' VXLAN devices). */
  overlay?: Overlay | null;
  /** Physical network → this host's interface for it (NIMBUS_PHYSNETS): vlan networks' VLAN devices go there. */
  physicalNetworks?: ReadonlyMap<string, string>;
  /** The address qemu guests' VNC displays listen on (NIMBUS_VNC_SERVER_LISTEN; host-local by default). */
  vncListen?: string;
  /**
   * Where other hosts send this host live-migrated guests (Nova's live_migration_inbound_addr):
   * its tunnel address; null: no guest can be live-migrated here.
   */
  migrationAddress?: string | null;
}

/** How long a live migration may run before the source gives up (libvirt then leaves the guest on the source). */
const LIVE_MIGRATION_TIMEOUT_MS = 30 * 60_000;

const DEFAULT_VNC_LISTEN = "127.0.0.1";
/** Domain states whose QEMU runs, and with it the guest's VNC display. */
const WITH_DISPLAY: readonly DomainState[] = [DomainState.RUNNING, DomainState.BLOCKED, DomainState.PAUSED];

/** libvirt has no events in these bindings, so a starting domain is polled (as Nova does). */
const POLL_INTERVAL_MS = 500;
const DEFAULT_SPAWN_TIMEOUT_MS = 60_000;

/** Nova's mapping of libvirt domain states to power states. */
const POWER_STATES: Record<DomainState, PowerState> = {
  [DomainState.NOSTATE]: "nostate",
  [DomainState.RUNNING]: "running",
  [DomainState.BLOCKED]: "running",
  [DomainState.PAUSED]: "paused",
  [DomainState.SHUTDOWN]: "shutdown",
  [DomainState.SHUTOFF]: "shutdown",
  [DomainState.CRASHED]: "crashed",
  [DomainState.PMSUSPENDED]: "suspended",
};

/** `test:///default` → "test", `qemu:///system` or `qemu+ssh://…` → "qemu". */
export function hypervisorTypeOf(uri: string): DomainType {
  const scheme = uri.slice(0, uri.indexOf(":")).split("+")[0];
  if (scheme === "test" || scheme === "qemu") return scheme;
  throw new Error(`Unsupported libvirt URI ${uri}: only test:// and qemu:// hypervisors are supported.`);
}

export class LibvirtDriver implements ComputeDriver {
  private constructor(
    private readonly hypervisor: Hypervisor,
    private readonly domainType: DomainType,
    private readonly options: LibvirtDriverOptions,
    /** On qemu hosts: the host's networks (DHCP entries, nwfilters); null: NICs attach as NIMBUS_VIF says. */
    private readonly networks: HostNetworking | null,
  ) {}

  static async open(options: LibvirtDriverOptions): Promise<LibvirtDriver> {
    const domainType = hypervisorTypeOf(options.uri);
    const hypervisor = new Hypervisor({ uri: options.uri });
    await hypervisor.connectOpen();
    const networks =
      domainType === "qemu"
        ? new HostNetworks({ uri: options.uri, log: options.log, overlay: options.overlay ?? null, physicalNetworks: options.physicalNetworks })
        : null;
    return new LibvirtDriver(hypervisor, domainType, options, networks);
  }

  /** The host's networks on a qemu host, where routers plug their legs too; null on libvirt's test driver. */
  hostNetworks(): HostNetworks | null {
    return this.networks instanceof HostNetworks ? this.networks : null;
  }

  async nodeInfo(): Promise<NodeInventory> {
    const info = await this.hypervisor.nodeGetInfo();
    return {
      hypervisorType: this.domainType,
      uri: this.options.uri,
      cpuModel: info.model,
      vcpus: info.cpus,
      memoryMb: Math.floor(info.memory / 1024),
    };
  }

  async listDomainUuids(): Promise<string[]> {
    const domains = await this.hypervisor.connectListAllDomains();
    const named = await Promise.all(domains.map((d) => held(d, async () => ({ name: await d.getName(), uuid: await d.getUUIDString() }))));
    return named.filter(({ name, uuid }) => name === domainName(uuid)).map(({ uuid }) => uuid);
  }

  async plugNetwork(command: SpawnCommand): Promise<NicSpec[]> {
    if (!this.networks) return nicsFor(this.options.vif, command.ports);
    // plug resolves in the order of the ports it is given (HostNetworking's contract).
    const plugged = await this.networks.plug(command.ports);
    return command.ports.map((port, i) => {
      const plug = plugged[i]!;
      return { portId: port.id, vif: { kind: "network", name: plug.network }, macAddress: port.macAddress, filter: plug.filter };
    });
  }

  /**
   * Fetches the images the instance needs into the image cache (side by side), then makes the
   * instance directory, the root overlay, the volumes not yet on this host and the config
   * drive. Files already in place from an earlier delivery of the same build are kept.
   */
  async prepareBlockDevices(command: SpawnCommand, { images, onDownload }: BlockDeviceContext): Promise<BlockDevices> {
    if (this.options.simulated) return NO_BLOCK_DEVICES;
    const instanceDir = this.instanceDir(command.instance.id);
    await mkdir(instanceDir, { recursive: true });
    // Which cached images this instance takes (new volumes' too, while they are copied), written
    // before it takes them, so that pruning the cache never removes one under it (imagesInUse).
    const taken = [command.image, command.kernel, command.ramdisk, ...command.volumes.filter((v) => !v.exists).map((v) => v.image)].flatMap(
      (image) => (image ? [image.id.toLowerCase()] : []),
    );
    await writeFileDurably(path.join(instanceDir, IMAGES_RECORD), `${JSON.stringify([...new Set(taken)])}\n`);

    const fetch = (image: ImageRef | null) =>
      image ? images.fetch(image, (bytes, total) => onDownload(image.id, bytes, total)) : Promise.resolve(null);
    const newVolumes = command.volumes.filter((v) => !v.exists);
    const [root, kernel, ramdisk, ...volumeBases] = await Promise.all([
      fetch(command.image),
      fetch(command.kernel),
      fetch(command.ramdisk),
      ...newVolumes.map((v) => fetch(v.image)),
    ]);

    const disks: DiskSpec[] = [];
    if (command.image && root) {
      const file = path.join(instanceDir, "disk");
      if (!(await isFile(file))) await createOverlay({ image: command.image, base: root, file, rootGb: command.instance.rootGb });
      disks.push({ device: "vda", file, volumeId: null });
    }
    if (command.volumes.length > 0) await mkdir(this.volumesDir(), { recursive: true });
    for (const volume of command.volumes) {
      const file = this.volumeFile(volume.id);
      const base = volumeBases[newVolumes.indexOf(volume)] ?? null;
      await this.makeVolume(volume, file, base);
      disks.push({ device: volume.device, file, volumeId: volume.id });
    }
    disks.sort((a, b) => a.device.localeCompare(b.device));

    let configDrive: string | null = null;
    if (command.configDrive) {
      configDrive = path.join(instanceDir, "disk.config");
      await buildConfigDrive(command.configDrive, configDrive);
    }
    return { instanceDir, disks, configDrive, kernel, ramdisk, consoleLog: this.consoleLogOf(command.instance.id) };
  }

  async spawn(command: SpawnCommand, plan: SpawnPlan): Promise<void> {
    const xml = buildDomainXml({
      command,
      domainType: this.domainType,
      nics: plan.nics,
      blockDevices: plan.blockDevices,
      // The test driver runs no guest, so there is no screen to give it.
      vncListen: this.domainType === "qemu" ? (this.options.vncListen ?? DEFAULT_VNC_LISTEN) : null,
    });
    const started = performance.now();
    // Defining a domain whose uuid exists updates that domain instead of adding another one.
    const domain = await this.hypervisor.domainDefineXML(xml);
    const defined = performance.now();
    await held(domain, async () => {
      if ((await domain.getInfo()).state === DomainState.SHUTOFF) await domain.create();
      await this.waitUntilRunning(domain);
    });
    const ms = (from: number, to: number) => Math.round(to - from);
    this.options.log.debug(
      { instanceId: command.instance.id, defineMs: ms(started, defined), startMs: ms(defined, performance.now()) },
      "domain running",
    );
  }

  async abortSpawn(command: SpawnCommand): Promise<void> {
    await this.teardown(
      command.instance.id,
      command.volumes.filter((v) => !v.exists).map((v) => v.id),
      command.ports,
    );
  }

  async destroy(command: DestroyCommand): Promise<void> {
    await this.teardown(
      command.instanceId,
      command.volumes.filter((v) => v.delete).map((v) => v.id),
      command.ports,
    );
  }

  async discardGuest(instanceId: string): Promise<void> {
    // The domain first, as in teardown; no volume of the instance is removed, no port unplugged.
    await this.removeDomain(instanceId);
    await this.removeFiles(instanceId, []);
  }

  async deleteVolume(volumeId: string): Promise<void> {
    if (this.options.simulated) return;
    await rm(this.volumeFile(volumeId), { force: true });
  }

  async refreshPortFilters(ports: PortSpec[]): Promise<string[]> {
    return this.networks ? this.networks.refreshFilters(ports) : [];
  }

  async replaceGroupMembers(groupId: string, cidrs: string[], version: number): Promise<void> {
    await this.networks?.replaceGroupMembers(groupId, cidrs, version);
  }

  async powerState(instanceId: string): Promise<PowerState> {
    const domain = await this.findDomain(instanceId);
    if (!domain) return "nostate";
    const { state } = await held(domain, () => domain.getInfo());
    if (state === DomainState.SHUTOFF && (await isFile(this.savedMemoryOf(instanceId)))) return "suspended";
    return POWER_STATES[state];
  }

  /**
   * Nova's power_off with a clean shutdown: the guest is asked (ACPI) and given
   * `shutdownTimeoutMs` to power itself off, then the domain is destroyed (the virtual power
   * cord); a guest already off is left so.
   */
  async powerOff(instanceId: string, { shutdownTimeoutMs }: { shutdownTimeoutMs: number }): Promise<void> {
    await this.onDomain(instanceId, async (domain) => {
      if ((await domain.getInfo()).state === DomainState.SHUTOFF) return;
      if (await this.shutDownGracefully(domain, shutdownTimeoutMs)) return;
      await domain.destroy();
    });
  }

  /** Starts a stopped domain and waits until it runs (a stale saved memory image is dropped first: start is a cold boot). */
  async powerOn(instanceId: string): Promise<void> {
    await this.onDomain(instanceId, async (domain) => {
      if ((await domain.getInfo()).state === DomainState.SHUTOFF) {
        await rm(this.savedMemoryOf(instanceId), { force: true });
        await domain.create();
      }
      await this.waitUntilRunning(domain);
    });
  }

  /**
   * Nova's libvirt reboot. Soft: shutdown and create, so a guest that answered has really
   * rebooted; one that did not power off within `shutdownTimeoutMs` is power-cycled (Nova falls
   * back to a hard reboot too). Hard: destroy (whatever the state: running, paused, or stopped
   * with saved memory, which is dropped) and create.
   */
  async reboot(instanceId: string, { hard, shutdownTimeoutMs }: { hard: boolean; shutdownTimeoutMs: number }): Promise<void> {
    await this.onDomain(instanceId, async (domain) => {
      const { state } = await domain.getInfo();
      const off = state === DomainState.SHUTOFF || (!hard && (await this.shutDownGracefully(domain, shutdownTimeoutMs)));
      if (!off) await domain.destroy();
      await rm(this.savedMemoryOf(instanceId), { force: true });
      await domain.create();
      await this.waitUntilRunning(domain);
    });
  }

  /** Stops the guest's vCPUs (libvirt's virDomainSuspend); its memory stays in RAM. */
  async pause(instanceId: string): Promise<void> {
    await this.onDomain(instanceId, async (domain) => {
      if ((await domain.getInfo()).state !== DomainState.PAUSED) await domain.suspend();
    });
  }

  async unpause(instanceId: string): Promise<void> {
    await this.onDomain(instanceId, async (domain) => {
      if ((await domain.getInfo()).state === DomainState.PAUSED) await domain.resume();
    });
  }

  /**
   * Nova's suspend: the guest's memory is saved to the host's disk and the domain stops. The
   * bindings have no virDomainManagedSave, and the test driver lives inside this process (virsh
   * cannot reach it), so this is libvirt's save to a file in the instance directory, which is
   * what a managed save is underneath; `resume` restores from it.
   */
  async suspend(instanceId: string): Promise<void> {
    const file = this.savedMemoryOf(instanceId);
    await mkdir(path.dirname(file), { recursive: true });
    await this.onDomain(instanceId, async (domain) => {
      const { state } = await domain.getInfo();
      if (state === DomainState.SHUTOFF && (await isFile(file))) return; // saved already (a resent command)
      await rm(file, { force: true });
      await domain.save(file);
    });
  }

  async resume(instanceId: string): Promise<void> {
    const file = this.savedMemoryOf(instanceId);
    await this.onDomain(instanceId, async (domain) => {
      if ((await domain.getInfo()).state === DomainState.SHUTOFF) {
        if (!(await isFile(file)))
          throw new Error("The instance's saved memory is missing on this host; it can only be started again with a hard reboot.");
        await this.hypervisor.domainRestore(file);
        await rm(file, { force: true });
      }
      await this.waitUntilRunning(domain);
    });
  }

  async backupDisk(instanceId: string): Promise<void> {
    const disk = this.rootDiskOf(instanceId);
    if (this.options.simulated || !(await isFile(disk))) return;
    // Kept once: a resent command must not overwrite the first backup with a grown disk.
    if (await isFile(`${disk}${RESIZE_BACKUP}`)) return;
    await copyFile(disk, `${disk}${RESIZE_BACKUP}.part`);
    await rename(`${disk}${RESIZE_BACKUP}.part`, `${disk}${RESIZE_BACKUP}`);
  }

  async restoreDisk(instanceId: string): Promise<void> {
    const disk = this.rootDiskOf(instanceId);
    if (this.options.simulated || !(await isFile(`${disk}${RESIZE_BACKUP}`))) return;
    await rename(`${disk}${RESIZE_BACKUP}`, disk);
  }

  async dropDiskBackup(instanceId: string): Promise<void> {
    if (this.options.simulated) return;
    await rm(`${this.rootDiskOf(instanceId)}${RESIZE_BACKUP}`, { force: true });
  }

  async growDisk(instanceId: string, rootGb: number): Promise<void> {
    const disk = this.rootDiskOf(instanceId);
    if (this.options.simulated || rootGb <= 0 || !(await isFile(disk))) return;
    if ((await virtualSizeOf(disk, "qcow2")) >= rootGb * 1024 ** 3) return;
    await qemuImg(["resize", "-q", "-f", "qcow2", disk, `${rootGb}G`]);
  }

  /**
   * Nova's cold snapshot (the libvirt driver's `snapshot` without live snapshots): a running or
   * paused guest's memory is saved to the instance's `memory.save` (a suspend's file, so that an
   * agent killed meanwhile leaves a guest that is truly SUSPENDED and resumes), the root disk is
   * copied while QEMU is gone, and the guest is restored and left running or paused as it was,
   * whether or not the copy worked. A stopped or suspended guest's disk is copied as it is.
   */
  async snapshot(instanceId: string, imageId: string): Promise<{ file: string; simulated: boolean }> {
    const disk = this.rootDiskOf(instanceId);
    // libvirt's test driver runs no guest: whatever disk file it has was never a guest's, and the
    // snapshot is a blank disk (Nova's fake driver), said so in the image's properties.
    const withoutGuests = this.options.simulated || this.domainType === "test";
    const real = !withoutGuests && (await isFile(disk));
    const file = path.join(this.options.stateDir, "snapshots", `${imageId}.qcow2`);
    await mkdir(path.dirname(file), { recursive: true });
    const copying = this.onDomain(instanceId, async (domain) => {
      if (!withoutGuests && !real) {
        throw new Error("The instance has no root disk file on this host (it boots from a volume): there is nothing to snapshot.");
      }
      const { state } = await domain.getInfo();
      const was = state === DomainState.PAUSED ? "paused" : state === DomainState.RUNNING || state === DomainState.BLOCKED ? "running" : "off";
      const memory = this.savedMemoryOf(instanceId);
      if (was !== "off") {
        await mkdir(path.dirname(memory), { recursive: true });
        await rm(memory, { force: true });
        await domain.save(memory);
      }
      try {
        await createSnapshotFile({ disk: real ? disk : null, file });
      } finally {
        if (was !== "off") {
          await this.hypervisor.domainRestore(memory);
          await rm(memory, { force: true });
          const after = (await domain.getInfo()).state;
          if (was === "paused" && after !== DomainState.PAUSED) await domain.suspend();
          if (was === "running") {
            if (after === DomainState.PAUSED) await domain.resume();
            await this.waitUntilRunning(domain);
          }
        }
      }
    });
    // A failure leaves no copy behind (the guest is back either way).
    await copying.catch(async (error: unknown) => {
      await rm(file, { force: true });
      throw error;
    });
    return { file, simulated: !real };
  }

  async prepareLiveMigration(
    command: SpawnCommand,
    { blockMigration, paused, nics, context }: { blockMigration: boolean; paused: boolean; nics: NicSpec[]; context: BlockDeviceContext },
  ): Promise<LiveMigrationTarget> {
    const simulated = this.options.simulated || this.domainType === "test";
    const target = { libvirtUri: inboundLibvirtUri(this.options.uri), stateDir: this.options.stateDir, simulated };
    if (simulated) {
      // Simulation (Nova's fake driver): no guest travels between test drivers, so the one that arrives is defined here.
      await this.spawn(command, { nics, blockDevices: await this.prepareBlockDevices(command, context) });
      if (paused) await this.pause(command.instance.id);
      return { ...target, migrateUri: "simulated:" };
    }
    if (!this.options.migrationAddress) {
      throw new Error("this host has no tunnel address (NIMBUS_TUNNEL_IP), so no other host can send it a guest's memory");
    }
    if (!blockMigration && command.image && !(await isFile(this.rootDiskOf(command.instance.id)))) {
      throw new Error("the instance's disk is not on this host (the hosts share no storage): live-migrate it with block migration");
    }
    // The root overlay is made empty on the cached base (NON_SHARED_INC copies the top layer into it), with the config drive.
    await this.prepareBlockDevices(command, context);
    return { ...target, migrateUri: `tcp://${this.options.migrationAddress}` };
  }

  async liveMigrate(
    instanceId: string,
    target: LiveMigrationTarget,
    { blockMigration, onProgress }: { blockMigration: boolean; onProgress: (percent: number) => void },
  ): Promise<void> {
    if (target.simulated || this.options.simulated || this.domainType === "test") {
      // Simulation: the guest leaves this host (its twin already runs on the destination).
      if (!(await this.findDomain(instanceId))) throw new Error("The instance's virtual machine is not on this host.");
      onProgress(50);
      await this.removeDomain(instanceId);
      onProgress(100);
      return;
    }
    // The bindings have no virDomainMigrateToURI3 nor virDomainGetJobInfo: virsh's migrate
    // (which calls migrateToURI3 with these flags) and domjobinfo do it.
    const virsh = virshFor(this.options.uri, { timeoutMs: LIVE_MIGRATION_TIMEOUT_MS });
    const name = domainName(instanceId);
    const toDestination = (xml: string) => rebasePaths(xml, this.options.stateDir, target.stateDir);
    const live = toDestination(await virsh("dumpxml", "--migratable", "--security-info", name));
    const persistent = toDestination(await virsh("dumpxml", "--inactive", "--migratable", "--security-info", name));
    await withXmlFile(live, (liveFile) =>
      withPrivateFile("persistent.xml", persistent, async (persistentFile) => {
        let done = false;
        const migrating = virsh(
          "migrate",
          "--live",
          "--p2p",
          "--persistent",
          "--undefinesource",
          // The disks travel over NBD to the destination's migration address too.
          ...(blockMigration ? ["--copy-storage-inc", "--disks-uri", target.migrateUri] : []),
          "--xml",
          liveFile,
          "--persistent-xml",
          persistentFile,
          "--migrateuri",
          target.migrateUri,
          name,
          target.libvirtUri,
        ).finally(() => {
          done = true;
        });
        const watching = (async () => {
          let last = -1;
          while (!done) {
            const info = await virshFor(this.options.uri)("domjobinfo", name).catch(() => "");
            const percent = jobPercent(info);
            if (percent !== null && percent !== last && !done) {
              last = percent;
              onProgress(percent);
            }
            await sleep(POLL_INTERVAL_MS);
          }
        })();
        try {
          await migrating;
        } finally {
          await watching;
        }
      }),
    );
    onProgress(100);
  }

  private rootDiskOf(instanceId: string): string {
    return path.join(this.instanceDir(instanceId), "disk");
  }

  /** Asks the guest to shut down (ACPI) and waits up to `timeoutMs` for it; false when it did not. */
  private async shutDownGracefully(domain: Domain, timeoutMs: number): Promise<boolean> {
    if (timeoutMs <= 0) return false;
    try {
      await domain.shutdown();
    } catch {
      return false; // a guest that cannot be asked (no ACPI) is powered off instead
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await domain.getInfo()).state === DomainState.SHUTOFF) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - Date.now())));
    }
  }

  /** Runs `calls` on the instance's domain (held for the bindings); no domain is an error in plain words. */
  private async onDomain(instanceId: string, calls: (domain: Domain) => Promise<void>): Promise<void> {
    const domain = await this.findDomain(instanceId);
    if (!domain) throw new Error(`The instance's virtual machine is not on this host.`);
    await held(domain, () => calls(domain));
  }

  /** Where a suspended guest's memory is saved: `memory.save` in its instance directory. */
  private savedMemoryOf(instanceId: string): string {
    return path.join(this.instanceDir(instanceId), "memory.save");
  }

  async vncPort(instanceId: string): Promise<number> {
    if (this.domainType !== "qemu") throw new Error("this host is simulated (libvirt's test driver): its guests have no screen");
    const domain = await this.findDomain(instanceId);
    if (!domain) throw new Error("the instance has no domain on this host");
    // A paused guest's QEMU still serves its (frozen) screen.
    const port = await held(domain, async () =>
      WITH_DISPLAY.includes((await domain.getInfo()).state) ? vncPortOf(await domain.getXMLDesc()) : null,
    );
    if (port === null) throw new Error("the guest is not running, or its domain has no VNC display");
    return port;
  }

  async close(): Promise<void> {
    await this.hypervisor.connectClose();
  }

  /**
   * The cached images the instances on this host use (their root disk's base, kernel and
   * ramdisk), as each instance directory records them; an instance from before the record is
   * read from its disk's backing file and its domain's kernel and initrd. Null when a record
   * cannot be read: then nothing can be known to be unused.
   */
  async imagesInUse(): Promise<Set<string> | null> {
    const inUse = new Set<string>();
    if (this.options.simulated) return inUse;
    const root = path.join(this.options.stateDir, "instances");
    const dirs = await readdir(root).catch((error: unknown) => {
      if (isMissingFile(error)) return [];
      throw error;
    });
    for (const dir of dirs) {
      const text = await readFile(path.join(root, dir, IMAGES_RECORD), "utf8").catch((error: unknown) => (isMissingFile(error) ? null : ""));
      let ids: string[] | null;
      if (text === null) ids = await this.imagesOfUnrecorded(dir);
      else {
        const parsed = imagesRecordSchema.safeParse(parseJson(text));
        ids = parsed.success ? parsed.data : null;
      }
      if (ids === null) return null;
      for (const id of ids) inUse.add(id);
    }
    return inUse;
  }

  /**
   * The cached images an instance directory without a record uses (made by an agent from before
   * the record): its disk's backing file and its domain's kernel and initrd, when in the cache.
   * Not written down: a build that has just made its directory writes its own record.
   */
  private async imagesOfUnrecorded(instanceId: string): Promise<string[]> {
    const cache = path.join(this.options.stateDir, "_base");
    const used: string[] = [];
    const inCache = (file: unknown) => typeof file === "string" && path.dirname(file) === cache && used.push(path.basename(file));
    const disk = path.join(this.instanceDir(instanceId), "disk");
    if (await isFile(disk)) {
      // -U: a running guest's QEMU holds the image's lock.
      const info = parseJson(await qemuImg(["info", "--output=json", "-U", disk])) as Record<string, unknown> | null;
      inCache(info?.["full-backing-filename"] ?? info?.["backing-filename"]);
    }
    const domain = await this.findDomain(instanceId);
    if (domain) {
      const xml = await held(domain, () => domain.getXMLDesc());
      for (const match of xml.matchAll(/<(kernel|initrd)>([^<]+)<\/\1>/g)) inCache(match[2]);
    }
    return used;
  }

  /** Where a qemu guest's serial console is written: `console.log` in its instance directory. */
  consoleLogOf(instanceId: string): string {
    return path.join(this.instanceDir(instanceId), "console.log");
  }

  private instanceDir(instanceId: string): string {
    return path.join(this.options.stateDir, "instances", instanceId.toLowerCase());
  }

  private volumesDir(): string {
    return path.join(this.options.stateDir, "volumes");
  }

  private volumeFile(volumeId: string): string {
    return path.join(this.volumesDir(), `${volumeId.toLowerCase()}.qcow2`);
  }

  /**
   * A volume the server says has no bits yet is made here (kept if an earlier delivery of this
   * build already made it); one it says exists must be here.
   */
  private async makeVolume(volume: VolumeSpec, file: string, base: string | null): Promise<void> {
    if (await isFile(file)) return;
    if (volume.exists) throw new Error(`Volume ${volume.id} should be on this host, but its file ${file} is missing.`);
    if (volume.image && base) await createVolumeFromImage({ image: volume.image, base, file, sizeGb: volume.sizeGb });
    else await createBlankVolume({ file, sizeGb: volume.sizeGb });
  }

  /** Undoes an instance: its domain first, then side by side its files (and the given volumes') and its ports. */
  private async teardown(instanceId: string, volumeIds: string[], ports: DestroyCommand["ports"]): Promise<void> {
    // The domain first: libvirt refuses to remove a filter a defined domain still references.
    await this.removeDomain(instanceId);
    await settleAll([() => this.removeFiles(instanceId, volumeIds), () => this.unplug(ports)]);
  }

  private async removeDomain(instanceId: string): Promise<void> {
    const domain = await this.findDomain(instanceId);
    if (!domain) return;
    await held(domain, async () => {
      if ((await domain.getInfo()).state !== DomainState.SHUTOFF) await domain.destroy();
      await domain.undefine();
    });
  }

  /** The instance directory (overlay, config drive, console log) and the given volumes' files. */
  private async removeFiles(instanceId: string, volumeIds: string[]): Promise<void> {
    // A simulated host makes no files but a suspended guest's saved memory (and its directory).
    if (this.options.simulated) return void (await rm(this.instanceDir(instanceId), { recursive: true, force: true }));
    await rm(this.instanceDir(instanceId), { recursive: true, force: true });
    await Promise.all(volumeIds.map((id) => rm(this.volumeFile(id), { force: true })));
  }

  private async unplug(ports: DestroyCommand["ports"]): Promise<void> {
    if (!this.networks) return;
    if (ports.length > 0) await this.networks.unplug(ports);
    // A domain the server does not know (reconciliation) comes without its ports: whatever
    // network it alone used goes with it.
    else await this.networks.sweepUnused();
  }
  private async findDomain(instanceId: string): Promise<Domain | null> {
    try {
      return await this.hypervisor.domainLookupByUUIDString(instanceId);
    } catch (error) {
      // The bindings report every failure with code -1, so "no such domain" is told apart from
      // a broken connection by listing what exists.
      const domains = await this.hypervisor.connectListAllDomains();
      const uuids = await Promise.all(domains.map((d) => held(d, () => d.getUUIDString())));
      if (uuids.includes(instanceId.toLowerCase())) throw error;
      return null;
    }
  }

  private async waitUntilRunning(domain: Domain): Promise<void> {
    const timeoutMs = this.options.spawnTimeoutMs ?? DEFAULT_SPAWN_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { state } = await domain.getInfo();
      if (state === DomainState.RUNNING) return;
      if (state === DomainState.SHUTOFF || state === DomainState.CRASHED) {
        throw new Error(`The virtual machine stopped while starting (libvirt state ${DomainState[state]}).`);
      }
      if (Date.now() >= deadline) {
        throw new Error(`The virtual machine was not running ${Math.round(timeoutMs / 1000)} s after it was started.`);
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }
}

/**
 * The bindings' workers keep a bare pointer to a domain while libvirt runs the call on the
 * thread pool, and nothing keeps the domain's JS object alive meanwhile: were it collected
 * mid-call (the call being its last use), its finalizer would free the domain under the running
 * call. Every call on a domain runs inside `held`, which keeps the object reachable until
 * `calls` settles.
 */
const heldDomains = new Set<{ domain: Domain }>();
async function held<T>(domain: Domain, calls: () => Promise<T>): Promise<T> {
  const hold = { domain };
  heldDomains.add(hold);
  try {
    return await calls();
  } finally {
    heldDomains.delete(hold);
  }
}

/**
 * This host's libvirt as another host's libvirtd reaches it for a peer-to-peer migration: a
 * local socket named in the URI is said to be one (`qemu+unix://`), or libvirt takes a URI
 * with no server for the source host itself and refuses ("Attempt to migrate guest to the same host").
 */
export function inboundLibvirtUri(uri: string): string {
  const match = /^([a-z]+):\/\/\/(.*[?&]socket=.*)$/.exec(uri);
  return match ? `${match[1]}+unix:///${match[2]}` : uri;
}

/** A domain's XML with the file paths under `from` (this host's state directory) moved under `to` (the destination's). */
export function rebasePaths(xml: string, from: string, to: string): string {
  const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/'/g, "&apos;").replace(/"/g, "&quot;");
  const prefix = (dir: string) => escapeXml(dir.endsWith("/") ? dir : `${dir}/`);
  return xml.split(prefix(from)).join(prefix(to));
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** The percentage of a migration job's data sent, from `virsh domjobinfo` ("Data processed" of "Data total"); null when none runs. */
export function jobPercent(info: string): number | null {
  const amount = (field: string) => {
    const match = info.match(new RegExp(`^${field}:\\s+([\\d.]+)\\s*(B|KiB|MiB|GiB|TiB)\\s*$`, "m"));
    return match ? Number(match[1]) * UNITS[match[2]!]! : null;
  };
  const processed = amount("Data processed");
  const total = amount("Data total");
  if (processed === null || !total) return null;
  // Memory dirtied meanwhile is sent again: the data sent may pass the total before the end.
  return Math.min(99, Math.floor((processed / total) * 100));
}

/** JSON, or null when it is not. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null))?.isFile() ?? false;
}

/** Runs every step even when one fails, then throws the failures together. */
async function settleAll(steps: (() => Promise<void>)[]): Promise<void> {
  const results = await Promise.allSettled(steps.map((step) => step()));
  const failures = results.flatMap((r) => (r.status === "rejected" ? [messageOf(r.reason)] : []));
  if (failures.length > 0) throw new Error(failures.join("; "));
}
