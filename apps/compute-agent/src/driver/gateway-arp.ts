/**
 * Who answers ARP for a subnet's gateway address on a network's bridge. Each host's libvirt
 * network puts the gateway address on the bridge (dnsmasq serves DHCP from it), so the host's
 * own kernel would answer guests' ARP for the gateway. Once a router holds the gateway (its
 * `qr-` leg, on this host or behind a tunnel on another), the bridge must stay silent for it:
 * it is set to never answer ARP (`arp_ignore` 8), and the router's leg (here) or the VXLAN
 * device's ARP proxy (from the router port's neighbour entry) answers instead. Without a
 * router, the bridge answers as before (`arp_ignore` 0).
 */
import { writeFile } from "node:fs/promises";
import type { Logger } from "pino";
import { bridgeName } from "./host-network-xml";
import { runTool } from "./tool";

/**
 * The IPv4 addresses of a device, none when it does not exist. (Node's os.networkInterfaces()
 * leaves out a bridge without carrier, as a network's bridge is before its first port is up.)
 */
async function bridgeAddresses(device: string): Promise<string[]> {
  const out = await runTool("ip", ["-j", "-4", "addr", "show", "dev", device], (stderr, cause) => new Error(stderr, { cause })).catch(() => "[]");
  const links = JSON.parse(out || "[]") as { addr_info?: { local?: string }[] }[];
  return links.flatMap((l) => l.addr_info ?? []).flatMap((a) => (a.local ? [a.local] : []));
}

export class GatewayArp {
  /** Networks whose gateway a router leg on this host holds. */
  private readonly local = new Set<string>();
  /** Per network, the addresses of other hosts' ports (forwarding entries). */
  private readonly remote = new Map<string, Set<string>>();
  /** What was last written per bridge, so an unchanged setting is not written again. */
  private readonly written = new Map<string, boolean>();

  constructor(
    private readonly log: Logger,
    /** Where the kernel's per-device IPv4 settings are (tests point it elsewhere). */
    private readonly confDir = "/proc/sys/net/ipv4/conf",
    private readonly addressesOf: (device: string) => Promise<string[]> = bridgeAddresses,
  ) {}

  /** A router leg on this host holds (or no longer holds) the network's gateway. */
  setLocal(networkId: string, held: boolean): Promise<void> {
    if (held) this.local.add(networkId.toLowerCase());
    else this.local.delete(networkId.toLowerCase());
    return this.update(networkId);
  }

  /** The addresses of the network's ports on other hosts, as the forwarding entries have them. */
  setRemote(networkId: string, addresses: Iterable<string>): Promise<void> {
    this.remote.set(networkId.toLowerCase(), new Set(addresses));
    return this.update(networkId);
  }

  /** Writes the bridge's setting when the bridge is on this host and the setting changed. */
  async update(networkId: string): Promise<void> {
    const id = networkId.toLowerCase();
    const bridge = bridgeName(id);
    const own = await this.addressesOf(bridge);
    if (own.length === 0) {
      this.written.delete(bridge);
      return;
    }
    const remote = this.remote.get(id) ?? new Set<string>();
    const silent = this.local.has(id) || own.some((address) => remote.has(address));
    if (this.written.get(bridge) === silent) return;
    await writeFile(`${this.confDir}/${bridge}/arp_ignore`, silent ? "8" : "0");
    this.written.set(bridge, silent);
    this.log.info(
      { networkId: id, bridge },
      silent ? "a router holds this network's gateway: the bridge no longer answers ARP for it" : "the bridge answers ARP for the gateway again",
    );
  }
}
