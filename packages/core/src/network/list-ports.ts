import { schema, type Executor } from "@nimbus/db";
import { and, asc, eq, inArray, or, sql, type SQL } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import type { Principal } from "../policy";
import { authorize } from "../policy";
import { NimbusError, parseInput } from "../errors";
import { eachOnce, idInput, MAX_LIST_LIMIT, pageInput, text } from "../validation";
import { containsText, enumPart, keyset, textPart, timestampPart } from "../paging/keyset";
import { DEFAULT_AVAILABILITY_ZONE } from "../scheduler/filters";

export const PORT_SORT_KEYS = ["created_at", "ip_address", "status"] as const;
export type PortSortKey = (typeof PORT_SORT_KEYS)[number];

/** The port list's filters (Neutron's that Nimbus keeps in SQL) and page. */
export const listPortsInput = z
  .object({
    ...pageInput(PORT_SORT_KEYS, { sort: "created_at", direction: "asc", limit: 20 }),
    /** A page after this port (Neutron's marker): one of the project's, or a BadRequest. */
    marker: z.uuid("Not a port id.").optional(),
    /** The page before `marker` instead of after it (Neutron's page_reverse). */
    beforeMarker: z.boolean().default(false),
    networkId: z.uuid("Not a network id.").optional(),
    /** The ports of one instance (Neutron's `device_id`). */
    instanceId: z.uuid("Not an instance id.").optional(),
    /** The ports of one instance or router (Neutron's `device_id` as a filter). */
    deviceId: z.uuid("Not a device id.").optional(),
    ids: z.array(z.uuid("Not a port id.")).max(100).refine(eachOnce(), "Name each port once.").optional(),
    status: z.enum(schema.portStatus.enumValues).optional(),
    macAddress: text("MAC address").max(64).optional(),
    ipAddress: text("IP address").max(64).optional(),
    /** Addresses that contain this text (the console's filter, Neutron's ip_address_substr). */
    ipAddressContains: text("IP address").max(64).optional(),
  })
  .default({ sort: "created_at", direction: "asc", limit: 20, beforeMarker: false });
export type ListPortsInput = z.input<typeof listPortsInput>;

interface PortFilters {
  networkId?: string;
  instanceId?: string;
  id?: string;
}

/** A port list's orders, each ending in the id. Migration `more_list_indexes` indexes them per project. */
const portKeyset = keyset<PortSortKey>({
  keys: {
    created_at: [timestampPart(sql`${schema.ports.createdAt}`)],
    ip_address: [textPart(sql`${schema.ports.ipAddress}`)],
    status: [enumPart(sql`${schema.ports.status}`, "port_status", schema.portStatus.enumValues)],
  },
  id: sql`${schema.ports.id}`,
  idCast: (v) => sql`${v}::uuid`,
});

/**
 * The project's ports (all, or those the filters name): address, MAC, status, instance, its
 * availability zone and security groups. The instance's host is named to cloud admins only, as
 * Neutron shows `binding:host_id` and Nova the host: to others it is null.
 */
export async function portsOf(
  db: Executor,
  principal: Pick<Principal, "projectId" | "isAdmin">,
  filters: PortFilters = {},
  page?: { where: (SQL | undefined)[]; select: SQL<string[]>; orderBy: SQL[]; limit: number },
) {
  const query = db
    .select({
      _keyset: page?.select ?? sql<string[]>`array[]::text[]`,
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
        ...(page?.where ?? []),
      ),
    )
    .orderBy(...(page?.orderBy ?? [asc(schema.networks.name), asc(schema.ports.createdAt), asc(schema.ports.id)]));
  const rows = page ? await query.limit(page.limit) : await query;
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
  return rows.map(({ _keyset, port, networkName, subnetName, cidr, instanceName, requestedZone, hostName, hostZone }) => ({
    _keyset,
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
export type PortSummary = Omit<Awaited<ReturnType<typeof portsOf>>[number], "_keyset">;

/**
 * A page of Neutron's port list for the caller's project, filtered, sorted and paged in SQL: all
 * its ports, or those the filters name, after `marker` (one of the project's ports) or at `cursor`.
 */
export async function listPortPage({ ctx, input }: { ctx: CoreContext; input?: ListPortsInput }) {
  const principal = authorize(ctx.principal, "ports.list");
  const value = parseInput(listPortsInput, input);
  const p = schema.ports;
  const where = [
    value.ids ? inArray(p.id, value.ids) : undefined,
    value.deviceId ? or(eq(p.instanceId, value.deviceId), eq(p.routerId, value.deviceId)) : undefined,
    value.status ? eq(p.status, value.status) : undefined,
    value.macAddress !== undefined ? eq(p.macAddress, value.macAddress) : undefined,
    value.ipAddress !== undefined ? eq(p.ipAddress, value.ipAddress) : undefined,
    value.ipAddressContains ? containsText(sql`${p.ipAddress}`, value.ipAddressContains) : undefined,
  ];
  const request = await portKeyset.fromMarker(
    value,
    value.marker,
    async (select) =>
      (
        await ctx.db
          .select({ id: p.id, _keyset: select })
          .from(p)
          .where(and(eq(p.id, value.marker!), eq(p.projectId, principal.projectId)))
      )[0],
    () => NimbusError.badRequest(`Invalid marker: port ${value.marker} is not in this list.`, [{ path: "marker", message: "No such port." }]),
    value.beforeMarker,
  );
  return portKeyset.run(request, ({ select, where: bound, orderBy, limit }) =>
    portsOf(ctx.db, principal, { networkId: value.networkId, instanceId: value.instanceId }, { where: [...where, bound], select, orderBy, limit }),
  );
}

/** Neutron's port list as one list: listPortPage's first page, at most `limit` (at most MAX_LIST_LIMIT). */
export async function listPorts({ ctx, input }: { ctx: CoreContext; input?: ListPortsInput }): Promise<PortSummary[]> {
  return (await listPortPage({ ctx, input: { ...input, limit: input?.limit ?? MAX_LIST_LIMIT } })).items;
}

/** One of the project's ports; another project's is NotFound. */
export async function getPort({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<PortSummary> {
  const principal = authorize(ctx.principal, "ports.get");
  const { id } = parseInput(idInput, input);
  const [row] = await portsOf(ctx.db, principal, { id });
  if (!row) throw NimbusError.notFound("Port", id);
  const { _keyset: _, ...port } = row;
  return port;
}
