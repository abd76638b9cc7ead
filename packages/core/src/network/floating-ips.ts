/**
 * Neutron's floating IPs: an address of an external network's subnet, held by a
 * `network:floatingip` port (so IPAM's unique index guards it as any address), which a project
 * associates with one of its ports, moves to another, or releases, at any time. The router of
 * the port's subnet with its gateway on the floating IP's network DNATs it to the port's fixed
 * address and SNATs the port's traffic out with it (1:1), in its namespace on its host.
 */
import { schema, type Executor } from "@nimbus/db";
import { and, asc, eq, sql } from "@nimbus/db/orm";
import type { FloatingIpRow } from "@nimbus/db/schema";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize, type Principal } from "../policy";
import { lockProject } from "../quota/enforce";
import { idInput, text } from "../validation";
import { allocatePort } from "./ports";
import { DEVICE_OWNER, FLOATINGIP_QUOTA, routerForFloatingIp, unreachableMessage } from "./router-rules";
import { findExternalNetwork } from "./routers";
import { networkChange } from "./announce-change";

export const createFloatingIpInput = z.object({
  networkId: z.uuid("Not a network id."),
  /** Associated at once with this port of the project. */
  portId: z.uuid("Not a port id.").nullable().default(null),
  description: text("Description").max(255, "Use at most 255 characters.").default(""),
});

export const updateFloatingIpInput = z.object({
  id: z.uuid("Not a floating IP id."),
  /** Absent: unchanged; null: disassociated. */
  portId: z.uuid("Not a port id.").nullable().optional(),
  description: text("Description").max(255, "Use at most 255 characters.").optional(),
});

export interface FloatingIpSummary {
  id: string;
  projectId: string;
  floatingNetworkId: string;
  floatingIpAddress: string;
  portId: string | null;
  fixedIpAddress: string | null;
  routerId: string | null;
  /** ACTIVE while associated, DOWN otherwise (as Neutron's L3 agent reports it). */
  status: "ACTIVE" | "DOWN";
  description: string;
  createdAt: Date;
  updatedAt: Date;
}

async function summarize(db: Executor, rows: FloatingIpRow[]): Promise<FloatingIpSummary[]> {
  if (rows.length === 0) return [];
  const portIds = rows.map((r) => r.portId).filter((id): id is string => id !== null);
  const fixed =
    portIds.length === 0
      ? []
      : await db
          .select({ id: schema.ports.id, ip: schema.ports.ipAddress })
          .from(schema.ports)
          .where(sql`${schema.ports.id} in (select jsonb_array_elements_text(${JSON.stringify(portIds)}::jsonb)::uuid)`);
  return rows.map((row) => {
    const fixedIp = row.portId ? (fixed.find((p) => p.id === row.portId)?.ip ?? null) : null;
    return {
      id: row.id,
      projectId: row.projectId,
      floatingNetworkId: row.floatingNetworkId,
      floatingIpAddress: row.floatingIpAddress,
      portId: row.portId,
      fixedIpAddress: fixedIp,
      routerId: row.portId ? row.routerId : null,
      status: row.portId ? "ACTIVE" : "DOWN",
      description: row.description,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  });
}

async function findFloatingIp(tx: Executor, principal: Principal, id: string, lock = false): Promise<FloatingIpRow> {
  const query = tx
    .select()
    .from(schema.floatingIps)
    .where(and(eq(schema.floatingIps.id, id), eq(schema.floatingIps.projectId, principal.projectId)));
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw NimbusError.notFound("Floating IP", id);
  return row;
}

export async function listFloatingIps({ ctx }: { ctx: CoreContext }): Promise<FloatingIpSummary[]> {
  const principal = authorize(ctx.principal, "floatingIps.list");
  const rows = await ctx.db
    .select()
    .from(schema.floatingIps)
    .where(eq(schema.floatingIps.projectId, principal.projectId))
    .orderBy(asc(schema.floatingIps.createdAt), asc(schema.floatingIps.id));
  return summarize(ctx.db, rows);
}

export async function getFloatingIp({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<FloatingIpSummary> {
  const principal = authorize(ctx.principal, "floatingIps.get");
  const { id } = parseInput(idInput, input);
  return (await summarize(ctx.db, [await findFloatingIp(ctx.db, principal, id)]))[0]!;
}

/**
 * Where a floating IP of `floatingNetworkId` associated with `portId` is DNATed: the port must
 * be the project's, with an address, and its subnet attached to a router whose gateway is on
 * that network (Neutron's `_get_router_for_floatingip`); and no other floating IP may hold it.
 */
async function association(tx: Executor, principal: Principal, floatingIp: Pick<FloatingIpRow, "id" | "floatingNetworkId">, portId: string) {
  const [port] = await tx
    .select()
    .from(schema.ports)
    .where(and(eq(schema.ports.id, portId), eq(schema.ports.projectId, principal.projectId)));
  if (!port || port.deviceOwner) throw NimbusError.notFound("Port", portId);
  const held = await tx
    .select({ id: schema.floatingIps.id, address: schema.floatingIps.floatingIpAddress })
    .from(schema.floatingIps)
    .where(eq(schema.floatingIps.portId, portId));
  const other = held.find((h) => h.id !== floatingIp.id);
  if (other) {
    const message = `Cannot associate floating IP ${floatingIp.id} with port ${portId} using fixed IP ${port.ipAddress}, as that fixed IP already has floating IP ${other.address}: release or move it first.`;
    throw new NimbusError("Conflict", message, { fields: [{ path: "portId", message }] });
  }
  const routers = await tx
    .select({ id: schema.routers.id, externalNetworkId: schema.routers.externalNetworkId, subnetId: schema.ports.subnetId })
    .from(schema.routers)
    .innerJoin(schema.ports, and(eq(schema.ports.routerId, schema.routers.id), eq(schema.ports.deviceOwner, DEVICE_OWNER.routerInterface)))
    .where(eq(schema.ports.subnetId, port.subnetId));
  const router = routerForFloatingIp(
    routers.map((r) => ({ id: r.id, externalNetworkId: r.externalNetworkId, subnetIds: [r.subnetId] })),
    port.subnetId,
    floatingIp.floatingNetworkId,
  );
  // Neutron's ExternalGatewayForFloatingIPNotFound (404), naming the field the console shows it next to.
  if (!router) {
    const [names] = await tx
      .select({
        floatingNetwork: sql<string>`(select ${schema.networks.name} from ${schema.networks} where ${schema.networks.id} = ${floatingIp.floatingNetworkId})`,
        subnet: schema.subnets.name,
        network: schema.networks.name,
      })
      .from(schema.subnets)
      .innerJoin(schema.networks, eq(schema.networks.id, schema.subnets.networkId))
      .where(eq(schema.subnets.id, port.subnetId));
    const message = unreachableMessage(
      { id: floatingIp.floatingNetworkId, name: names?.floatingNetwork ?? "" },
      { id: port.subnetId, name: names?.subnet ?? "", networkName: names?.network ?? "" },
      { id: portId, ipAddress: port.ipAddress },
    );
    throw new NimbusError("NotFound", message, { fields: [{ path: "portId", message }] });
  }
  return { portId, routerId: router.id };
}

/** Neutron's floating IP quota (50 a project), under the project's row lock in the inserting transaction. */
async function enforceFloatingIpQuota(tx: Executor, projectId: string): Promise<void> {
  await lockProject(tx, projectId);
  const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(schema.floatingIps).where(eq(schema.floatingIps.projectId, projectId));
  const used = Number(row?.n ?? 0);
  if (used + 1 > FLOATINGIP_QUOTA) {
    throw new NimbusError("QuotaExceeded", `Quota exceeded for floating IPs: requested 1, already used ${used} of ${FLOATINGIP_QUOTA}.`);
  }
}

export async function createFloatingIp({
  ctx,
  input,
}: {
  ctx: CoreContext;
  input: z.input<typeof createFloatingIpInput>;
}): Promise<FloatingIpSummary> {
  const principal = authorize(ctx.principal, "floatingIps.create");
  const value = parseInput(createFloatingIpInput, input);
  return networkChange(ctx, { projectId: principal.projectId, resource: "floatingip" }, async (tx) => {
    await enforceFloatingIpQuota(tx, principal.projectId);
    const network = await findExternalNetwork(tx, value.networkId);
    if (!network.routerExternal) {
      const message = `Bad floatingip request: network ${network.name || network.id} is not an external network (router:external); floating IPs come from external networks only.`;
      throw NimbusError.badRequest(message, [{ path: "networkId", message }]);
    }
    const port = await allocatePort(tx, { networkId: network.id, projectId: principal.projectId, instanceId: null, securityGroupIds: [] });
    await tx.update(schema.ports).set({ deviceOwner: DEVICE_OWNER.floatingIp, status: "ACTIVE" }).where(eq(schema.ports.id, port.id));
    const [row] = await tx
      .insert(schema.floatingIps)
      .values({
        projectId: principal.projectId,
        floatingNetworkId: network.id,
        floatingPortId: port.id,
        floatingIpAddress: port.ipAddress,
        description: value.description,
      })
      .returning();
    if (value.portId) {
      const target = await association(tx, principal, row!, value.portId);
      await tx.update(schema.floatingIps).set(target).where(eq(schema.floatingIps.id, row!.id));
    }
    await audit(ctx, tx, {
      action: "floatingip.create",
      outcome: "success",
      targetType: "floatingip",
      targetId: row!.id,
      details: { address: port.ipAddress, port: value.portId },
    });
    const [fresh] = await tx.select().from(schema.floatingIps).where(eq(schema.floatingIps.id, row!.id));
    return (await summarize(tx, [fresh!]))[0]!;
  });
}

/** Associates (port id), moves (another port id) or disassociates (null) a floating IP. */
export async function updateFloatingIp({
  ctx,
  input,
}: {
  ctx: CoreContext;
  input: z.input<typeof updateFloatingIpInput>;
}): Promise<FloatingIpSummary> {
  const principal = authorize(ctx.principal, "floatingIps.update");
  const value = parseInput(updateFloatingIpInput, input);
  return networkChange(ctx, { projectId: principal.projectId, resource: "floatingip" }, async (tx) => {
    const row = await findFloatingIp(tx, principal, value.id, true);
    const changes: Partial<FloatingIpRow> = { updatedAt: new Date() };
    if (value.description !== undefined) changes.description = value.description;
    if (value.portId !== undefined) {
      Object.assign(changes, value.portId === null ? { portId: null, routerId: null } : await association(tx, principal, row, value.portId));
    }
    await tx.update(schema.floatingIps).set(changes).where(eq(schema.floatingIps.id, row.id));
    if (value.portId !== undefined) {
      await audit(ctx, tx, {
        action: "floatingip.associate",
        outcome: "success",
        targetType: "floatingip",
        targetId: row.id,
        details: { port: value.portId },
      });
    }
    const [fresh] = await tx.select().from(schema.floatingIps).where(eq(schema.floatingIps.id, row.id));
    return (await summarize(tx, [fresh!]))[0]!;
  });
}

/** Releases a floating IP: its address is free again, and its NAT goes from its router. */
export async function deleteFloatingIp({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<{ id: string }> {
  const principal = authorize(ctx.principal, "floatingIps.delete");
  const { id } = parseInput(idInput, input);
  return networkChange(ctx, { projectId: principal.projectId, resource: "floatingip" }, async (tx) => {
    const row = await findFloatingIp(tx, principal, id, true);
    await tx.delete(schema.floatingIps).where(eq(schema.floatingIps.id, id));
    await tx.delete(schema.ports).where(eq(schema.ports.id, row.floatingPortId));
    await audit(ctx, tx, {
      action: "floatingip.delete",
      outcome: "success",
      targetType: "floatingip",
      targetId: id,
      details: { address: row.floatingIpAddress },
    });
    return { id };
  });
}
