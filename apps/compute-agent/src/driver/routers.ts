/**
 * The routers this host runs (the work of Neutron's legacy L3 agent): each router is a network
 * namespace `<prefix><router id>` (`qrouter-…`) with
 * - a veth leg into each attached network's bridge on this host (`rq<12 hex>` on the bridge,
 *   `qr-<11 hex>` in the namespace with the router port's MAC and the subnet's gateway address);
 *   the bridge carries the network's VXLAN device, so the leg reaches the network's ports on
 *   every host;
 * - a leg into the bridge of its gateway's physical network (`rg…` / `qg-…`, NIMBUS_PHYSNETS)
 *   with the gateway's address, its floating IPs as /32s, and the default route;
 * - forwarding on, and its NAT table (iptables, replaced whole on each sync): floating IPs DNAT
 *   to their fixed addresses and SNAT back, the subnets SNAT to the gateway's address.
 *
 * `sync` brings the host to the server's list: what is listed is made or mended, what is not is
 * removed; every step reads what exists first, so the same list again changes nothing and an
 * agent restart rebuilds what is missing.
 */
import { spawn } from "node:child_process";
import type { Logger } from "pino";
import type { PortSpec, RouterSpec } from "@nimbus/core/protocol/agent";
import { KeyedQueue } from "../keyed-queue";
import type { GatewayArp } from "./gateway-arp";
import type { HostNetworks } from "./host-network";
import { libvirtNetworkName } from "./host-network-xml";
import { childProcessEnv } from "../env";
import { runTool } from "./tool";

const hex = (id: string, count: number) => id.toLowerCase().replace(/-/g, "").slice(0, count);

/** The names of a router's legs: on the bridge (host side) and in the namespace. */
export function legNames(kind: "interface" | "gateway", portId: string): { outside: string; inside: string } {
  return kind === "interface"
    ? { outside: `rq${hex(portId, 12)}`, inside: `qr-${hex(portId, 11)}` }
    : { outside: `rg${hex(portId, 12)}`, inside: `qg-${hex(portId, 11)}` };
}

/**
 * The router's NAT table as `iptables-restore` takes it: Neutron's rules, floating IPs first
 * (so a port with one leaves with it, not the gateway's address).
 */
export function natTable(router: RouterSpec): string {
  const lines = ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]"];
  const gateway = router.gateway;
  if (gateway) {
    const qg = legNames("gateway", gateway.portId).inside;
    for (const { floatingIpAddress: fip, fixedIpAddress: fixed } of router.floatingIps) {
      lines.push(`-A PREROUTING -d ${fip}/32 -j DNAT --to-destination ${fixed}`);
      lines.push(`-A OUTPUT -d ${fip}/32 -j DNAT --to-destination ${fixed}`);
      lines.push(`-A POSTROUTING -s ${fixed}/32 -o ${qg} -j SNAT --to-source ${fip}`);
    }
    if (router.enableSnat) {
      for (const { port } of router.interfaces) lines.push(`-A POSTROUTING -s ${port.cidr} -o ${qg} -j SNAT --to-source ${gateway.ipAddress}`);
    }
  }
  lines.push("COMMIT", "");
  return lines.join("\n");
}

function ip(...args: string[]): Promise<string> {
  return runTool("ip", args, (stderr, cause) => new Error(`ip ${args.join(" ")} failed: ${stderr.trim()}`, { cause }));
}

/** Runs a command in a namespace; `input` goes to its standard input. */
function inNamespace(namespace: string, command: string[], input?: string): Promise<string> {
  if (input === undefined) return ip("netns", "exec", namespace, ...command);
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", namespace, ...command], { stdio: ["pipe", "pipe", "pipe"], env: childProcessEnv(), timeout: 60_000 });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command.join(" ")} in ${namespace} failed: ${err.trim()}`))));
    child.stdin.end(input);
  });
}

interface LinkInfo {
  ifname: string;
  address?: string;
  mtu?: number;
  operstate?: string;
  master?: string;
}

export class RouterManager {
  private readonly queue = new KeyedQueue();
  /** The router ports plugged into networks since the agent started, by port id. */
  private readonly plugged = new Map<string, PortSpec>();
  /** The libvirt networks the listed routers use (kept by the host's network sweeps). */
  private inUse = new Set<string>();

  constructor(
    private readonly options: {
      /** Physical network → this host's bridge for it (NIMBUS_PHYSNETS). */
      physicalNetworks: Map<string, string>;
      namespacePrefix: string;
      networks: HostNetworks;
      gatewayArp: GatewayArp;
      log: Logger;
    },
  ) {
    options.networks.keepForRouters(() => this.inUse);
  }

  namespaceOf(routerId: string): string {
    return `${this.options.namespacePrefix}${routerId.toLowerCase()}`;
  }

  /** Brings the host's routers to `routers` (one sync at a time). */
  sync(routers: RouterSpec[]): Promise<void> {
    return this.queue.run("routers", async () => {
      const { networks, gatewayArp, log } = this.options;
      const wantedPorts = new Map(routers.flatMap((r) => r.interfaces.map((i) => [i.port.id, i.port] as const)));
      this.inUse = new Set([...wantedPorts.values()].map((p) => libvirtNetworkName(p.networkId)));
      const errors: string[] = [];
      for (const router of routers) {
        try {
          await this.ensureRouter(router);
        } catch (error) {
          log.error({ err: error, routerId: router.id }, "router could not be built");
          errors.push(`router ${router.id}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      // Routers no longer here.
      const listed = new Set(routers.map((r) => this.namespaceOf(r.id)));
      for (const namespace of await this.namespaces()) {
        if (listed.has(namespace)) continue;
        await ip("netns", "del", namespace).catch((error: unknown) => log.warn({ err: error, namespace }, "could not remove a router's namespace"));
        log.info({ namespace }, "router removed");
      }
      // Legs into networks no listed router has any more.
      for (const [portId, port] of [...this.plugged]) {
        if (wantedPorts.has(portId)) continue;
        this.plugged.delete(portId);
        const stillHeld = [...wantedPorts.values()].some((p) => p.networkId === port.networkId);
        if (!stillHeld) await gatewayArp.setLocal(port.networkId, false);
        await networks.unplugRouterPort({ id: port.id, networkId: port.networkId, macAddress: port.macAddress, ipAddress: port.ipAddress });
      }
      if (errors.length > 0) throw new Error(errors.join("; "));
    });
  }

  private async namespaces(): Promise<string[]> {
    const list = await ip("netns", "list");
    return list
      .split("\n")
      .map((line) => line.split(" ")[0] ?? "")
      .filter((name) => name.startsWith(this.options.namespacePrefix));
  }

  private async ensureRouter(router: RouterSpec): Promise<void> {
    const { networks, gatewayArp, physicalNetworks, log } = this.options;
    const namespace = this.namespaceOf(router.id);
    if (!(await this.namespaces()).includes(namespace)) {
      await ip("netns", "add", namespace);
      log.info({ routerId: router.id, namespace }, "router namespace made");
    }
    await ip("-n", namespace, "link", "set", "lo", "up");
    await inNamespace(namespace, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
    const legs = new Set<string>();
    for (const { port, prefix } of router.interfaces) {
      const bridge = await networks.plugRouterPort(port);
      this.plugged.set(port.id, port);
      const names = legNames("interface", port.id);
      legs.add(names.inside);
      await this.ensureLeg(namespace, { ...names, bridge, mac: port.macAddress, mtu: port.mtu, addresses: [`${port.ipAddress}/${prefix}`] });
      await gatewayArp.setLocal(port.networkId, true);
    }
    const gateway = router.gateway;
    if (gateway) {
      const bridge = physicalNetworks.get(gateway.physicalNetwork);
      if (!bridge) throw new Error(`this host has no bridge for physical network ${gateway.physicalNetwork} (NIMBUS_PHYSNETS)`);
      const names = legNames("gateway", gateway.portId);
      legs.add(names.inside);
      await this.ensureLeg(namespace, {
        ...names,
        bridge,
        mac: gateway.macAddress,
        mtu: gateway.mtu,
        addresses: [`${gateway.ipAddress}/${gateway.prefix}`, ...router.floatingIps.map((f) => `${f.floatingIpAddress}/32`)],
      });
      if (gateway.nextHop) await ip("-n", namespace, "route", "replace", "default", "via", gateway.nextHop, "dev", names.inside);
    }
    // Legs of interfaces or gateways the router no longer has (deleting one end removes the pair).
    for (const link of await this.links(namespace)) {
      if ((link.ifname.startsWith("qr-") || link.ifname.startsWith("qg-")) && !legs.has(link.ifname)) {
        await ip("-n", namespace, "link", "del", link.ifname);
        log.info({ routerId: router.id, leg: link.ifname }, "router leg removed");
      }
    }
    await inNamespace(namespace, ["iptables-restore"], natTable(router));
    log.debug(
      { routerId: router.id, interfaces: router.interfaces.length, gateway: gateway !== null, floatingIps: router.floatingIps.length },
      "router in place",
    );
  }

  private async links(namespace?: string): Promise<LinkInfo[]> {
    const out = namespace ? await ip("-n", namespace, "-j", "link", "show") : await ip("-j", "link", "show");
    return JSON.parse(out || "[]") as LinkInfo[];
  }

  /** Makes a veth leg (or mends it): outside on `bridge`, inside in the namespace with the MAC, MTU and exactly `addresses`. */
  private async ensureLeg(
    namespace: string,
    leg: { outside: string; inside: string; bridge: string; mac: string; mtu: number; addresses: string[] },
  ): Promise<void> {
    const inside = (await this.links(namespace)).find((l) => l.ifname === leg.inside);
    const outside = (await this.links()).find((l) => l.ifname === leg.outside);
    if (!inside || !outside) {
      // Half a pair (or none): start again.
      if (inside) await ip("-n", namespace, "link", "del", leg.inside);
      if (outside) await ip("link", "del", leg.outside);
      await ip(
        "link",
        "add",
        leg.outside,
        "mtu",
        String(leg.mtu),
        "type",
        "veth",
        "peer",
        "name",
        leg.inside,
        "mtu",
        String(leg.mtu),
        "netns",
        namespace,
      );
      this.options.log.info({ namespace, leg: leg.inside, bridge: leg.bridge }, "router leg made");
    }
    if (outside?.master !== leg.bridge) await ip("link", "set", leg.outside, "master", leg.bridge);
    if (outside?.mtu !== leg.mtu) await ip("link", "set", leg.outside, "mtu", String(leg.mtu));
    await ip("link", "set", leg.outside, "up");
    if (inside?.address !== leg.mac) await ip("-n", namespace, "link", "set", leg.inside, "address", leg.mac);
    if (inside?.mtu !== leg.mtu) await ip("-n", namespace, "link", "set", leg.inside, "mtu", String(leg.mtu));
    await ip("-n", namespace, "link", "set", leg.inside, "up");
    const held = (
      JSON.parse((await ip("-n", namespace, "-j", "addr", "show", "dev", leg.inside)) || "[]") as {
        addr_info?: { family: string; local: string; prefixlen: number }[];
      }[]
    )
      .flatMap((l) => l.addr_info ?? [])
      .filter((a) => a.family === "inet")
      .map((a) => `${a.local}/${a.prefixlen}`);
    for (const address of held.filter((a) => !leg.addresses.includes(a))) await ip("-n", namespace, "addr", "del", address, "dev", leg.inside);
    for (const address of leg.addresses.filter((a) => !held.includes(a))) await ip("-n", namespace, "addr", "add", address, "dev", leg.inside);
  }
}
