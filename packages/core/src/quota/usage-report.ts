import type { CoreContext } from "../context";
import { authorize } from "../policy";
import { keyPairUsage } from "./key-pairs";
import { projectUsage, quotaLimits } from "./enforce";

/**
 * The project's quota, limit and in use, for the overview page, the wizard, the volumes and the
 * images pages: compute, volumes and images count the project; key pairs count the caller's own
 * (Nova: per user). Image sizes are whole MiB, rounded up.
 */
export async function quotaUsage({ ctx }: { ctx: CoreContext }) {
  const principal = authorize(ctx.principal, "quota.usage");
  const { projectId, userId } = principal;
  const [limits, used, keyPairs] = await Promise.all([quotaLimits(ctx.db, projectId), projectUsage(ctx.db, projectId), keyPairUsage(ctx.db, userId)]);
  return {
    instances: { limit: limits.instances, used: used.instances },
    cores: { limit: limits.cores, used: used.cores },
    ram: { limit: limits.ram, used: used.ram },
    volumes: { limit: limits.volumes, used: used.volumes },
    gigabytes: { limit: limits.gigabytes, used: used.gigabytes },
    key_pairs: { limit: limits.key_pairs, used: keyPairs },
    server_groups: { limit: limits.server_groups, used: used.server_groups },
    image_count_total: { limit: limits.image_count_total, used: used.image_count_total },
    image_size_total: { limit: limits.image_size_total, used: used.image_size_total },
    image_stage_total: { limit: limits.image_stage_total, used: used.image_stage_total },
  };
}
