/**
 * Where each node of the network topology is drawn: a layered layout, as Horizon's. External
 * networks on top, then routers, then the project's networks, then instances in a column under
 * the network of their first port. Pure (no React), so its promises are unit-tested.
 */

/** The graph as the topology procedure returns it (only what the layout needs). */
export interface TopologyInput {
  networks: { id: string; name: string; external: boolean }[];
  routers: { id: string; name: string; gateway: { networkId: string } | null; interfaces: { networkId: string }[] }[];
  instances: { id: string; name: string; ports: { networkId: string }[] }[];
}

export type NodeKind = "external" | "router" | "network" | "instance";

export interface LaidNode {
  kind: NodeKind;
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LaidEdge {
  /** Router → network (an interface or its gateway) or instance → network (a port). */
  from: string;
  to: string;
  kind: "gateway" | "interface" | "port";
  /** Index of the port or interface in its owner's list, to label it. */
  index: number;
}

export interface TopologyLayout {
  nodes: LaidNode[];
  edges: LaidEdge[];
  width: number;
  height: number;
}

export const NODE = { width: 150, height: 44, gap: 24, rowGap: 70, margin: 16 } as const;
const COLUMN = NODE.width + NODE.gap;
const rowY = (row: number) => NODE.margin + row * (NODE.height + NODE.rowGap);

/** Places items at their wished x, left to right, none closer than a column to the one before. */
function spread<T extends { wish: number }>(items: T[]): (T & { x: number })[] {
  const sorted = [...items].sort((a, b) => a.wish - b.wish);
  let next = NODE.margin;
  return sorted.map((item) => {
    const x = Math.max(item.wish, next);
    next = x + COLUMN;
    return { ...item, x };
  });
}

const mean = (values: number[], fallback: number) => (values.length === 0 ? fallback : values.reduce((a, b) => a + b, 0) / values.length);

export function layoutTopology(graph: TopologyInput): TopologyLayout {
  const nodes: LaidNode[] = [];
  const edges: LaidEdge[] = [];
  const place = (kind: NodeKind, id: string, x: number, row: number) =>
    nodes.push({ kind, id, x, y: rowY(row), width: NODE.width, height: NODE.height });

  // Row 2: the project's (not external) networks, each as wide as the instances under it.
  const internal = graph.networks.filter((n) => !n.external);
  const external = graph.networks.filter((n) => n.external);
  const homeOf = (instance: TopologyInput["instances"][number]) =>
    instance.ports.find((p) => internal.some((n) => n.id === p.networkId))?.networkId ?? null;
  const centerOf = new Map<string, number>();
  let x = NODE.margin;
  for (const network of internal) {
    const residents = graph.instances.filter((i) => homeOf(i) === network.id);
    const columns = Math.max(1, residents.length);
    const width = columns * COLUMN - NODE.gap;
    nodes.push({ kind: "network", id: network.id, x, y: rowY(2), width, height: NODE.height });
    centerOf.set(network.id, x + width / 2);
    residents.forEach((instance, i) => {
      place("instance", instance.id, x + i * COLUMN, 3);
    });
    x += columns * COLUMN;
  }
  // Instances on no project network (none, or only external ones): a column of their own at the end.
  for (const instance of graph.instances.filter((i) => homeOf(i) === null)) {
    place("instance", instance.id, x, 3);
    x += COLUMN;
  }

  // Row 1: routers above the middle of the networks they join.
  const routers = spread(
    graph.routers.map((r, order) => ({
      id: r.id,
      wish: mean(
        r.interfaces.flatMap((i) => (centerOf.has(i.networkId) ? [centerOf.get(i.networkId)! - NODE.width / 2] : [])),
        NODE.margin + order * COLUMN,
      ),
    })),
  );
  for (const r of routers) {
    place("router", r.id, r.x, 1);
    centerOf.set(r.id, r.x + NODE.width / 2);
  }
  // Row 0: external networks above the routers that use them.
  const externals = spread(
    external.map((n, order) => ({
      id: n.id,
      wish: mean(
        graph.routers.filter((r) => r.gateway?.networkId === n.id).map((r) => centerOf.get(r.id)! - NODE.width / 2),
        NODE.margin + order * COLUMN,
      ),
    })),
  );
  for (const n of externals) place("external", n.id, n.x, 0);

  for (const r of graph.routers) {
    if (r.gateway) edges.push({ from: r.id, to: r.gateway.networkId, kind: "gateway", index: 0 });
    r.interfaces.forEach((i, index) => {
      edges.push({ from: r.id, to: i.networkId, kind: "interface", index });
    });
  }
  for (const instance of graph.instances) {
    for (const [index, p] of instance.ports.entries()) edges.push({ from: instance.id, to: p.networkId, kind: "port", index });
  }

  const ids = new Set(nodes.map((n) => n.id));
  const right = Math.max(NODE.width, ...nodes.map((n) => n.x + n.width));
  return {
    nodes,
    // An edge to a network the graph does not hold (none should) is not drawn.
    edges: edges.filter((e) => ids.has(e.from) && ids.has(e.to)),
    width: right + NODE.margin,
    height: rowY(3) + NODE.height + NODE.margin,
  };
}
