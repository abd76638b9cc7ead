import { schema } from "@nimbus/db";
import { and, eq, sql } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import { audit } from "../audit/record";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { idInput } from "../validation";
import { findManagedNetwork, networkVisibleTo, subnetSummary, type SubnetSummary } from "./networks";
import { count } from "../plural";
import { checkSubnet, issuesMessage, subnetFieldsSchema } from "./subnet-rules";
import { networkChange } from "./announce-change";

export const createSubnetInput = subnetFieldsSchema.extend({ networkId: z.uuid("Choose a network.") });

/**
 * Adds a subnet to a network the caller may change. The network row is locked (without blocking
 * launches, which only need its key) so two subnets added at once cannot overlap.
 */
export async function createSubnet({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createSubnetInput> }): Promise<SubnetSummary> {
  const principal = authorize(ctx.principal, "subnets.create");
  const { networkId, ...fields } = parseInput(createSubnetInput, input);
  return networkChange(ctx, { projectId: principal.projectId, resource: "subnet" }, async (tx) => {
    const network = await findManagedNetwork(tx, principal, networkId, "no key update");
    const siblings = await tx
      .select({ name: schema.subnets.name, cidr: schema.subnets.cidr })
      .from(schema.subnets)
      .where(eq(schema.subnets.networkId, networkId));
    const { subnet, issues } = checkSubnet(fields, siblings);
    if (!subnet) throw NimbusError.badRequest(issuesMessage(issues), issues);
    const [row] = await tx
      .insert(schema.subnets)
      .values({ ...subnet, networkId, projectId: principal.projectId })
      .returning();
    await audit(ctx, tx, {
      action: "subnet.create",
      outcome: "success",
      targetType: "subnet",
      targetId: row!.id,
      details: { network: network.name, cidr: row!.cidr },
    });
    return subnetSummary(row!, 0);
  });
}

/** Deletes a subnet; refused while ports have addresses on it. */
export async function deleteSubnet({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<{ id: string }> {
  const principal = authorize(ctx.principal, "subnets.delete");
  const { id } = parseInput(idInput, input);
  return networkChange(ctx, { projectId: principal.projectId, resource: "subnet" }, async (tx) => {
    const [found] = await tx
      .select({ networkId: schema.subnets.networkId })
      .from(schema.subnets)
      .innerJoin(schema.networks, eq(schema.networks.id, schema.subnets.networkId))
      .where(and(eq(schema.subnets.id, id), networkVisibleTo(principal.projectId)));
    if (!found) throw NimbusError.notFound("Subnet", id);
    const network = await findManagedNetwork(tx, principal, found.networkId);
    // Launches allocating on the subnet hold its key: wait for them, and keep new ones out.
    const [subnet] = await tx.select().from(schema.subnets).where(eq(schema.subnets.id, id)).for("update");
    if (!subnet) throw NimbusError.notFound("Subnet", id);
    const [usage] = await tx
      .select({ ports: sql<number>`count(*)::int`, instances: sql<number>`count(distinct ${schema.ports.instanceId})::int` })
      .from(schema.ports)
      .where(eq(schema.ports.subnetId, id));
    const ports = Number(usage?.ports ?? 0);
    if (ports > 0) {
      const instances = Number(usage?.instances ?? 0);
      throw NimbusError.conflict(
        `Subnet ${subnet.name || subnet.cidr} still gives addresses to ${count(ports, "port")} of ${count(instances, "instance")}: delete ${instances === 1 ? "that instance" : "those instances"} first.`,
      );
    }
    await tx.delete(schema.subnets).where(eq(schema.subnets.id, id));
    await audit(ctx, tx, {
      action: "subnet.delete",
      outcome: "success",
      targetType: "subnet",
      targetId: id,
      details: { network: network.name, cidr: subnet.cidr },
    });
    return { id };
  });
}
