"use client";

import { Anchor, Table } from "@mantine/core";
import Link from "next/link";
import { type NetworkTopology, topologyHref, topologyNames } from "./topology-names";

/** The topology in rows: what each resource is and what it is joined to (the drawing's text alternative). */
export function TopologyTable({ graph }: { graph: NetworkTopology }) {
  const names = topologyNames(graph);
  const rows = [
    ...graph.networks
      .filter((n) => n.external)
      .map((n) => ({ key: n.id, kind: "External network", name: n.name || n.id, href: topologyHref.network(n.id), joins: names.network(n) })),
    ...graph.routers.map((r) => ({ key: r.id, kind: "Router", name: r.name || r.id, href: topologyHref.router(), joins: names.router(r) })),
    ...graph.networks
      .filter((n) => !n.external)
      .map((n) => ({ key: n.id, kind: "Network", name: n.name || n.id, href: topologyHref.network(n.id), joins: names.network(n) })),
    ...graph.instances.map((i) => ({ key: i.id, kind: "Instance", name: i.name, href: topologyHref.instance(i.id), joins: names.instance(i) })),
  ];
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table aria-label="Network topology as a table" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Kind</Table.Th>
            <Table.Th scope="col">Name</Table.Th>
            <Table.Th scope="col">Description</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={row.key}>
              <Table.Td>{row.kind}</Table.Td>
              <Table.Td>
                <Anchor component={Link} href={row.href} size="sm">
                  {row.name}
                </Anchor>
              </Table.Td>
              <Table.Td>{row.joins}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
