/**
 * Neutron's L3 rules as pure functions (no database): which subnet a router may take as an
 * interface, which network may be its gateway, which port a floating IP may be associated with,
 * and which host runs a router (Neutron's L3 agent scheduler, least routers first). Each refusal
 * is Neutron's, in plain words.
 */
import { parseCidr } from "./ipam";

/** Neutron's device_owner values of the ports routers and floating IPs hold. */
export const DEVICE_OWNER = {
  routerInterface: "network:router_interface",
  routerGateway: "network:router_gateway",
  floatingIp: "network:floatingip",
} as const;

/** Neutron's default limits on routers and floating IPs per project. */
export const ROUTER_QUOTA = 10;
export const FLOATINGIP_QUOTA = 50;

export interface SubnetFacts {
  id: string;
  name: string;
  cidr: string;
  gatewayIp: string | null;
  networkId: string;
}

function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  const prefix = Math.min(x.prefix, y.prefix);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return (x.network & mask) >>> 0 === (y.network & mask) >>> 0;
}

/**
 * Why `subnet` cannot become an interface of a router that has `attached` subnets (and whose
 * gateway, if any, is on `externalNetworkId`), or null: it has a gateway address (which the
 * router takes), is not on an external network, is not already attached, and overlaps none of
 * the router's other subnets (the router could not tell them apart).
 */
export function interfaceRefusal(routerId: string, subnet: SubnetFacts & { external: boolean }, attached: readonly SubnetFacts[]): string | null {
  if (subnet.external) {
    return `Bad router request: subnet ${subnet.name || subnet.id} is on an external network; set it as the router's external gateway instead.`;
  }
  if (subnet.gatewayIp === null) {
    return `Bad router request: Subnet ${subnet.name || subnet.id} does not have a gateway IP, so it cannot be a router interface (the router's address on it is the gateway).`;
  }
  if (attached.some((s) => s.id === subnet.id)) {
    return `Bad router request: Router ${routerId} already has a port on subnet ${subnet.name || subnet.id}.`;
  }
  const clash = attached.find((s) => overlaps(s.cidr, subnet.cidr));
  if (clash) {
    return `Bad router request: Cidr ${subnet.cidr} of subnet ${subnet.name || subnet.id} overlaps with cidr ${clash.cidr} of subnet ${clash.name || clash.id}.`;
  }
  return null;
}

/** Why a network cannot be a router's external gateway, or null. */
export function gatewayRefusal(network: { id: string; name: string; routerExternal: boolean }, subnetCount: number): string | null {
  if (!network.routerExternal) return `Bad router request: network ${network.name || network.id} is not an external network (router:external).`;
  if (subnetCount === 0)
    return `Bad router request: external network ${network.name || network.id} has no subnet, so it has no address to give the router.`;
  return null;
}

/** A router as a floating IP association sees it: which subnets it has and where its gateway is. */
export interface RouterReach {
  id: string;
  externalNetworkId: string | null;
  subnetIds: readonly string[];
}

/**
 * The router that will DNAT a floating IP of `floatingNetworkId` to a port on `portSubnetId`
 * (Neutron's `_get_router_for_floatingip`): one with an interface on that subnet and its gateway
 * on the floating IP's network. Null: none, and the association is refused in Neutron's words.
 */
export function routerForFloatingIp(routers: readonly RouterReach[], portSubnetId: string, floatingNetworkId: string): RouterReach | null {
  return routers.find((r) => r.externalNetworkId === floatingNetworkId && r.subnetIds.includes(portSubnetId)) ?? null;
}

/**
 * Neutron's ExternalGatewayForFloatingIPNotFound, in its words (the CLI's users know them) with
 * the names a console user knows: which external network, which subnet, and what to do.
 */
export function unreachableMessage(
  floatingNetwork: { id: string; name: string },
  subnet: { id: string; name: string; networkName: string },
  port: { id: string; ipAddress: string },
): string {
  const network = floatingNetwork.name || floatingNetwork.id;
  return `External network ${network} is not reachable from subnet ${subnet.name || subnet.id} of network ${subnet.networkName}. Therefore, cannot associate Port ${port.id} (${port.ipAddress}) with a Floating IP: attach the subnet to a router whose external gateway is on ${network} first.`;
}

/** A host as the router scheduler sees it. */
export interface RouterHostCandidate {
  id: string;
  hostname: string;
  up: boolean;
  enabled: boolean;
  /** Only hosts with a tunnel address reach the other hosts' ports of a network. */
  tunnelAddress: string | null;
  physicalNetworks: readonly string[];
  routers: number;
}

/**
 * The host a router runs on (Neutron's LeastRoutersScheduler): up, enabled, on the overlay, with
 * a bridge for the gateway's physical network when it has one; the one with fewest routers, then
 * by name. `current` is kept while it still qualifies (a router is not moved for balance).
 * Null: no host can take it (it stays unscheduled, and is placed when one can).
 */
export function chooseRouterHost(candidates: readonly RouterHostCandidate[], physicalNetwork: string | null, current: string | null): string | null {
  const fits = candidates.filter(
    (h) => h.up && h.enabled && h.tunnelAddress !== null && (physicalNetwork === null || h.physicalNetworks.includes(physicalNetwork)),
  );
  if (current && fits.some((h) => h.id === current)) return current;
  const [best] = [...fits].sort((a, b) => a.routers - b.routers || a.hostname.localeCompare(b.hostname));
  return best?.id ?? null;
}
