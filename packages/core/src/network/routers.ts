/**
 * Neutron's routers (the L3 API): a project's router takes its subnets as interfaces (the
 * subnet's gateway address becomes a `network:router_interface` port of the router) and a
 * gateway on an external network (a `network:router_gateway` port with an address of its
 * subnet); it routes between its subnets and SNATs them out through the gateway.
 *
 * Where routers run: legacy centralised routing, one host per router, chosen here (see
 * `chooseRouterHost`) when the router first needs to exist somewhere (an interface or a
 * gateway) or when its host can no longer take it (its gateway's physical network). The host's
 * agent builds it from the router list the router sweep sends it (router-sync.ts); every change
 * here only writes rows, so a failure leaves nothing half-built on any host.
 */
import { rowsOf, schema, type Executor } from "@nimbus/db";
import { and, asc, eq, inArray, sql } from "@nimbus/db/orm";
import type { NetworkRow, PortRow, RouterRow, SubnetRow } from "@nimbus/db/schema";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { pgErrorOf, UNIQUE_VIOLATION } from "../pg-errors";
import { isUp } from "../placement/usage";
import { authorize, type Principal } from "../policy";
import { lockProject } from "../quota/enforce";
import { idInput, text } from "../validation";
import { allocatePort, randomMac } from "./ports";
import { chooseRouterHost, DEVICE_OWNER, gatewayRefusal, interfaceRefusal, ROUTER_QUOTA } from "./router-rules";
import { networkChange } from "./announce-change";

const routerName = text("Name").trim().max(255, "Use at most 255 characters.");

/** A router's external gateway as asked: the external network, and whether to SNAT (default yes). */
export const externalGatewayInput = z.object({ networkId: z.uuid("Not a network id."), enableSnat: z.boolean().default(true) }).nullable();

export const createRouterInput = z.object({
  name: routerName.default(""),
  description: text("Description").max(255, "Use at most 255 characters.").default(""),
  externalGateway: externalGatewayInput.default(null),
});

export const updateRouterInput = z.object({
  id: z.uuid("Not a router id."),
  name: routerName.optional(),
  description: text("Description").max(255, "Use at most 255 characters.").optional(),
  /** Absent: unchanged; null: the gateway is cleared. */
  externalGateway: externalGatewayInput.optional(),
});

/** An interface: a subnet (its gateway address goes to the router) or, as Neutron also takes, a port of it. */
export const routerInterfaceInput = z
  .object({ id: z.uuid("Not a router id."), subnetId: z.uuid("Not a subnet id.").optional(), portId: z.uuid("Not a port id.").optional() })
  .refine((v) => (v.subnetId === undefined) !== (v.portId === undefined), "Give either a subnet or a port, not both.");

/** A router as the API shows it. */
export interface RouterSummary {
  id: string;
  projectId: string;
  name: string;
  description: string;
  status: "ACTIVE";
  externalGateway: {
    networkId: string;
    enableSnat: boolean;
    /** The gateway port's address on the external subnet. */
    fixedIps: { subnetId: string; ipAddress: string }[];
  } | null;
  /** The host it runs on (cloud admins only; null for others and when unscheduled). */
  host: string | null;
  interfaces: { portId: string; subnetId: string; networkId: string; ipAddress: string }[];
  createdAt: Date;
  updatedAt: Date;
}

async function summarize(db: Executor, principal: Principal, routers: RouterRow[]): Promise<RouterSummary[]> {
  if (routers.length === 0) return [];
  const ids = routers.map((r) => r.id);
  const [ports, hosts] = await Promise.all([
    db.select().from(schema.ports).where(inArray(schema.ports.routerId, ids)).orderBy(asc(schema.ports.createdAt)),
    principal.isAdmin
      ? db.select({ id: schema.computeHosts.id, hostname: schema.computeHosts.hostname }).from(schema.computeHosts)
      : Promise.resolve([]),
  ]);
  return routers.map((router) => {
    const own = ports.filter((p) => p.routerId === router.id);
    const gateway = own.find((p) => p.deviceOwner === DEVICE_OWNER.routerGateway);
    return {
      id: router.id,
      projectId: router.projectId,
      name: router.name,
      description: router.description,
      status: "ACTIVE",
      externalGateway: router.externalNetworkId
        ? {
            networkId: router.externalNetworkId,
            enableSnat: router.enableSnat,
            fixedIps: gateway ? [{ subnetId: gateway.subnetId, ipAddress: gateway.ipAddress }] : [],
          }
        : null,
      host: hosts.find((h) => h.id === router.hostId)?.hostname ?? null,
      interfaces: own
        .filter((p) => p.deviceOwner === DEVICE_OWNER.routerInterface)
        .map((p) => ({ portId: p.id, subnetId: p.subnetId, networkId: p.networkId, ipAddress: p.ipAddress })),
      createdAt: router.createdAt,
      updatedAt: router.updatedAt,
    };
  });
}

/** A router of the caller's project (another project's is NotFound, as Neutron's policy hides it). */
export async function findRouter(tx: Executor, principal: Principal, id: string, lock = false): Promise<RouterRow> {
  const query = tx
    .select()
    .from(schema.routers)
    .where(and(eq(schema.routers.id, id), eq(schema.routers.projectId, principal.projectId)));
  const [router] = lock ? await query.for("update") : await query;
  if (!router) throw NimbusError.notFound("Router", id);
  return router;
}

export async function listRouters({ ctx }: { ctx: CoreContext }): Promise<RouterSummary[]> {
  const principal = authorize(ctx.principal, "routers.list");
  const rows = await ctx.db
    .select()
    .from(schema.routers)
    .where(eq(schema.routers.projectId, principal.projectId))
    .orderBy(asc(schema.routers.name), asc(schema.routers.createdAt));
  return summarize(ctx.db, principal, rows);
}

export async function getRouter({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<RouterSummary> {
  const principal = authorize(ctx.principal, "routers.get");
  const { id } = parseInput(idInput, input);
  const [summary] = await summarize(ctx.db, principal, [await findRouter(ctx.db, principal, id)]);
  return summary!;
}

/** An external network any project may use as a gateway or take floating IPs from. */
export async function findExternalNetwork(tx: Executor, id: string): Promise<NetworkRow> {
  const [network] = await tx.select().from(schema.networks).where(eq(schema.networks.id, id));
  if (!network) throw NimbusError.notFound("Network", id);
  return network;
}

/** Gives the router a gateway on `networkId` (an address of its first subnet with one free), or takes it away (null). */
async function setGateway(ctx: CoreContext, tx: Executor, router: RouterRow, gateway: z.output<typeof externalGatewayInput>): Promise<void> {
  const current = router.externalNetworkId;
  if (gateway && current === gateway.networkId) {
    if (gateway.enableSnat !== router.enableSnat) {
      await tx.update(schema.routers).set({ enableSnat: gateway.enableSnat, updatedAt: new Date() }).where(eq(schema.routers.id, router.id));
    }
    return;
  }
  if (current) {
    // Neutron's RouterExternalGatewayInUseByFloatingIP.
    const [used] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(schema.floatingIps)
      .where(and(eq(schema.floatingIps.routerId, router.id), sql`${schema.floatingIps.portId} is not null`));
    if (Number(used?.n ?? 0) > 0) {
      throw NimbusError.conflict(
        `Gateway cannot be updated for router ${router.id}, since a gateway to external network ${current} is required by one or more floating IPs: disassociate them first.`,
      );
    }
    await tx.delete(schema.ports).where(and(eq(schema.ports.routerId, router.id), eq(schema.ports.deviceOwner, DEVICE_OWNER.routerGateway)));
  }
  if (gateway) {
    const network = await findExternalNetwork(tx, gateway.networkId);
    const subnets = await tx.select().from(schema.subnets).where(eq(schema.subnets.networkId, network.id)).orderBy(schema.subnets.createdAt);
    const refusal = gatewayRefusal(network, subnets.length);
    if (refusal) throw NimbusError.badRequest(refusal, [{ path: "externalGateway.networkId", message: refusal }]);
    const port = await allocatePort(tx, { networkId: network.id, projectId: router.projectId, instanceId: null, securityGroupIds: [] }, subnets);
    await tx
      .update(schema.ports)
      .set({ deviceOwner: DEVICE_OWNER.routerGateway, routerId: router.id, status: "ACTIVE" })
      .where(eq(schema.ports.id, port.id));
  }
  await tx
    .update(schema.routers)
    .set({ externalNetworkId: gateway?.networkId ?? null, enableSnat: gateway?.enableSnat ?? true, updatedAt: new Date() })
    .where(eq(schema.routers.id, router.id));
  await audit(ctx, tx, {
    action: "router.gateway",
    outcome: "success",
    targetType: "router",
    targetId: router.id,
    details: { network: gateway?.networkId ?? null },
  });
}

/**
 * Places the router on a host if it has something to run (an interface or a gateway) and no
 * host that can take it; the networks of its interfaces are marked so their forwarding entries
 * follow its ports to that host.
 */
export async function scheduleRouter(ctx: Pick<CoreContext, "hostDownAfterMs">, tx: Executor, routerId: string): Promise<void> {
  const [router] = await tx.select().from(schema.routers).where(eq(schema.routers.id, routerId));
  if (!router) return;
  const ports = await tx.select().from(schema.ports).where(eq(schema.ports.routerId, routerId));
  let hostId: string | null = null;
  if (ports.length > 0) {
    const physicalNetwork = router.externalNetworkId
      ? ((await tx.select({ p: schema.networks.physicalNetwork }).from(schema.networks).where(eq(schema.networks.id, router.externalNetworkId)))[0]
          ?.p ?? null)
      : null;
    const hosts = rowsOf<{
      id: string;
      hostname: string;
      enabled: boolean;
      agent_session_id: string | null;
      last_heartbeat_at: string | null;
      tunnel_address: string | null;
      physical_networks: string[];
      routers: number;
    }>(
      await tx.execute(sql`
        select h.id, h.hostname, h.enabled, h.agent_session_id, h.last_heartbeat_at, h.tunnel_address, h.physical_networks,
          (select count(*)::int from ${schema.routers} r where r.host_id = h.id and r.id <> ${routerId}) as routers
        from ${schema.computeHosts} h`),
    );
    hostId = chooseRouterHost(
      hosts.map((h) => ({
        id: h.id,
        hostname: h.hostname,
        enabled: h.enabled,
        up: isUp(
          { agentSessionId: h.agent_session_id, lastHeartbeatAt: h.last_heartbeat_at ? new Date(h.last_heartbeat_at) : null },
          ctx.hostDownAfterMs,
        ),
        tunnelAddress: h.tunnel_address,
        physicalNetworks: h.physical_networks ?? [],
        routers: Number(h.routers),
      })),
      physicalNetwork,
      router.hostId,
    );
    // No host qualifies now: it stays where it is (or unscheduled) rather than nowhere.
    hostId ??= router.hostId;
  }
  if (hostId === router.hostId) return;
  await tx.update(schema.routers).set({ hostId }).where(eq(schema.routers.id, routerId));
  const networks = [...new Set(ports.filter((p) => p.deviceOwner === DEVICE_OWNER.routerInterface).map((p) => p.networkId))];
  if (networks.length > 0) {
    await tx.execute(sql`
      insert into ${schema.networkEntryChanges} (network_id)
      select jsonb_array_elements_text(${JSON.stringify(networks)}::jsonb)::uuid`);
  }
}

/** Neutron's router quota (10 a project), checked under the project's row lock in the inserting transaction. */
async function enforceRouterQuota(tx: Executor, projectId: string): Promise<void> {
  await lockProject(tx, projectId);
  const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(schema.routers).where(eq(schema.routers.projectId, projectId));
  const used = Number(row?.n ?? 0);
  if (used + 1 > ROUTER_QUOTA) {
    throw new NimbusError("QuotaExceeded", `Quota exceeded for routers: requested 1, already used ${used} of ${ROUTER_QUOTA}.`);
  }
}

export async function createRouter({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createRouterInput> }): Promise<RouterSummary> {
  const principal = authorize(ctx.principal, "routers.create");
  const value = parseInput(createRouterInput, input);
  return networkChange(ctx, { projectId: principal.projectId, resource: "router" }, async (tx) => {
    await enforceRouterQuota(tx, principal.projectId);
    const [router] = await tx
      .insert(schema.routers)
      .values({ projectId: principal.projectId, name: value.name, description: value.description })
      .returning();
    await audit(ctx, tx, { action: "router.create", outcome: "success", targetType: "router", targetId: router!.id, details: { name: value.name } });
    if (value.externalGateway) {
      await setGateway(ctx, tx, router!, value.externalGateway);
      await scheduleRouter(ctx, tx, router!.id);
    }
    const [fresh] = await tx.select().from(schema.routers).where(eq(schema.routers.id, router!.id));
    return (await summarize(tx, principal, [fresh!]))[0]!;
  });
}

export async function updateRouter({ ctx, input }: { ctx: CoreContext; input: z.input<typeof updateRouterInput> }): Promise<RouterSummary> {
  const principal = authorize(ctx.principal, "routers.update");
  const value = parseInput(updateRouterInput, input);
  return networkChange(ctx, { projectId: principal.projectId, resource: "router" }, async (tx) => {
    const router = await findRouter(tx, principal, value.id, true);
    if (value.name !== undefined || value.description !== undefined) {
      await tx
        .update(schema.routers)
        .set({ name: value.name ?? router.name, description: value.description ?? router.description, updatedAt: new Date() })
        .where(eq(schema.routers.id, router.id));
    }
    if (value.externalGateway !== undefined) {
      await setGateway(ctx, tx, router, value.externalGateway);
      await scheduleRouter(ctx, tx, router.id);
    }
    const [fresh] = await tx.select().from(schema.routers).where(eq(schema.routers.id, router.id));
    return (await summarize(tx, principal, [fresh!]))[0]!;
  });
}

/** Deletes a router without interfaces (Neutron's RouterInUse otherwise); its gateway port goes with it. */
export async function deleteRouter({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<{ id: string }> {
  const principal = authorize(ctx.principal, "routers.delete");
  const { id } = parseInput(idInput, input);
  return networkChange(ctx, { projectId: principal.projectId, resource: "router" }, async (tx) => {
    const router = await findRouter(tx, principal, id, true);
    const interfaces = await tx
      .select({ id: schema.ports.id })
      .from(schema.ports)
      .where(and(eq(schema.ports.routerId, id), eq(schema.ports.deviceOwner, DEVICE_OWNER.routerInterface)));
    if (interfaces.length > 0) {
      throw NimbusError.conflict(
        `Router ${router.name || id} still has ${interfaces.length === 1 ? "an interface" : `${interfaces.length} interfaces`}: remove ${interfaces.length === 1 ? "it" : "them"} first.`,
      );
    }
    await setGateway(ctx, tx, router, null);
    await tx.delete(schema.routers).where(eq(schema.routers.id, id));
    await audit(ctx, tx, { action: "router.delete", outcome: "success", targetType: "router", targetId: id, details: { name: router.name } });
    return { id };
  });
}

/** What Neutron answers for add_router_interface and remove_router_interface. */
export interface RouterInterfaceInfo {
  routerId: string;
  projectId: string;
  portId: string;
  subnetId: string;
  networkId: string;
}

/** The subnets already attached to a router, with their facts. */
async function attachedSubnets(tx: Executor, routerId: string): Promise<(SubnetRow & { portId: string })[]> {
  const rows = await tx
    .select({ subnet: schema.subnets, portId: schema.ports.id })
    .from(schema.ports)
    .innerJoin(schema.subnets, eq(schema.subnets.id, schema.ports.subnetId))
    .where(and(eq(schema.ports.routerId, routerId), eq(schema.ports.deviceOwner, DEVICE_OWNER.routerInterface)));
  return rows.map((r) => ({ ...r.subnet, portId: r.portId }));
}

/** A subnet of a network the caller's project may attach (its own, or a shared one's for admins). */
async function findSubnet(tx: Executor, principal: Principal, id: string): Promise<{ subnet: SubnetRow; network: NetworkRow }> {
  const [row] = await tx
    .select({ subnet: schema.subnets, network: schema.networks })
    .from(schema.subnets)
    .innerJoin(schema.networks, eq(schema.networks.id, schema.subnets.networkId))
    .where(eq(schema.subnets.id, id));
  const visible = row && (row.network.projectId === principal.projectId || row.network.shared || row.network.routerExternal);
  if (!row || !visible) throw NimbusError.notFound("Subnet", id);
  return row;
}

export async function addRouterInterface({
  ctx,
  input,
}: {
  ctx: CoreContext;
  input: z.input<typeof routerInterfaceInput>;
}): Promise<RouterInterfaceInfo> {
  const principal = authorize(ctx.principal, "routers.addInterface");
  const value = parseInput(routerInterfaceInput, input);
  return networkChange(ctx, { projectId: principal.projectId, resource: "router" }, async (tx) => {
    const router = await findRouter(tx, principal, value.id, true);
    let port: PortRow;
    if (value.subnetId) {
      const { subnet, network } = await findSubnet(tx, principal, value.subnetId);
      if (network.projectId !== principal.projectId && !principal.isAdmin) {
        throw NimbusError.forbidden(
          `Subnet ${subnet.name || subnet.id} is on a network of another project; only its owner may attach it to a router.`,
        );
      }
      const refusal = interfaceRefusal(router.id, { ...subnet, external: network.routerExternal }, await attachedSubnets(tx, router.id));
      if (refusal) throw NimbusError.badRequest(refusal, [{ path: "subnetId", message: refusal }]);
      try {
        const [made] = await tx.transaction((sp) =>
          sp
            .insert(schema.ports)
            .values({
              networkId: network.id,
              subnetId: subnet.id,
              projectId: router.projectId,
              macAddress: randomMac(),
              ipAddress: subnet.gatewayIp!,
              deviceOwner: DEVICE_OWNER.routerInterface,
              routerId: router.id,
              status: "ACTIVE",
            })
            .returning(),
        );
        port = made!;
      } catch (error) {
        if (pgErrorOf(error).code !== UNIQUE_VIOLATION) throw error;
        // Neutron's IpAddressInUse: another router (or a port) holds the gateway address.
        throw NimbusError.conflict(
          `Unable to complete operation for network ${network.id}. The IP address ${subnet.gatewayIp} is in use: the subnet's gateway is already on another router.`,
        );
      }
    } else {
      // A free-standing port of the project's network becomes the interface, with its own address.
      const [existing] = await tx
        .select()
        .from(schema.ports)
        .where(and(eq(schema.ports.id, value.portId!), eq(schema.ports.projectId, principal.projectId)));
      if (!existing) throw NimbusError.notFound("Port", value.portId!);
      if (existing.instanceId || existing.deviceOwner) {
        throw NimbusError.conflict(`Port ${existing.id} is in use (it belongs to ${existing.instanceId ? "an instance" : existing.deviceOwner}).`);
      }
      const { subnet, network } = await findSubnet(tx, principal, existing.subnetId);
      const refusal = interfaceRefusal(
        router.id,
        { ...subnet, external: network.routerExternal, gatewayIp: subnet.gatewayIp ?? existing.ipAddress },
        await attachedSubnets(tx, router.id),
      );
      if (refusal) throw NimbusError.badRequest(refusal, [{ path: "portId", message: refusal }]);
      await tx
        .update(schema.ports)
        .set({ deviceOwner: DEVICE_OWNER.routerInterface, routerId: router.id, status: "ACTIVE" })
        .where(eq(schema.ports.id, existing.id));
      port = existing;
    }
    await tx.update(schema.routers).set({ updatedAt: new Date() }).where(eq(schema.routers.id, router.id));
    await scheduleRouter(ctx, tx, router.id);
    await audit(ctx, tx, {
      action: "router.add_interface",
      outcome: "success",
      targetType: "router",
      targetId: router.id,
      details: { subnet: port.subnetId },
    });
    return { routerId: router.id, projectId: router.projectId, portId: port.id, subnetId: port.subnetId, networkId: port.networkId };
  });
}

export async function removeRouterInterface({
  ctx,
  input,
}: {
  ctx: CoreContext;
  input: z.input<typeof routerInterfaceInput>;
}): Promise<RouterInterfaceInfo> {
  const principal = authorize(ctx.principal, "routers.removeInterface");
  const value = parseInput(routerInterfaceInput, input);
  return networkChange(ctx, { projectId: principal.projectId, resource: "router" }, async (tx) => {
    const router = await findRouter(tx, principal, value.id, true);
    const attached = await attachedSubnets(tx, router.id);
    const match = attached.find((s) => (value.subnetId ? s.id === value.subnetId : s.portId === value.portId));
    if (!match) {
      throw value.subnetId
        ? NimbusError.notFound("Router interface for subnet", `${value.subnetId} on router ${router.id}`)
        : NimbusError.notFound("Router interface for port", `${value.portId} on router ${router.id}`);
    }
    // Neutron's RouterInterfaceInUseByFloatingIP.
    const [used] = rowsOf<{ n: number }>(
      await tx.execute(sql`
        select count(*)::int as n from ${schema.floatingIps} f join ${schema.ports} p on p.id = f.port_id
        where f.router_id = ${router.id} and p.subnet_id = ${match.id}`),
    );
    if (Number(used?.n ?? 0) > 0) {
      throw NimbusError.conflict(
        `Router interface for subnet ${match.id} on router ${router.id} cannot be deleted, as it is required by one or more floating IPs: disassociate them first.`,
      );
    }
    await tx.delete(schema.ports).where(eq(schema.ports.id, match.portId));
    await tx.update(schema.routers).set({ updatedAt: new Date() }).where(eq(schema.routers.id, router.id));
    await scheduleRouter(ctx, tx, router.id);
    await audit(ctx, tx, {
      action: "router.remove_interface",
      outcome: "success",
      targetType: "router",
      targetId: router.id,
      details: { subnet: match.id },
    });
    return { routerId: router.id, projectId: router.projectId, portId: match.portId, subnetId: match.id, networkId: match.networkId };
  });
}
