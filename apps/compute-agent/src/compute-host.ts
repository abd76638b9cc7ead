import { mkdir, statfs } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { DownloadProgress } from "@nimbus/core/protocol/agent";
import { Agent, type AgentConsoles } from "./agent";
import { ComputeManager } from "./compute-manager";
import { ConsoleStreamer } from "./console-stream";
import { LibvirtDriver, hypervisorTypeOf } from "./driver/libvirt";
import { GatewayArp } from "./driver/gateway-arp";
import { Overlay } from "./driver/overlay";
import { RouterManager } from "./driver/routers";
import { TestEndpointDriver } from "./driver/test-endpoints";
import type { ComputeDriver, Vif } from "./driver/types";
import { KernelVxlan } from "./driver/vxlan";
import type { VncAddresses } from "./env";
import type { AuthProvider } from "./host-auth";
import { DEFAULT_IMAGE_CACHE_PRUNING, ImageCache } from "./image-cache";
import { ReportOutbox } from "./report-outbox";
import { ReportSequence } from "./report-sequence";
import { SnapshotUploader } from "./snapshot-upload";

export interface ComputeHostOptions {
  hostname: string;
  /** A simulated host (NIMBUS_SIMULATED_HOSTS) on a private libvirt test driver. */
  simulated: boolean;
  libvirtUri: string;
  /** This host's own: the image cache, instance directories, volumes and report sequence numbers live here. */
  stateDir: string;
  vif: Vif;
  /** Unset: the size of the file system holding the state dir. */
  diskGb: number | undefined;
  serverUrls: string[];
  heartbeatMs: number;
  agentVersion: string;
  log: Logger;
  /** How often the domains' power states are read and reported when they changed (Nova's sync_power_state_interval). */
  powerSyncMs?: number;
  /**
   * How often the image cache is pruned, and how long an image no instance uses stays cached
   * (default DEFAULT_IMAGE_CACHE_PRUNING).
   */
  imageCache?: { pruneIntervalMs: number; minAgeMs: number };
  /** This host's VXLAN tunnel address (NIMBUS_TUNNEL_IP); null: its tenant networks stay on it. */
  tunnelAddress?: string | null;
  /** TEST ONLY: instances are veth endpoints in namespaces with this prefix (NIMBUS_TEST_ENDPOINTS). */
  testEndpoints?: string | null;
  /**
   * Physical network → this host's bridge or interface for it (NIMBUS_PHYSNETS): routers' gateway
   * legs on flat networks go on it, vlan networks' VLAN devices are made on it.
   */
  physicalNetworks?: Map<string, string>;
  /** The prefix of routers' network namespaces (NIMBUS_ROUTER_NETNS_PREFIX). */
  routerNamespacePrefix?: string;
  /** Where guests' VNC displays listen and where the console proxy reaches them (default: host-local, 127.0.0.1). */
  vnc?: VncAddresses;
}

/**
 * One compute host as the servers see it: a libvirt connection, the compute manager working on
 * it, and the agent connection with its own report outbox. A process runs one, or several in
 * simulation mode, each independent of the others.
 */
export class ComputeHost {
  private agent: Agent | null = null;
  private images: ImageCache | null = null;
  private pruner: NodeJS.Timeout | undefined;
  private powerSync: NodeJS.Timeout | undefined;
  private readonly pruning: { pruneIntervalMs: number; minAgeMs: number };

  private constructor(
    readonly options: ComputeHostOptions,
    readonly driver: HostDriver,
    private readonly diskGb: number,
    private readonly sequence: ReportSequence,
    /** The host's side of the overlay; null without a tunnel address. */
    readonly overlay: Overlay | null,
    /** The routers this host runs; null where the host has no networks of its own (libvirt's test driver). */
    readonly routers: RouterManager | null,
  ) {
    this.pruning = options.imageCache ?? DEFAULT_IMAGE_CACHE_PRUNING;
  }

  get hostname(): string {
    return this.options.hostname;
  }

  get log(): Logger {
    return this.options.log;
  }

  /** Opens the libvirt connection; nothing talks to the servers before `start`. */
  static async open(options: ComputeHostOptions): Promise<ComputeHost> {
    const { libvirtUri: uri, stateDir, vif, log } = options;
    await mkdir(stateDir, { recursive: true });
    const diskGb = options.diskGb ?? (await totalDiskGb(stateDir));
    const gatewayArp = new GatewayArp(log);
    const overlay = openOverlay(options, gatewayArp);
    const driver: HostDriver = options.testEndpoints
      ? await TestEndpointDriver.open({ uri, stateDir, prefix: options.testEndpoints, overlay, log, physicalNetworks: options.physicalNetworks })
      : await LibvirtDriver.open({
          uri,
          stateDir,
          vif,
          simulated: options.simulated,
          overlay,
          log,
          vncListen: options.vnc?.listen,
          // Live-migrated guests arrive on the tunnel address (Nova's live_migration_inbound_addr).
          migrationAddress: options.tunnelAddress ?? null,
          physicalNetworks: options.physicalNetworks,
        });
    log.info({ uri, stateDir, diskGb }, options.simulated ? "simulated host: libvirt test driver open" : "libvirt connection open");
    // Raised once per start, before any report (see ReportSequence).
    const sequence = await ReportSequence.start(path.join(stateDir, "report-seq"));
    const networks = driver.hostNetworks();
    // VLAN devices lost while the agent was away (a reboot, say) come back before any command.
    if (networks && !options.simulated) {
      await networks
        .restoreProviderLinks()
        .catch((error: unknown) => log.error({ err: error }, "could not restore the VLAN devices of this host's vlan networks"));
    }
    const routers =
      networks && !options.simulated
        ? new RouterManager({
            physicalNetworks: options.physicalNetworks ?? new Map(),
            namespacePrefix: options.routerNamespacePrefix ?? "qrouter-",
            networks,
            gatewayArp,
            log,
          })
        : null;
    return new ComputeHost(options, driver, diskGb, sequence, overlay, routers);
  }

  /** Connects to the servers, presenting what `auth` returns in every handshake. */
  start(auth: AuthProvider): void {
    const { hostname, stateDir, serverUrls, heartbeatMs, agentVersion, log } = this.options;
    const outbox = new ReportOutbox(log);
    // Downloads authenticate as the socket handshake does: with the host credential or the secret.
    const images = new ImageCache({ dir: path.join(stateDir, "_base"), serverUrls, hostname, auth, log });
    this.images = images;
    const snapshots = new SnapshotUploader({ serverUrls, hostname, auth, log });
    if (!this.options.simulated) {
      this.pruner = setInterval(() => {
        this.pruneImageCache().catch((error: unknown) => log.warn({ err: error }, "pruning the image cache failed"));
      }, this.pruning.pruneIntervalMs);
      this.pruner.unref();
    }
    let agent: Agent | null = null;
    const downloadProgress = (progress: DownloadProgress) => agent?.sendDownloadProgress(progress);
    const consoles = this.liveConsoles();
    const manager = new ComputeManager({
      driver: this.driver,
      outbox,
      sequence: this.sequence,
      images,
      snapshots,
      downloadProgress,
      log,
      onSpawned: (instanceId, consoleLog) => {
        if (consoles && consoleLog) consoles.streamer.watch(instanceId, consoleLog);
      },
      onDestroy: async (instanceId) => consoles?.streamer.stop(instanceId),
      onPoweredOn: (instanceId) => {
        if (consoles && !consoles.streamer.watching().includes(instanceId)) consoles.streamer.watch(instanceId, consoles.logOf(instanceId));
      },
    });
    let syncing = false;
    this.powerSync = setInterval(() => {
      if (syncing) return;
      syncing = true;
      manager
        .syncPowerStates()
        .catch((error: unknown) => log.warn({ err: error }, "power state sync failed"))
        .finally(() => (syncing = false));
    }, this.options.powerSyncMs ?? DEFAULT_POWER_SYNC_MS);
    this.powerSync.unref();
    agent = new Agent({
      serverUrls,
      hostname,
      agentVersion,
      auth,
      diskGb: this.diskGb,
      heartbeatMs,
      driver: this.driver,
      manager,
      outbox,
      consoles,
      overlay: this.overlay,
      routers: this.routers,
      physicalNetworks: [...(this.options.physicalNetworks?.keys() ?? [])],
      vncProxyclientAddress: this.options.vnc?.proxyclientAddress,
      log,
    });
    this.agent = agent;
    agent.start();
  }

  /**
   * Guests on qemu hosts write their serial console to the driver's console log, which is
   * streamed live; the test driver's guests write none.
   */
  private liveConsoles(): AgentConsoles | undefined {
    const { libvirtUri, log } = this.options;
    if (hypervisorTypeOf(libvirtUri) !== "qemu" || this.options.testEndpoints) return undefined;
    return {
      streamer: new ConsoleStreamer({ log }),
      logOf: (instanceId) => this.driver.consoleLogOf(instanceId),
    };
  }

  /**
   * Removes the cached images no instance here uses and none took for the minimum age; returns
   * their ids. Nothing is removed while an instance directory does not say what it uses.
   */
  async pruneImageCache(): Promise<string[]> {
    if (!this.images) return [];
    const inUse = await this.driver.imagesInUse();
    if (!inUse) {
      this.log.info("image cache not pruned: an instance directory does not record its images (made before this agent version, or being made)");
      return [];
    }
    return this.images.prune({ inUse, minAgeMs: this.pruning.minAgeMs });
  }

  /** Drains the host's work and reports under `deadlineMs` (see `Agent.stop`), then closes libvirt. */
  async stop(deadlineMs: number): Promise<void> {
    clearInterval(this.pruner);
    clearInterval(this.powerSync);
    await this.agent?.stop(deadlineMs);
    await this.driver.close().catch((error: unknown) => this.log.warn({ err: error }, "closing the libvirt connection failed"));
  }
}

/** Nova polls every 10 minutes and listens to libvirt's events; with no events here, a shorter poll. */
export const DEFAULT_POWER_SYNC_MS = 10_000;

/** What a host drives: libvirt domains, or (tests only) veth endpoints. */
type HostDriver = ComputeDriver & Pick<LibvirtDriver, "imagesInUse" | "consoleLogOf" | "hostNetworks">;

/**
 * The host's side of the overlay when it has a tunnel address: in the kernel on a qemu host,
 * recorded only on a simulated one (and on libvirt's test driver, which has no host networks).
 */
function openOverlay({ tunnelAddress, libvirtUri, simulated, log }: ComputeHostOptions, gatewayArp: GatewayArp): Overlay | null {
  if (!tunnelAddress) {
    if (hypervisorTypeOf(libvirtUri) === "qemu") log.warn("no NIMBUS_TUNNEL_IP: this host's tenant networks reach no other host");
    return null;
  }
  const kernel = !simulated && hypervisorTypeOf(libvirtUri) === "qemu";
  return new Overlay(tunnelAddress, kernel ? new KernelVxlan() : null, log, kernel ? gatewayArp : null);
}

/** Size of the file system holding `dir`, in whole GB. */
async function totalDiskGb(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return Math.floor((stats.blocks * stats.bsize) / 1024 ** 3);
}
