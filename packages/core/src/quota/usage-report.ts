import type { CoreContext } from "../context";
import { authorize } from "../policy";
import { keyPairUsage } from "./key-pairs";
import { projectUsage, quotaLimits } from "./enforce";

/**
 * The project's quota, limit and in use, for the overview page, the wizard and the volumes page:
 * compute and volumes count the project; key pairs count the caller's own (Nova: per user).
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
  };
}
