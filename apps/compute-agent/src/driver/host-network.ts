/**
 * The host side of Neutron for the compute agent (the work of Neutron's L2 and DHCP agents on a
 * Nova host): each Nimbus network is a libvirt network on this host, each port a DHCP host
 * entry on it and an nwfilter holding its security groups. libvirt's Node bindings have no
 * network or nwfilter API, so this drives `virsh`.
 */
import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import { usesMemberSet, type DestroyCommand, type PortSpec } from "@nimbus/core/protocol/agent";
import {
  bridgeName,
  buildNetworkXml,
  buildPortFilterXml,
  cidrContains,
  dhcpHostOf,
  dhcpHostXml,
  libvirtNetworkName,
  memberSetName,
  checkedCidrs,
  parseNetInfo,
  parseNetworkXml,
  portFilterName,
  type DhcpHost,
  type Ipv4Cidr,
  type NetworkFacts,
} from "./host-network-xml";
import { messageOf } from "../error-message";
import { destroySet, ensureSet, replaceSet, unreferencedSets } from "./ipset";
import { KeyedQueue } from "../keyed-queue";
import type { Overlay } from "./overlay";
import { VirshError, virshFor, withXmlFile, type Virsh } from "./virsh";
import { KernelVlan, vlanDeviceName } from "./vlan";

/** Where a plugged port attaches: its libvirt network and, on a real host, its nwfilter. */
export interface PluggedPort {
  portId: string;
  /** The libvirt network the guest's `<interface type='network'>` names as its source. */
  network: string;
  /** The nwfilter the interface references (`<filterref filter=…/>`); null on a simulated host. */
  filter: string | null;
}

export type UnpluggedPort = DestroyCommand["ports"][number];

/** The host networking a compute driver plugs instance ports into. */
export interface HostNetworking {
  /**
   * Makes each port's network exist and run on this host, adds the port's DHCP entry and
   * defines its firewall; idempotent, so a resent spawn or an agent restart repeats it safely.
   * Resolves in the order of `ports`.
   */
  plug(ports: PortSpec[]): Promise<PluggedPort[]>;
  /** Removes the ports' DHCP entries and firewalls, and a network once its last port is gone. Missing pieces are not errors. */
  unplug(ports: UnpluggedPort[]): Promise<void>;
  /** Removes the networks no domain on this host attaches to any more. */
  sweepUnused(): Promise<void>;
  /**
   * Redefines the filter of each port this host still has (a filter that is gone stays gone:
   * its port was unplugged), which re-applies it to the running guest; resolves with the ids
   * of the ports refreshed.
   */
  refreshFilters(ports: PortSpec[]): Promise<string[]>;
  /**
   * Makes the ipset of remote group `groupId` hold exactly `cidrs` (made if this host has none
   * yet), unless a list of a later `version` was taken already; resolves with whether it was taken.
   */
  replaceGroupMembers(groupId: string, cidrs: string[], version: number): Promise<boolean>;
}

/**
 * nwfilter's iptables rules see bridged traffic only when the kernel hands it to iptables
 * (br_netfilter, `net.bridge.bridge-nf-call-iptables = 1`); without it only its ebtables rules
 * (anti-spoofing) apply.
 */
const BRIDGE_NF_CALL_IPTABLES = "/proc/sys/net/bridge/bridge-nf-call-iptables";

/** libvirt's words when the object named does not exist. */
const NOT_FOUND = /not found|no (?:network|nwfilter) with matching name/i;

function isNotFound(error: unknown): boolean {
  return error instanceof VirshError && NOT_FOUND.test(error.stderr);
}

function sameHost(a: DhcpHost, b: DhcpHost): boolean {
  return a.mac === b.mac && a.ip === b.ip && a.name === b.name;
}

/** A network this process has seen running, and the subnet its dnsmasq serves. */
interface ReadyNetwork {
  dhcpCidr: Ipv4Cidr | null;
}

/**
 * Host networking on a real libvirt host (`qemu:///system`):
 *
 * - with a tunnel address (the overlay), the network's bridge also holds its VXLAN device,
 *   which reaches the network's ports on other hosts (see Overlay);
 * - a vlan provider network's bridge holds instead a VLAN device of its id on the host's
 *   interface for its physical network (NIMBUS_PHYSNETS; see KernelVlan), recorded in the
 *   libvirt network's metadata so that an agent that restarts puts it back;
 * - a Nimbus network is an isolated libvirt network `nimbus-<8 hex>` (bridge `nbr<8 hex>`, the
 *   subnet's gateway address, the network's MTU, dnsmasq with static DHCP entries only; its
 *   libvirt UUID is the Nimbus network id), defined, started and autostarted on first use;
 * - a port is a `<host mac ip name/>` DHCP entry on it (when its subnet has DHCP) and the
 *   nwfilter `nimbus-port-<12 hex>` (anti-spoofing, DHCP, replies, its security group rules,
 *   drop everything else).
 *
 * Changes to one network, or one filter, run one at a time within the process; every step
 * checks what exists first, so it is idempotent across restarts.
 */
export class HostNetworks implements HostNetworking {
  private readonly virsh: Virsh;
  private readonly log: Logger;
  private readonly queue = new KeyedQueue();
  /** Networks made sure of since the agent started: a plug on them needs one virsh call. */
  private readonly ready = new Map<string, ReadyNetwork>();
  private bridgeFilteringChecked = false;
  /** The version of the members list each set last took (see groupMembersCommandSchema). */
  private readonly memberVersions = new Map<string, number>();
  /** Plugs and refreshes between making a port's member sets and defining the filter that names them. */
  private namingSets = 0;
  /** Raised whenever member sets are made sure of: a collection that saw another value destroys nothing. */
  private setsEpoch = 0;
  private swept: Promise<void> | undefined;

  /** The host's side of the overlay (null: no tunnel address, so every network stays on this host). */
  private readonly overlay: Overlay | null;
  /** Networks used by something other than a libvirt domain (the test-only endpoints of `TestEndpointDriver`). */
  private readonly alsoInUse: () => Promise<Set<string>>;
  /** Physical network → this host's interface for it (NIMBUS_PHYSNETS): where vlan networks' VLAN devices go. */
  private readonly physicalNetworks: ReadonlyMap<string, string>;
  private readonly vlans = new KernelVlan();

  constructor({
    uri,
    log,
    overlay = null,
    alsoInUse = async () => new Set<string>(),
    physicalNetworks = new Map(),
  }: {
    uri: string;
    log: Logger;
    overlay?: Overlay | null;
    alsoInUse?: () => Promise<Set<string>>;
    physicalNetworks?: ReadonlyMap<string, string>;
  }) {
    this.virsh = virshFor(uri);
    this.log = log;
    this.overlay = overlay;
    this.alsoInUse = alsoInUse;
    this.physicalNetworks = physicalNetworks;
  }

  /**
   * At agent start: puts back the VLAN device of every vlan network running here (one lost while
   * the agent was away, or at a reboot, when libvirt autostarted the network without it), and
   * removes Nimbus VLAN devices whose network is gone. Idempotent.
   */
  async restoreProviderLinks(): Promise<void> {
    const wanted = new Set<string>();
    for (const network of await this.nimbusNames("net-list")) {
      await this.queue.run(`network:${network}`, async () => {
        const facts = await this.virsh("net-dumpxml", network).then(parseNetworkXml, () => null);
        if (!facts?.vlan || !facts.uuid) return;
        wanted.add(vlanDeviceName(facts.uuid));
        if (!parseNetInfo(await this.virsh("net-info", network)).active) return;
        await this.attachVlan(facts.uuid, facts.vlan, facts.mtu);
      });
    }
    for (const device of await this.vlans.devices()) {
      if (wanted.has(device.name)) continue;
      await this.vlans.removeNamed(device.name);
      this.log.info({ device: device.name }, "VLAN device of a network no longer here removed");
    }
  }

  /** Puts the network's VLAN device on its bridge, on this host's interface for its physical network. */
  private async attachVlan(networkId: string, vlan: { physicalNetwork: string; id: number }, mtu: number | null): Promise<void> {
    const parent = this.physicalNetworks.get(vlan.physicalNetwork);
    if (!parent) {
      throw new Error(
        `this host has no interface for physical network ${vlan.physicalNetwork} (NIMBUS_PHYSNETS): the network's ports here would reach no other host`,
      );
    }
    const made = await this.vlans.ensureDevice({ networkId, parent, vlanId: vlan.id, mtu: mtu ?? 1500 });
    if (made) this.log.debug({ networkId, parent, vlanId: vlan.id }, "VLAN device on the network's bridge");
  }

  async plug(ports: PortSpec[]): Promise<PluggedPort[]> {
    // Before the first plug since the agent started: networks no instance uses any more
    // (left by a crash, or by another install of the cloud) go, so their bridges and
    // addresses do not block the networks of today.
    this.swept ??= this.sweepUnusedNetworks({ evenWithEntries: true }).catch((error: unknown) =>
      this.log.warn({ err: error }, "could not sweep unused networks"),
    );
    await this.swept;
    if (!this.bridgeFilteringChecked) {
      this.bridgeFilteringChecked = true;
      const setting = await readFile(BRIDGE_NF_CALL_IPTABLES, "utf8").catch(() => "missing");
      if (setting.trim() !== "1") {
        this.log.error(
          { [BRIDGE_NF_CALL_IPTABLES]: setting.trim() },
          "security group rules are NOT enforced on bridged traffic: load br_netfilter (modprobe br_netfilter) and set net.bridge.bridge-nf-call-iptables=1",
        );
      }
    }
    return Promise.all(
      ports.map(async (port) => {
        const network = libvirtNetworkName(port.networkId);
        const filter = portFilterName(port.id);
        await Promise.all([
          this.namingMemberSets(port, () => this.queue.run(`nwfilter:${filter}`, () => this.defineFilter(port, filter))),
          this.queue.run(`network:${network}`, () => this.addDhcpHost(port, network)),
        ]);
        return { portId: port.id, network, filter };
      }),
    );
  }

  async refreshFilters(ports: PortSpec[]): Promise<string[]> {
    const refreshed = await Promise.all(
      ports.map((port) => {
        const filter = portFilterName(port.id);
        // In the filter's queue, so a plug or unplug of the same port runs before or after, not between.
        return this.queue.run(`nwfilter:${filter}`, async () => {
          if (!(await this.filterExists(filter))) return null;
          // A rule added with a remote group this host has no set for yet.
          await this.namingMemberSets(port, () => this.defineFilter(port, filter));
          return port.id;
        });
      }),
    );
    return refreshed.filter((id): id is string => id !== null);
  }

  async replaceGroupMembers(groupId: string, cidrs: string[], version: number): Promise<boolean> {
    const set = memberSetName(groupId);
    return this.queue.run(`ipset:${set}`, async () => {
      if (version < (this.memberVersions.get(set) ?? -1)) return false;
      await replaceSet(set, checkedCidrs(cidrs));
      this.memberVersions.set(set, version);
      this.log.debug({ groupId, set, members: cidrs.length, version }, "remote group members replaced");
      return true;
    });
  }

  async unplug(ports: UnpluggedPort[]): Promise<void> {
    await Promise.all(
      ports.map(async (port) => {
        const network = libvirtNetworkName(port.networkId);
        const filter = portFilterName(port.id);
        await Promise.all([
          this.queue.run(`nwfilter:${filter}`, () => this.undefineFilter(filter)),
          this.queue.run(`network:${network}`, async () => {
            await this.removeDhcpHost(port, network);
            // The last port of a network on this host is gone (no DHCP entry left, no domain on
            // it; a build plugging meanwhile holds an entry): so is the network here.
            if ((await this.dhcpEntryCount(network)) === 0 && !(await this.networksInUse()).has(network)) {
              await this.retireNetwork(network, "its last port was unplugged");
            }
          }),
        ]);
      }),
    );
    await this.collectMemberSets().catch((error: unknown) => this.log.warn({ err: error }, "could not collect unused member sets"));
  }

  sweepUnused(): Promise<void> {
    return this.queue.run("sweep", () => this.sweepUnusedNetworks({ evenWithEntries: false }));
  }

  /**
   * A router's leg into a network (routers.ts): the network's bridge, VXLAN device and entries
   * on this host, as for a port, and a DHCP entry for the router's port (which keeps the network
   * here while the router uses it); no filter (a router's port is not firewalled). Idempotent.
   * Resolves with the network's bridge.
   */
  async plugRouterPort(port: PortSpec): Promise<string> {
    const network = libvirtNetworkName(port.networkId);
    await this.queue.run(`network:${network}`, () => this.addDhcpHost(port, network));
    return bridgeName(port.networkId);
  }

  /** Takes a router's leg out: its DHCP entry goes, and the network too once nothing here uses it. */
  async unplugRouterPort(port: UnpluggedPort): Promise<void> {
    const network = libvirtNetworkName(port.networkId);
    await this.queue.run(`network:${network}`, async () => {
      await this.removeDhcpHost(port, network);
      if ((await this.dhcpEntryCount(network)) === 0 && !(await this.networksInUse()).has(network)) {
        await this.retireNetwork(network, "its last port was unplugged");
      }
    });
  }

  /** Networks a router on this host uses: kept by the sweeps as a domain's are. */
  keepForRouters(networks: () => Set<string>): void {
    this.routerNetworks = networks;
  }

  private routerNetworks: () => Set<string> = () => new Set();

  /** The libvirt networks that defined Nimbus domains (running or not) attach to. */
  private async networksInUse(): Promise<Set<string>> {
    const used = await this.alsoInUse();
    for (const network of this.routerNetworks()) used.add(network);
    for (const domain of await this.nimbusNames("list")) {
      const table = await this.virsh("domiflist", domain).catch(() => "");
      // Interface  Type  Source  Model  MAC
      for (const line of table.split("\n").slice(2)) {
        const [, type, source] = line.trim().split(/\s+/);
        if (type === "network" && source) used.add(source);
      }
    }
    return used;
  }

  /**
   * Removes every Nimbus network on this host (but `keep`) that no Nimbus domain attaches to.
   * While builds may be running, a network that still holds DHCP entries is kept (a build plugs
   * its port before it defines its domain); at start, and when its bridge blocks another
   * network, entries left by instances that are gone do not keep it.
   */
  private async sweepUnusedNetworks({ keep, evenWithEntries }: { keep?: string; evenWithEntries: boolean }): Promise<void> {
    const networks = (await this.nimbusNames("net-list")).filter((n) => n !== keep);
    if (networks.length === 0) return;
    const used = await this.networksInUse();
    for (const network of networks.filter((n) => !used.has(n))) {
      if (!evenWithEntries && ((await this.dhcpEntryCount(network)) ?? 0) > 0) continue;
      await this.retireNetwork(network, "no instance on this host uses it");
    }
  }

  /** The Nimbus domains (`list`) or networks (`net-list`) libvirt knows, running or not. */
  private async nimbusNames(command: "list" | "net-list"): Promise<string[]> {
    const names = (await this.virsh(command, "--all", "--name")).split("\n").map((n) => n.trim());
    return names.filter((n) => n.startsWith("nimbus-"));
  }

  /** How many DHCP entries the network holds; null when its XML cannot be read (it is gone, say). */
  private dhcpEntryCount(network: string): Promise<number | null> {
    return this.virsh("net-dumpxml", network).then(
      (xml) => parseNetworkXml(xml).ipv4?.hosts.length ?? 0,
      () => null,
    );
  }

  private async retireNetwork(network: string, why: string): Promise<void> {
    let networkId: string | null = null;
    try {
      networkId = parseNetworkXml(await this.virsh("net-dumpxml", network)).uuid;
      if (parseNetInfo(await this.virsh("net-info", network)).active) await this.virsh("net-destroy", network);
      await this.virsh("net-undefine", network);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    // The bridge is gone, and the network's VXLAN device with it from the host's overlay; a
    // VLAN device outlives its bridge, so it goes by itself.
    if (networkId) {
      await this.overlay?.detach(networkId);
      await this.vlans.removeDevice(networkId);
    }
    this.ready.delete(network);
    this.log.info({ network, why }, "libvirt network removed");
  }

  // ───────────── security groups ─────────────

  /** Makes the port's member sets, then runs `define` (the filter naming them), counted so that no collection destroys them between the two. */
  private async namingMemberSets<T>(port: PortSpec, define: () => Promise<T>): Promise<T> {
    this.namingSets++;
    this.setsEpoch++;
    try {
      await this.ensureMemberSets(port);
      return await define();
    } finally {
      this.namingSets--;
    }
  }

  /**
   * Destroys the member sets nothing names any more: no kernel rule references them (the
   * kernel refuses to destroy one that is) and no defined port filter names them (a guest
   * that is shut off still has its filter, and needs the set when it starts). Skipped while a
   * plug or refresh is between making sets and defining its filter, and given up if one
   * starts meanwhile, so a set is never destroyed under a filter about to name it.
   */
  private async collectMemberSets(): Promise<void> {
    if (this.namingSets > 0) return;
    const epoch = this.setsEpoch;
    const candidates = (await unreferencedSets("nimbus-sg-")).filter((name) => !name.endsWith("-n"));
    if (candidates.length === 0) return;
    const named = new Set<string>();
    for (const filter of await this.portFilterNames()) {
      const xml = await this.virsh("nwfilter-dumpxml", filter).catch(() => "");
      for (const match of xml.matchAll(/ipset='(nimbus-sg-[0-9a-f]+)'/g)) named.add(match[1]!);
    }
    for (const set of candidates.filter((name) => !named.has(name))) {
      await this.queue.run(`ipset:${set}`, async () => {
        if (this.setsEpoch !== epoch || this.namingSets > 0) return;
        if (await destroySet(set)) {
          this.memberVersions.delete(set);
          this.log.info({ set }, "member set no filter names any more destroyed");
        }
      });
    }
  }

  /** The port filters (`nimbus-port-…`) defined on this host. */
  private async portFilterNames(): Promise<string[]> {
    const listing = await this.virsh("nwfilter-list");
    return [...listing.matchAll(/\s(nimbus-port-[0-9a-f]+)\s*$/gm)].map((m) => m[1]!);
  }

  /**
   * The ipsets of the port's remote groups, made with the members the command carries when this
   * host has none yet; one it has keeps its contents, which `group.members` keeps current.
   */
  private async ensureMemberSets(port: PortSpec): Promise<void> {
    const groups = new Map(port.securityGroupRules.filter(usesMemberSet).map((rule) => [rule.remoteGroupId, rule.remoteCidrs ?? []] as const));
    await Promise.all(
      [...groups].map(([groupId, cidrs]) =>
        this.queue.run(`ipset:${memberSetName(groupId)}`, () => ensureSet(memberSetName(groupId), checkedCidrs(cidrs))),
      ),
    );
  }

  /** Defines (or redefines, which re-applies it to running guests) the port's filter. */
  private async defineFilter(port: PortSpec, filter: string): Promise<void> {
    await withXmlFile(buildPortFilterXml(port, { memberSets: true }), (file) => this.virsh("nwfilter-define", file));
    this.log.debug({ portId: port.id, filter, rules: port.securityGroupRules.length }, "port filter defined");
  }

  private async filterExists(filter: string): Promise<boolean> {
    try {
      await this.virsh("nwfilter-dumpxml", filter);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private async undefineFilter(filter: string): Promise<void> {
    try {
      await this.virsh("nwfilter-undefine", filter);
      this.log.debug({ filter }, "port filter undefined");
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  // ───────────── networks and DHCP ─────────────

  private async addDhcpHost(port: PortSpec, network: string): Promise<void> {
    // A network seen running needs no look; one not seen yet is made sure of and read.
    const seen = this.ready.get(network);
    const facts = seen ? null : await this.ensureNetwork(port, network);
    const dhcpCidr = seen ? seen.dhcpCidr : (facts?.ipv4?.cidr ?? null);
    if (!port.enableDhcp) return;
    const host = dhcpHostOf(port);
    if (!dhcpCidr || !cidrContains(dhcpCidr, host.ip)) {
      this.log.warn(
        { portId: port.id, network, ip: host.ip, dhcpSubnet: dhcpCidr && `${dhcpCidr.address}/${dhcpCidr.prefix}` },
        "no DHCP entry for this port: its subnet is not the one the network's DHCP serves on this host; the guest configures itself from the config drive",
      );
      return;
    }
    // Just defined with it, or plugged before the agent restarted.
    if (facts?.ipv4?.hosts.some((h) => sameHost(h, host))) return;
    try {
      // The usual case, in one call: a new port on a network already running.
      await this.virsh("net-update", network, "add-last", "ip-dhcp-host", dhcpHostXml(host), "--live", "--config");
    } catch (error) {
      // The entry exists already (a repeated plug), a stale entry holds the port's MAC or
      // address, or the network stopped since it was last seen: look, then mend.
      this.log.debug({ network, reason: messageOf(error) }, "adding the DHCP entry failed at once; reconciling");
      this.ready.delete(network);
      await this.ensureNetwork(port, network);
      await this.reconcileDhcpHost(network, host);
    }
    this.log.debug({ portId: port.id, network, mac: host.mac, ip: host.ip }, "DHCP entry in place");
  }

  /** Makes the network's entries hold `host` exactly once, removing any other entry with its MAC or address. */
  private async reconcileDhcpHost(network: string, host: DhcpHost): Promise<void> {
    const { ipv4 } = parseNetworkXml(await this.virsh("net-dumpxml", network));
    const existing = ipv4?.hosts ?? [];
    if (existing.some((h) => sameHost(h, host))) return;
    for (const stale of existing.filter((h) => h.mac === host.mac || h.ip === host.ip)) {
      this.log.warn({ network, stale, wanted: host }, "replacing a stale DHCP entry");
      await this.virsh("net-update", network, "delete", "ip-dhcp-host", dhcpHostXml(stale), "--live", "--config");
    }
    await this.virsh("net-update", network, "add-last", "ip-dhcp-host", dhcpHostXml(host), "--live", "--config");
  }

  private async removeDhcpHost(port: UnpluggedPort, network: string): Promise<void> {
    let facts: NetworkFacts;
    let active: boolean;
    try {
      facts = parseNetworkXml(await this.virsh("net-dumpxml", network));
      active = parseNetInfo(await this.virsh("net-info", network)).active;
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    const mac = port.macAddress.toLowerCase();
    for (const host of facts.ipv4?.hosts.filter((h) => h.mac === mac) ?? []) {
      await this.virsh("net-update", network, "delete", "ip-dhcp-host", dhcpHostXml(host), ...(active ? ["--live", "--config"] : ["--config"]));
      this.log.debug({ portId: port.id, network, mac, ip: host.ip }, "DHCP entry removed");
    }
  }

  /**
   * Defines the network from `port` if libvirt does not know it, checks that it is this Nimbus
   * network (its UUID), starts it and marks it autostart; returns what its XML says.
   */
  private async ensureNetwork(port: PortSpec, network: string): Promise<NetworkFacts> {
    let xml: string;
    try {
      xml = await this.virsh("net-dumpxml", network);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await withXmlFile(buildNetworkXml(port), (file) => this.virsh("net-define", file));
      this.log.info({ network, networkId: port.networkId, name: port.networkName }, "libvirt network defined");
      xml = await this.virsh("net-dumpxml", network);
    }
    const facts = parseNetworkXml(xml);
    if (facts.uuid !== port.networkId.toLowerCase()) {
      throw new Error(
        `The libvirt network ${network} on this host belongs to another network (libvirt UUID ${facts.uuid ?? "none"}, wanted ${port.networkId}); remove it or rename it.`,
      );
    }
    const info = parseNetInfo(await this.virsh("net-info", network));
    if (!info.active) {
      try {
        await this.virsh("net-start", network);
      } catch (error) {
        // Another Nimbus network holds the bridge address (one whose last instance went while
        // this agent was away): sweep what no instance uses, then try once more.
        if (!(error instanceof VirshError && /already in use by interface/.test(error.stderr))) throw error;
        await this.sweepUnusedNetworks({ keep: network, evenWithEntries: true });
        await this.virsh("net-start", network);
      }
      this.log.info({ network }, "libvirt network started");
    }
    if (!info.autostart) await this.virsh("net-autostart", network);
    // Across hosts: a vlan network's VLAN device, or the network's VXLAN device with the entries known so far.
    if (port.vlan) {
      await this.attachVlan(port.networkId.toLowerCase(), port.vlan, port.mtu);
    } else if (this.overlay && typeof port.segmentationId === "number") {
      await this.overlay.attach({ networkId: port.networkId.toLowerCase(), segmentationId: port.segmentationId, mtu: port.mtu });
    }
    this.ready.set(network, { dhcpCidr: facts.ipv4?.cidr ?? null });
    return facts;
  }
}
