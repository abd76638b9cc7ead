import { schema, type Executor } from "@nimbus/db";
import { and, asc, eq, inArray, sql } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import type { Principal } from "../policy";
import { authorize } from "../policy";
import { NimbusError, parseInput } from "../errors";
import { idInput } from "../validation";
import { DEFAULT_AVAILABILITY_ZONE } from "../scheduler/filters";

export const listPortsInput = z
  .object({
    networkId: z.uuid("Not a network id.").optional(),
    /** The ports of one instance (Neutron's `device_id`). */
    instanceId: z.uuid("Not an instance id.").optional(),
  })
  .optional();

interface PortFilters {
  networkId?: string;
  instanceId?: string;
  id?: string;
}

/**
 * The project's ports (all, or those the filters name): address, MAC, status, instance, its
 * availability zone and security groups. The instance's host is named to cloud admins only, as
 * Neutron shows `binding:host_id` and Nova the host: to others it is null.
 */
export async function portsOf(db: Executor, principal: Pick<Principal, "projectId" | "isAdmin">, filters: PortFilters = {}) {
  const rows = await db
    .select({
      port: schema.ports,
      networkName: schema.networks.name,
      subnetName: schema.subnets.name,
      cidr: schema.subnets.cidr,
      instanceName: schema.instances.name,
      requestedZone: schema.instances.availabilityZone,
      hostName: schema.computeHosts.hostname,
      // The zone of the aggregate the host is in (Nova's instance AZ once scheduled).
      hostZone: sql<string | null>`(select ${schema.aggregates.availabilityZone} from ${schema.aggregateHosts}
        join ${schema.aggregates} on ${schema.aggregates.id} = ${schema.aggregateHosts.aggregateId}
        where ${schema.aggregateHosts.hostId} = ${schema.instances.hostId} and ${schema.aggregates.availabilityZone} is not null
        order by ${schema.aggregates.name} limit 1)`,
    })
    .from(schema.ports)
    .innerJoin(schema.networks, eq(schema.networks.id, schema.ports.networkId))
    .innerJoin(schema.subnets, eq(schema.subnets.id, schema.ports.subnetId))
    .leftJoin(schema.instances, eq(schema.instances.id, schema.ports.instanceId))
    .leftJoin(schema.computeHosts, eq(schema.computeHosts.id, schema.instances.hostId))
    .where(
      and(
        eq(schema.ports.projectId, principal.projectId),
        filters.networkId ? eq(schema.ports.networkId, filters.networkId) : undefined,
        filters.instanceId ? eq(schema.ports.instanceId, filters.instanceId) : undefined,
        filters.id ? eq(schema.ports.id, filters.id) : undefined,
      ),
    )
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
  return rows.map(({ port, networkName, subnetName, cidr, instanceName, requestedZone, hostName, hostZone }) => ({
    id: port.id,
    projectId: port.projectId,
    networkId: port.networkId,
    networkName,
    subnetId: port.subnetId,
    subnetName,
    cidr,
    ipAddress: port.ipAddress,
    macAddress: port.macAddress,
    status: port.status,
    instanceId: port.instanceId,
    /** Neutron's device_owner of a router's or floating IP's port (null: an instance's or free-standing). */
    deviceOwner: port.deviceOwner,
    /** The router of a router_interface or router_gateway port. */
    routerId: port.routerId,
    instanceName,
    /** The instance's availability zone: its host's, else the one it asked for, else the default. */
    availabilityZone: port.instanceId ? (hostZone ?? requestedZone ?? DEFAULT_AVAILABILITY_ZONE) : null,
    /** The host the instance is on (cloud admins only; null for others and for ports of no host). */
    hostName: principal.isAdmin ? hostName : null,
    securityGroups: groups.filter((g) => g.portId === port.id).map(({ id, name }) => ({ id, name })),
    createdAt: port.createdAt,
  }));
}
export type PortSummary = Awaited<ReturnType<typeof portsOf>>[number];

/** Neutron's port list, for the caller's project: all its ports, or those of one network or instance. */
export async function listPorts({ ctx, input }: { ctx: CoreContext; input?: z.input<typeof listPortsInput> }): Promise<PortSummary[]> {
  const principal = authorize(ctx.principal, "ports.list");
  const value = parseInput(listPortsInput, input);
  return portsOf(ctx.db, principal, { networkId: value?.networkId, instanceId: value?.instanceId });
}

/** One of the project's ports; another project's is NotFound. */
export async function getPort({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<PortSummary> {
  const principal = authorize(ctx.principal, "ports.get");
  const { id } = parseInput(idInput, input);
  const [port] = await portsOf(ctx.db, principal, { id });
  if (!port) throw NimbusError.notFound("Port", id);
  return port;
}
