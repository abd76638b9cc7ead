"use client";

import { useRouter } from "next/navigation";
import type { MouseEvent } from "react";
import { type LaidNode, layoutTopology } from "./topology-layout";
import { type NetworkTopology, topologyHref, topologyNames } from "./topology-names";

const STYLE = {
  external: { fill: "var(--mantine-color-blue-1)", stroke: "var(--mantine-color-blue-8)", caption: "External network" },
  router: { fill: "var(--mantine-color-orange-1)", stroke: "var(--mantine-color-orange-9)", caption: "Router" },
  network: { fill: "var(--mantine-color-teal-1)", stroke: "var(--mantine-color-teal-9)", caption: "Network" },
  instance: { fill: "var(--mantine-color-gray-1)", stroke: "var(--mantine-color-gray-8)", caption: "Instance" },
} as const;

const truncate = (text: string, max = 20) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Horizon's Network Topology as SVG: every node a link (keyboard-focusable, named in one
 * sentence of what it is and what it joins) to the resource's page; the lines carry the
 * addresses. The table after it says the same in rows.
 */
export function TopologyGraph({ graph, label }: { graph: NetworkTopology; label: string }) {
  const router = useRouter();
  const layout = layoutTopology(graph);
  const names = topologyNames(graph);
  const byId = new Map(layout.nodes.map((n) => [n.id, n]));

  const nodeInfo = (node: LaidNode): { name: string; title: string; subtitle: string; href: string } => {
    if (node.kind === "router") {
      const r = graph.routers.find((x) => x.id === node.id)!;
      return {
        name: names.router(r),
        title: r.name || r.id,
        subtitle: r.gateway ? `gateway ${r.gateway.ipAddresses[0] ?? ""}` : "no gateway",
        href: topologyHref.router(),
      };
    }
    if (node.kind === "instance") {
      const i = graph.instances.find((x) => x.id === node.id)!;
      return { name: names.instance(i), title: i.name, subtitle: i.status, href: topologyHref.instance(i.id) };
    }
    const n = graph.networks.find((x) => x.id === node.id)!;
    return {
      name: names.network(n),
      title: n.name || n.id,
      subtitle: n.subnets.map((s) => s.cidr).join(", ") || "no subnet",
      href: topologyHref.network(n.id),
    };
  };

  const go = (href: string) => (event: MouseEvent) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    router.push(href);
  };

  const edgeLabel = (from: string, kind: string, index: number): string => {
    if (kind === "port") {
      const port = graph.instances.find((i) => i.id === from)?.ports[index];
      return port ? [port.ipAddress, ...port.floatingIps].join(" / ") : "";
    }
    const r = graph.routers.find((x) => x.id === from);
    if (kind === "gateway") return r?.gateway?.ipAddresses[0] ?? "";
    return r?.interfaces[index]?.ipAddress ?? "";
  };

  return (
    <svg
      aria-label={label}
      width={layout.width}
      height={layout.height}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      style={{ maxWidth: "none", display: "block" }}
      className="nimbus-topology"
    >
      {/* biome-ignore lint/a11y/noAriaHiddenOnFocusable: lines and their address labels are drawing only (nothing in them takes focus); the node names and the table say it in words */}
      <g aria-hidden="true">
        {layout.edges.map((edge) => {
          const a = byId.get(edge.from)!;
          const b = byId.get(edge.to)!;
          // From the owner's top (instances, routers to their interfaces' networks below: their bottom) to the network's near side.
          const down = b.y > a.y;
          const x1 = a.x + a.width / 2;
          const y1 = down ? a.y + a.height : a.y;
          const x2 = Math.min(Math.max(x1, b.x + 12), b.x + b.width - 12);
          const y2 = down ? b.y : b.y + b.height;
          const text = edgeLabel(edge.from, edge.kind, edge.index);
          return (
            <g key={`${edge.from}-${edge.kind}-${edge.index}`}>
              <line
                x1={x1}
                y1={y1}
                x2={x2}
                y2={y2}
                stroke="var(--mantine-color-gray-6)"
                strokeWidth={2}
                strokeDasharray={edge.kind === "gateway" ? "6 4" : undefined}
              />
              {text && (
                <text x={(x1 + x2) / 2 + 4} y={(y1 + y2) / 2} fontSize={11} fill="var(--mantine-color-text)" fontFamily="monospace">
                  {text}
                </text>
              )}
            </g>
          );
        })}
      </g>
      {layout.nodes.map((node) => {
        const style = STYLE[node.kind];
        const { name, title, subtitle, href } = nodeInfo(node);
        return (
          <a key={node.id} href={href} aria-label={name} onClick={go(href)} className="nimbus-topology-node">
            <title>{name}</title>
            <rect
              x={node.x}
              y={node.y}
              width={node.width}
              height={node.height}
              rx={node.kind === "router" ? 22 : 6}
              fill={style.fill}
              stroke={style.stroke}
              strokeWidth={1.5}
            />
            <text x={node.x + 10} y={node.y + 18} fontSize={13} fontWeight={600} fill="var(--mantine-color-text)">
              {truncate(`${style.caption === "Instance" ? "" : `${style.caption}: `}${title}`, Math.floor(node.width / 7.5))}
            </text>
            <text x={node.x + 10} y={node.y + 34} fontSize={11} fill="var(--mantine-color-dimmed)">
              {truncate(subtitle, Math.floor(node.width / 6.5))}
            </text>
          </a>
        );
      })}
    </svg>
  );
}
