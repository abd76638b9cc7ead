import type { CoreContext } from "../context";
import { authorize } from "../identity/policy";
import { computeUsage, quotaLimits } from "./enforce";

/** The project's compute quota: limit and in use, for the overview page and the wizard. */
export async function quotaUsage({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "quota.usage");
  const projectId = ctx.principal!.projectId;
  const [limits, used] = await Promise.all([quotaLimits(ctx.db, projectId), computeUsage(ctx.db, projectId)]);
  return {
    instances: { limit: limits.instances, used: used.instances },
    cores: { limit: limits.cores, used: used.cores },
    ram: { limit: limits.ram, used: used.ram },
  };
}
