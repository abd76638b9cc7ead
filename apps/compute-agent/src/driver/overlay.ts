/**
 * This host's side of the overlay (the work of Neutron's L2 agent with l2population): the
 * forwarding entries the server sends for each network this host has ports on (`network.entries`),
 * kept per network with the revision they are as of, and put in the kernel (`KernelVxlan`) on the
 * network's bridge whenever the bridge is here. A simulated host (NIMBUS_SIMULATED_HOSTS) has no
 * kernel side: it only records what it is told.
 */
import type { Logger } from "pino";
import { NETWORK_ENTRIES_OUT_OF_STEP, type ForwardingEntry, type NetworkEntriesCommand } from "@nimbus/core/protocol/agent";
import { KeyedQueue } from "../keyed-queue";
import type { GatewayArp } from "./gateway-arp";
import { VXLAN_OVERHEAD, type KernelEntry, type KernelRemoval, type KernelVxlan, type VxlanDevice } from "./vxlan";

/** What one network's entries are on this host. */
interface NetworkEntries {
  segmentationId: number;
  mtu: number;
  /** The revision the entries are as of (see networkEntriesCommandSchema); -1: none yet. */
  revision: number;
  /** By MAC. */
  entries: Map<string, { ip: string; dst: string }>;
}

/** A `network.entries` command that starts after a revision this host has not applied. */
export class OutOfStepError extends Error {
  constructor(networkId: string, has: number, from: number) {
    super(`${NETWORK_ENTRIES_OUT_OF_STEP}: this host has network ${networkId}'s entries as of revision ${has}, the changes start after ${from}`);
    this.name = "OutOfStepError";
  }
}

/** The kernel side: `KernelVxlan`, or a stand-in in tests. */
export type VxlanDataplane = Pick<KernelVxlan, "ensureDevice" | "removeDevice" | "entries" | "change" | "underlayMtu">;

/** What a kernel device holds against what it should: the removals and additions that make them equal. */
export function kernelChanges(
  held: ReadonlyMap<string, KernelEntry>,
  wanted: ReadonlyMap<string, { ip: string; dst: string }>,
): { upsert: ForwardingEntry[]; remove: KernelRemoval[] } {
  const remove: KernelRemoval[] = [];
  const upsert: ForwardingEntry[] = [];
  for (const [mac, entry] of held) {
    const want = wanted.get(mac);
    // A neighbour entry whose IP is now another's, or a stale one: it goes, and is made again if wanted.
    if (!want) remove.push({ mac, ip: entry.ip });
    else if (entry.ip !== null && entry.ip !== want.ip) remove.push({ mac, ip: entry.ip });
  }
  for (const [mac, want] of wanted) {
    const entry = held.get(mac);
    if (!entry || entry.ip !== want.ip || entry.dst !== want.dst) upsert.push({ mac, ip: want.ip, dst: want.dst });
  }
  return { upsert, remove };
}

export class Overlay {
  private readonly networks = new Map<string, NetworkEntries>();
  /** Networks whose device this process has made sure of, so a change goes straight to the kernel. */
  private readonly attached = new Set<string>();
  private readonly queue = new KeyedQueue();
  private underlayChecked = false;

  constructor(
    /** This host's tunnel address (NIMBUS_TUNNEL_IP). */
    readonly tunnelAddress: string,
    /** Null on a simulated host: entries are recorded, nothing is made. */
    private readonly dataplane: VxlanDataplane | null,
    private readonly log: Logger,
    /** Told each network's remote addresses, so a bridge falls silent for a gateway a router elsewhere holds. */
    private readonly gatewayArp: GatewayArp | null = null,
  ) {}

  /**
   * Takes a `network.entries` command (one at a time per network, in the order they arrive):
   * a full list replaces the network's entries, changes apply on top of the revision they start
   * from; then the kernel is brought to them if the network's bridge is on this host. Throws an
   * OutOfStepError for changes after a revision this host does not have.
   */
  apply(command: NetworkEntriesCommand): Promise<void> {
    return this.queue.run(command.networkId, async () => {
      const known = this.networks.get(command.networkId);
      const has = known?.revision ?? -1;
      if (!command.full && command.fromRevision > has) throw new OutOfStepError(command.networkId, has, command.fromRevision);
      // Already past it: another web process's later list arrived first.
      if (command.toRevision < has) return;
      const state: NetworkEntries = known ?? { segmentationId: command.segmentationId, mtu: command.mtu, revision: -1, entries: new Map() };
      state.segmentationId = command.segmentationId;
      state.mtu = command.mtu;
      if (command.full) state.entries = new Map();
      // For the kernel: a MAC that comes back with another IP leaves its old neighbour entry.
      const removals: KernelRemoval[] = command.remove.map((r) => ({ mac: r.mac, ip: r.ip }));
      for (const { mac } of command.remove) state.entries.delete(mac);
      for (const { mac, ip, dst } of command.upsert) {
        const before = state.entries.get(mac);
        if (before && before.ip !== ip) removals.push({ mac, ip: before.ip });
        state.entries.set(mac, { ip, dst });
      }
      state.revision = Math.max(has, command.toRevision);
      this.networks.set(command.networkId, state);
      this.log.debug(
        {
          networkId: command.networkId,
          full: command.full,
          fromRevision: command.fromRevision,
          toRevision: command.toRevision,
          upsert: command.upsert.length,
          remove: command.remove.length,
          entries: state.entries.size,
        },
        this.dataplane ? "network entries applied" : "network entries recorded (simulated host)",
      );
      if (!this.dataplane) return;
      if (this.attached.has(command.networkId) && !command.full) {
        await this.dataplane.change(command.networkId, { upsert: command.upsert, remove: removals });
      } else {
        await this.sync(command.networkId, state);
      }
      await this.gatewayArp?.setRemote(
        command.networkId,
        [...state.entries.values()].map((e) => e.ip),
      );
    });
  }

  /**
   * The network's bridge was made sure of on this host (a port was plugged): its VXLAN device
   * is made (with the VNI and MTU the port's network has) and holds exactly the entries known.
   */
  attach({ networkId, segmentationId, mtu }: { networkId: string; segmentationId: number; mtu: number }): Promise<void> {
    return this.queue.run(networkId, async () => {
      const state = this.networks.get(networkId) ?? { segmentationId, mtu, revision: -1, entries: new Map() };
      state.segmentationId = segmentationId;
      state.mtu = mtu;
      this.networks.set(networkId, state);
      await this.sync(networkId, state);
      await this.gatewayArp?.setRemote(
        networkId,
        [...state.entries.values()].map((e) => e.ip),
      );
    });
  }

  /**
   * The network's bridge is gone from this host (its last port was unplugged): so is its VXLAN
   * device. What was told stays known, for a port plugged again before the server notices.
   */
  detach(networkId: string): Promise<void> {
    return this.queue.run(networkId, async () => {
      this.attached.delete(networkId);
      await this.dataplane?.removeDevice(networkId);
    });
  }

  /** The entries known for a network (tests, and the simulated host's record). */
  entriesOf(networkId: string): { revision: number; entries: ForwardingEntry[] } | null {
    const state = this.networks.get(networkId);
    if (!state) return null;
    return { revision: state.revision, entries: [...state.entries].map(([mac, e]) => ({ mac, ip: e.ip, dst: e.dst })) };
  }

  /** Makes the device and brings its entries to `state`, reading what the kernel holds first. */
  private async sync(networkId: string, state: NetworkEntries): Promise<void> {
    const dataplane = this.dataplane;
    if (!dataplane) return;
    const device: VxlanDevice = { networkId, segmentationId: state.segmentationId, mtu: state.mtu, local: this.tunnelAddress };
    if (!(await dataplane.ensureDevice(device))) {
      // The bridge comes with the network's first port here; `attach` then makes the device.
      this.attached.delete(networkId);
      return;
    }
    this.attached.add(networkId);
    await this.checkUnderlay(state.mtu);
    const changes = kernelChanges(await dataplane.entries(networkId), state.entries);
    await dataplane.change(networkId, changes);
    if (changes.upsert.length + changes.remove.length > 0) {
      this.log.info({ networkId, added: changes.upsert.length, removed: changes.remove.length }, "VXLAN entries brought up to date");
    }
  }

  /** Says once if the tunnel's device cannot carry a network's frames with VXLAN's headers (they would be dropped). */
  private async checkUnderlay(mtu: number): Promise<void> {
    if (this.underlayChecked || !this.dataplane) return;
    this.underlayChecked = true;
    const underlay = await this.dataplane.underlayMtu(this.tunnelAddress).catch(() => null);
    if (underlay === null) {
      this.log.error(
        { tunnelAddress: this.tunnelAddress },
        "no device on this host holds the tunnel address (NIMBUS_TUNNEL_IP): other hosts cannot reach its ports",
      );
    } else if (underlay < mtu + VXLAN_OVERHEAD) {
      this.log.error(
        { underlayMtu: underlay, networkMtu: mtu },
        `the tunnel's device cannot carry this network's largest frames: its MTU must be at least the network's plus ${VXLAN_OVERHEAD}`,
      );
    }
  }
}
