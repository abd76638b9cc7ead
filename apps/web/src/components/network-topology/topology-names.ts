import type { RouterOutputs } from "@/lib/api-types";

export type NetworkTopology = RouterOutputs["networks"]["topology"];
type Network = NetworkTopology["networks"][number];
type Router = NetworkTopology["routers"][number];
type Instance = NetworkTopology["instances"][number];

/** How each node is named to assistive technology and where it leads: one sentence of what it is and joins. */
export function topologyNames(graph: NetworkTopology) {
  const networkName = (id: string) => {
    const network = graph.networks.find((n) => n.id === id);
    return network ? network.name || network.id : id;
  };
  const cidrs = (n: Network) => n.subnets.map((s) => s.cidr).join(", ");
  return {
    networkName,
    network(n: Network): string {
      const kind = n.external ? "External network" : "Network";
      return `${kind} ${n.name || n.id}${n.subnets.length > 0 ? `, ${cidrs(n)}` : ", no subnet"}${n.shared && !n.external ? ", shared" : ""}`;
    },
    router(r: Router): string {
      const gateway = r.gateway
        ? `gateway on ${networkName(r.gateway.networkId)}${r.gateway.ipAddresses.length > 0 ? ` (${r.gateway.ipAddresses.join(", ")})` : ""}`
        : "no gateway";
      const interfaces =
        r.interfaces.length === 0
          ? "no interface"
          : `interfaces on ${r.interfaces.map((i) => `${networkName(i.networkId)} (${i.ipAddress})`).join(", ")}`;
      return `Router ${r.name || r.id}, ${gateway}, ${interfaces}`;
    },
    instance(i: Instance): string {
      const ports =
        i.ports.length === 0
          ? "no port"
          : i.ports
              .map(
                (p) => `${p.ipAddress} on ${networkName(p.networkId)}${p.floatingIps.length > 0 ? `, floating IP ${p.floatingIps.join(", ")}` : ""}`,
              )
              .join("; ");
      return `Instance ${i.name}, ${i.status}, ${ports}`;
    },
  };
}

/** Where a click on a node goes: the resource's page (networks and routers are listed on theirs). */
export const topologyHref = {
  network: (id: string) => `/project/networks#network-${id}-title`,
  router: () => "/project/routers",
  instance: (id: string) => `/project/instances/${id}`,
};
