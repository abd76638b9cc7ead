import { schema } from "@nimbus/db";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { lockProject, projectUsage, quotaLimits } from "./enforce";
import { DEFAULT_QUOTAS, quotaLimitSchema, type QuotaResource } from "./limits";

const resources = Object.keys(DEFAULT_QUOTAS) as [QuotaResource, ...QuotaResource[]];
export const setQuotaInput = z.object({
  projectId: z.uuid(),
  limits: z.partialRecord(z.enum(resources), quotaLimitSchema),
  /**
   * Refuse a limit below what the project already uses (Nova's os-quota-sets update without
   * `force`); the console's editor lets an admin lower a limit under the usage.
   */
  refuseBelowUsage: z.boolean().default(false),
});

export const projectIdInput = z.object({ projectId: z.uuid() });

export async function projectQuotas({ ctx, input }: { ctx: CoreContext; input: z.input<typeof projectIdInput> }) {
  authorize(ctx.principal, "quotas.get");
  const { projectId } = parseInput(projectIdInput, input);
  const project = await ctx.db.query.projects.findFirst({ where: (p, { eq }) => eq(p.id, projectId) });
  if (!project) throw NimbusError.notFound("Project", projectId);
  // Key pairs are counted per user (as Nova's), so a project has no figure for them.
  const [limits, used] = await Promise.all([quotaLimits(ctx.db, projectId), projectUsage(ctx.db, projectId)]);
  return { projectId: project.id, projectName: project.name, limits, used, defaults: DEFAULT_QUOTAS };
}

/** Admin override of a project's limits (Nova's os-quota-sets update). */
export async function setQuota({ ctx, input }: { ctx: CoreContext; input: z.input<typeof setQuotaInput> }) {
  authorize(ctx.principal, "quotas.set");
  const { projectId, limits, refuseBelowUsage } = parseInput(setQuotaInput, input);
  await ctx.db.transaction(async (tx) => {
    const project = await tx.query.projects.findFirst({ where: (p, { eq }) => eq(p.id, projectId) });
    if (!project) throw NimbusError.notFound("Project", projectId);
    if (refuseBelowUsage) {
      // Under the project's lock, so a launch cannot slip in between the count and the change.
      await lockProject(tx, projectId);
      const used: Partial<Record<QuotaResource, number>> = await projectUsage(tx, projectId);
      for (const [resource, limit] of Object.entries(limits) as [QuotaResource, number][]) {
        const inUse = used[resource] ?? 0;
        if (limit !== -1 && limit < inUse) {
          throw NimbusError.badRequest(`Quota limit ${limit} for ${resource} must be greater than or equal to already used ${inUse}.`, [
            { path: `limits.${resource}`, message: `At least ${inUse} are in use.` },
          ]);
        }
      }
    }
    for (const [resource, hardLimit] of Object.entries(limits)) {
      await tx
        .insert(schema.quotaLimits)
        .values({ projectId, resource, hardLimit })
        .onConflictDoUpdate({ target: [schema.quotaLimits.projectId, schema.quotaLimits.resource], set: { hardLimit } });
    }
    await audit(ctx, tx, { action: "quota.set", outcome: "success", targetType: "project", targetId: projectId, projectId, details: { limits } });
  });
  return projectQuotas({ ctx, input: { projectId } });
}
