/**
 * Horizon's Network Topology, as data: the caller's project's networks (its own, and the shared
 * or external ones it has ports on or its routers use), its routers with their interfaces and
 * gateways, and its instances with their ports and floating IPs. Read in a fixed number of
 * queries whatever the project holds (routers, ports, instances, floating IPs, then the
 * networks and subnets they name), and only ever the project's rows: another project's instances
 * on a shared network, and its routers on an external one, never appear.
 */
import { schema } from "@nimbus/db";
import { and, asc, eq, inArray, isNull, or } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import { displayStatus, type TaskState, type VmState } from "../instance/state-machine";
import { authorize } from "../policy";
import { DEVICE_OWNER } from "./router-rules";

export interface TopologyNetwork {
  id: string;
  name: string;
  /** Neutron's router:external: drawn above the routers. */
  external: boolean;
  shared: boolean;
  /** The project's own (false: a shared or external network it uses). */
  own: boolean;
  subnets: { id: string; name: string; cidr: string }[];
}

export interface TopologyRouter {
  id: string;
  name: string;
  /** Its gateway's external network and address there; null: no gateway. */
  gateway: { networkId: string; ipAddresses: string[] } | null;
  /** One per attached subnet: the subnet's gateway address on the router. */
  interfaces: { portId: string; networkId: string; subnetId: string; ipAddress: string }[];
}

export interface TopologyInstance {
  id: string;
  name: string;
  /** Nova's status (ACTIVE, SHUTOFF, BUILD, ERROR, …). */
  status: string;
  ports: { id: string; networkId: string; subnetId: string; ipAddress: string; macAddress: string; floatingIps: string[] }[];
}

export interface NetworkTopology {
  networks: TopologyNetwork[];
  routers: TopologyRouter[];
  instances: TopologyInstance[];
}

/** The project's network topology (readers may see it). */
export async function getNetworkTopology({ ctx }: { ctx: CoreContext }): Promise<NetworkTopology> {
  const principal = authorize(ctx.principal, "networks.topology");
  const { projectId } = principal;
  const db = ctx.db;
  const [routers, ports, instances, floatingIps] = await Promise.all([
    db.select().from(schema.routers).where(eq(schema.routers.projectId, projectId)).orderBy(asc(schema.routers.name), asc(schema.routers.id)),
    // The project's ports but its floating IPs' own (those are drawn as the addresses they are).
    db
      .select()
      .from(schema.ports)
      .where(
        and(
          eq(schema.ports.projectId, projectId),
          or(isNull(schema.ports.deviceOwner), inArray(schema.ports.deviceOwner, [DEVICE_OWNER.routerInterface, DEVICE_OWNER.routerGateway])),
        ),
      )
      .orderBy(asc(schema.ports.createdAt), asc(schema.ports.id)),
    db
      .select({
        id: schema.instances.id,
        name: schema.instances.name,
        vmState: schema.instances.vmState,
        taskState: schema.instances.taskState,
      })
      .from(schema.instances)
      .where(and(eq(schema.instances.projectId, projectId), isNull(schema.instances.deletedAt)))
      .orderBy(asc(schema.instances.name), asc(schema.instances.id)),
    db
      .select({ portId: schema.floatingIps.portId, address: schema.floatingIps.floatingIpAddress })
      .from(schema.floatingIps)
      .where(eq(schema.floatingIps.projectId, projectId))
      .orderBy(asc(schema.floatingIps.floatingIpAddress)),
  ]);

  const used = new Set<string>([...ports.map((p) => p.networkId), ...routers.flatMap((r) => (r.externalNetworkId ? [r.externalNetworkId] : []))]);
  const networks = await db
    .select()
    .from(schema.networks)
    .where(
      used.size > 0 ? or(eq(schema.networks.projectId, projectId), inArray(schema.networks.id, [...used])) : eq(schema.networks.projectId, projectId),
    )
    .orderBy(asc(schema.networks.name), asc(schema.networks.id));
  const subnets =
    networks.length === 0
      ? []
      : await db
          .select({ id: schema.subnets.id, networkId: schema.subnets.networkId, name: schema.subnets.name, cidr: schema.subnets.cidr })
          .from(schema.subnets)
          .where(
            inArray(
              schema.subnets.networkId,
              networks.map((n) => n.id),
            ),
          )
          .orderBy(asc(schema.subnets.createdAt), asc(schema.subnets.id));

  const floatingOf = new Map<string, string[]>();
  for (const f of floatingIps) if (f.portId) floatingOf.set(f.portId, [...(floatingOf.get(f.portId) ?? []), f.address]);

  return {
    networks: networks.map((n) => ({
      id: n.id,
      name: n.name,
      external: n.routerExternal,
      shared: n.shared,
      own: n.projectId === projectId,
      subnets: subnets.filter((s) => s.networkId === n.id).map(({ id, name, cidr }) => ({ id, name, cidr })),
    })),
    routers: routers.map((r) => {
      const own = ports.filter((p) => p.routerId === r.id);
      return {
        id: r.id,
        name: r.name,
        gateway: r.externalNetworkId
          ? {
              networkId: r.externalNetworkId,
              ipAddresses: own.filter((p) => p.deviceOwner === DEVICE_OWNER.routerGateway).map((p) => p.ipAddress),
            }
          : null,
        interfaces: own
          .filter((p) => p.deviceOwner === DEVICE_OWNER.routerInterface)
          .map((p) => ({ portId: p.id, networkId: p.networkId, subnetId: p.subnetId, ipAddress: p.ipAddress })),
      };
    }),
    instances: instances.map((i) => ({
      id: i.id,
      name: i.name,
      status: displayStatus(i.vmState as VmState, i.taskState as TaskState | null),
      ports: ports
        .filter((p) => p.instanceId === i.id && p.deviceOwner === null)
        .map((p) => ({
          id: p.id,
          networkId: p.networkId,
          subnetId: p.subnetId,
          ipAddress: p.ipAddress,
          macAddress: p.macAddress,
          floatingIps: floatingOf.get(p.id) ?? [],
        })),
    })),
  };
}
