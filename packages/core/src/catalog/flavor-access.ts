import { schema } from "@nimbus/db";
import { and, asc, eq } from "@nimbus/db/orm";
import type { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { findFlavor, lockFlavor } from "./flavor-rows";
import { flavorAccessInput, flavorIdInput } from "./flavor-validation";

/**
 * Nova's flavor access (cloud admins): the projects a private flavor is offered to. Their
 * members see it in their flavor lists and may launch it; a public flavor is everyone's and has
 * no access list.
 */
export async function listFlavorAccess({ ctx, input }: { ctx: CoreContext; input: z.input<typeof flavorIdInput> }) {
  authorize(ctx.principal, "flavors.access");
  const { id } = parseInput(flavorIdInput, input);
  const flavor = await findFlavor(ctx.db, id);
  if (flavor.isPublic) throw new NimbusError("NotFound", `Flavor ${flavor.name} is public: it has no access list.`, { kind: "Flavor access", id });
  const rows = await ctx.db
    .select({ projectId: schema.flavorProjects.projectId })
    .from(schema.flavorProjects)
    .where(eq(schema.flavorProjects.flavorId, id))
    .orderBy(asc(schema.flavorProjects.createdAt), asc(schema.flavorProjects.projectId));
  return { flavorId: id, projectIds: rows.map((r) => r.projectId) };
}

/** Offers a private flavor to a project (Nova's addTenantAccess). */
export async function addFlavorAccess({ ctx, input }: { ctx: CoreContext; input: z.input<typeof flavorAccessInput> }) {
  authorize(ctx.principal, "flavors.addAccess");
  const { id, projectId } = parseInput(flavorAccessInput, input);
  await ctx.db.transaction(async (tx) => {
    const flavor = await lockFlavor(tx, id);
    if (flavor.isPublic) throw NimbusError.conflict(`Flavor ${flavor.name} is public: every project may use it already.`);
    const project = await tx.query.projects.findFirst({ where: eq(schema.projects.id, projectId) });
    if (!project) throw NimbusError.badRequest(`Project ${projectId} is not a valid project.`, [{ path: "projectId", message: "No such project." }]);
    const [added] = await tx.insert(schema.flavorProjects).values({ flavorId: id, projectId }).onConflictDoNothing().returning();
    if (!added) throw NimbusError.conflict(`Flavor ${flavor.name} is already offered to project ${project.name}.`);
    await audit(ctx, tx, {
      action: "flavor.add_access",
      outcome: "success",
      targetType: "flavor",
      targetId: id,
      projectId,
      details: { name: flavor.name, project: project.name },
    });
  });
  return listFlavorAccess({ ctx, input: { id } });
}

/** Withdraws a private flavor from a project (Nova's removeTenantAccess); its instances keep running. */
export async function removeFlavorAccess({ ctx, input }: { ctx: CoreContext; input: z.input<typeof flavorAccessInput> }) {
  authorize(ctx.principal, "flavors.removeAccess");
  const { id, projectId } = parseInput(flavorAccessInput, input);
  await ctx.db.transaction(async (tx) => {
    const flavor = await lockFlavor(tx, id);
    const [removed] = await tx
      .delete(schema.flavorProjects)
      .where(and(eq(schema.flavorProjects.flavorId, id), eq(schema.flavorProjects.projectId, projectId)))
      .returning();
    if (!removed)
      throw new NimbusError("NotFound", `Flavor ${flavor.name} is not offered to project ${projectId}.`, { kind: "Flavor access", id: projectId });
    await audit(ctx, tx, {
      action: "flavor.remove_access",
      outcome: "success",
      targetType: "flavor",
      targetId: id,
      projectId,
      details: { name: flavor.name },
    });
  });
  return listFlavorAccess({ ctx, input: { id } });
}
