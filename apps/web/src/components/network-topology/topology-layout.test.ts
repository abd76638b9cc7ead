import { describe, expect, it } from "vitest";
import { layoutTopology, type LaidNode, type TopologyInput } from "./topology-layout";

const overlap = (a: LaidNode, b: LaidNode) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

const graph: TopologyInput = {
  networks: [
    { id: "pub", name: "public", external: true },
    { id: "a", name: "a", external: false },
    { id: "b", name: "b", external: false },
    { id: "c", name: "c", external: false },
  ],
  routers: [
    { id: "r2", name: "r2", gateway: null, interfaces: [{ networkId: "c" }] },
    { id: "r1", name: "r1", gateway: { networkId: "pub" }, interfaces: [{ networkId: "a" }, { networkId: "b" }] },
  ],
  instances: [
    { id: "i1", name: "i1", ports: [{ networkId: "a" }] },
    { id: "i2", name: "i2", ports: [{ networkId: "a" }, { networkId: "b" }] },
    { id: "i3", name: "i3", ports: [{ networkId: "b" }] },
    { id: "lonely", name: "lonely", ports: [] },
  ],
};

describe("layoutTopology", () => {
  const layout = layoutTopology(graph);
  const node = (id: string) => layout.nodes.find((n) => n.id === id)!;

  it("draws external networks above routers, routers above networks, instances below", () => {
    expect(node("pub").y).toBeLessThan(node("r1").y);
    expect(node("r1").y).toBeLessThan(node("a").y);
    expect(node("a").y).toBeLessThan(node("i1").y);
    expect(node("r2").y).toBe(node("r1").y);
  });

  it("puts each instance under its first port's network and no two nodes on top of each other", () => {
    for (const [instance, network] of [
      ["i1", "a"],
      ["i2", "a"],
      ["i3", "b"],
    ] as const) {
      expect(node(instance).x).toBeGreaterThanOrEqual(node(network).x);
      expect(node(instance).x + node(instance).width).toBeLessThanOrEqual(node(network).x + node(network).width);
    }
    for (const a of layout.nodes) for (const b of layout.nodes) if (a !== b) expect(overlap(a, b), `${a.id} and ${b.id}`).toBe(false);
    for (const n of layout.nodes) expect(n.x + n.width).toBeLessThanOrEqual(layout.width);
  });

  it("draws an edge per gateway, interface and port", () => {
    expect(layout.edges.filter((e) => e.kind === "gateway")).toEqual([{ from: "r1", to: "pub", kind: "gateway", index: 0 }]);
    expect(layout.edges.filter((e) => e.kind === "interface")).toHaveLength(3);
    expect(layout.edges.filter((e) => e.from === "i2").map((e) => e.to)).toEqual(["a", "b"]);
    expect(node("lonely")).toBeDefined();
  });

  it("keeps an empty project drawable", () => {
    const empty = layoutTopology({ networks: [], routers: [], instances: [] });
    expect(empty.nodes).toEqual([]);
    expect(empty.width).toBeGreaterThan(0);
  });
});
