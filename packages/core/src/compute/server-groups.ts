import { schema } from "@nimbus/db";
import { and, asc, eq, ne } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { enforceQuota } from "../quota/enforce";
import { idInput, text } from "../validation";

export const createServerGroupInput = z
  .object({
    name: text("Name").trim().min(1, "Enter a name.").max(255),
    policy: z.enum(["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"]),
    maxServerPerHost: z.number().int().min(1, "At least 1.").max(1000).nullable().default(null),
  })
  .refine((v) => v.maxServerPerHost === null || v.policy === "anti-affinity", {
    path: ["maxServerPerHost"],
    message: "Max servers per host applies to the anti-affinity policy only.",
  });

export async function listServerGroups({ ctx }: { ctx: CoreContext }) {
  const principal = authorize(ctx.principal, "serverGroups.list");
  const groups = await ctx.db.query.serverGroups.findMany({
    where: eq(schema.serverGroups.projectId, principal.projectId),
    orderBy: asc(schema.serverGroups.name),
    with: { members: { with: { instance: { columns: { id: true, name: true, vmState: true } } } } },
  });
  return groups.map((g) => ({
    id: g.id,
    name: g.name,
    policy: g.policy,
    maxServerPerHost: g.maxServerPerHost,
    projectId: g.projectId,
    userId: g.userId,
    members: g.members.filter((m) => m.instance.vmState !== "deleted").map((m) => ({ id: m.instance.id, name: m.instance.name })),
  }));
}

export async function createServerGroup({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createServerGroupInput> }) {
  const principal = authorize(ctx.principal, "serverGroups.create");
  const value = parseInput(createServerGroupInput, input);
  return ctx.db.transaction(async (tx) => {
    await enforceQuota(tx, principal.projectId, { server_groups: 1 });
    const [row] = await tx
      .insert(schema.serverGroups)
      .values({ ...value, projectId: principal.projectId, userId: principal.userId })
      .returning();
    return row!;
  });
}

export async function deleteServerGroup({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }) {
  const principal = authorize(ctx.principal, "serverGroups.delete");
  const { id } = parseInput(idInput, input);
  const members = await ctx.db
    .select({ id: schema.instances.id })
    .from(schema.serverGroupMembers)
    .innerJoin(schema.instances, eq(schema.instances.id, schema.serverGroupMembers.instanceId))
    .where(and(eq(schema.serverGroupMembers.groupId, id), ne(schema.instances.vmState, "deleted")));
  const rows = await ctx.db
    .delete(schema.serverGroups)
    .where(and(eq(schema.serverGroups.id, id), eq(schema.serverGroups.projectId, principal.projectId)))
    .returning({ id: schema.serverGroups.id });
  if (rows.length === 0) throw NimbusError.notFound("Server group", id);
  return { id: id, detachedMembers: members.length };
}
