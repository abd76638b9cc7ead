import { schema, type Executor } from "@nimbus/db";
import { and, asc, eq, inArray } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import { authorize } from "../policy";
import { parseInput } from "../errors";

export const listPortsInput = z.object({ networkId: z.uuid("Not a network id.").optional() }).optional();

/** The project's ports (on one network, or all): address, MAC, status, instance and security groups. */
export async function portsOf(db: Executor, projectId: string, networkId?: string) {
  const rows = await db
    .select({
      port: schema.ports,
      networkName: schema.networks.name,
      subnetName: schema.subnets.name,
      cidr: schema.subnets.cidr,
      instanceName: schema.instances.name,
    })
    .from(schema.ports)
    .innerJoin(schema.networks, eq(schema.networks.id, schema.ports.networkId))
    .innerJoin(schema.subnets, eq(schema.subnets.id, schema.ports.subnetId))
    .leftJoin(schema.instances, eq(schema.instances.id, schema.ports.instanceId))
    .where(and(eq(schema.ports.projectId, projectId), networkId ? eq(schema.ports.networkId, networkId) : undefined))
    .orderBy(asc(schema.networks.name), asc(schema.ports.createdAt), asc(schema.ports.id));
  const groups = rows.length
    ? await db
        .select({ portId: schema.portSecurityGroups.portId, id: schema.securityGroups.id, name: schema.securityGroups.name })
        .from(schema.portSecurityGroups)
        .innerJoin(schema.securityGroups, eq(schema.securityGroups.id, schema.portSecurityGroups.groupId))
        .where(
          inArray(
            schema.portSecurityGroups.portId,
            rows.map((r) => r.port.id),
          ),
        )
        .orderBy(asc(schema.securityGroups.name))
    : [];
  return rows.map(({ port, networkName, subnetName, cidr, instanceName }) => ({
    id: port.id,
    networkId: port.networkId,
    networkName,
    subnetId: port.subnetId,
    subnetName,
    cidr,
    ipAddress: port.ipAddress,
    macAddress: port.macAddress,
    status: port.status,
    instanceId: port.instanceId,
    instanceName,
    securityGroups: groups.filter((g) => g.portId === port.id).map(({ id, name }) => ({ id, name })),
    createdAt: port.createdAt,
  }));
}
export type PortSummary = Awaited<ReturnType<typeof portsOf>>[number];

/** Neutron's port list, for the caller's project. */
export async function listPorts({ ctx, input }: { ctx: CoreContext; input?: z.input<typeof listPortsInput> }): Promise<PortSummary[]> {
  const principal = authorize(ctx.principal, "ports.list");
  const value = parseInput(listPortsInput, input);
  return portsOf(ctx.db, principal.projectId, value?.networkId);
}
