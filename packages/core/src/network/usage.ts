import { schema } from "@nimbus/db";
import { eq, sql } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { FLOATINGIP_QUOTA, ROUTER_QUOTA } from "./router-rules";

export const networkUsageInput = z.object({ projectId: z.uuid("Not a project id.") });

/**
 * The limits Nimbus puts on a project's network resources: none (-1, unlimited). Neutron's
 * defaults would be 100 networks, 100 subnets, 500 ports, 10 security groups and 100 rules;
 * Nimbus counts them but refuses none for their number (a subnet's addresses are its limit on ports).
 * Routers (10) and floating IPs (50) have Neutron's limits, checked as they are made.
 */
export const NETWORK_LIMITS = {
  networks: -1,
  subnets: -1,
  ports: -1,
  securityGroups: -1,
  securityGroupRules: -1,
  routers: ROUTER_QUOTA,
  floatingIps: FLOATINGIP_QUOTA,
} as const;

export type NetworkResource = keyof typeof NETWORK_LIMITS;

/**
 * How many networks, subnets, ports, security groups and rules a project holds, with their
 * limits (Neutron's quota details). A project's own usage is open to its readers; another
 * project's to cloud admins only.
 */
export async function networkUsage({
  ctx,
  input,
}: {
  ctx: CoreContext;
  input: z.input<typeof networkUsageInput>;
}): Promise<{ projectId: string; usage: Record<NetworkResource, { used: number; limit: number }> }> {
  const principal = authorize(ctx.principal, "networks.usage");
  const { projectId } = parseInput(networkUsageInput, input);
  if (projectId !== principal.projectId && !principal.isAdmin) {
    throw NimbusError.forbidden("Only cloud administrators may see another project's network usage.");
  }
  const counted = (
    table:
      | typeof schema.networks
      | typeof schema.subnets
      | typeof schema.ports
      | typeof schema.securityGroups
      | typeof schema.routers
      | typeof schema.floatingIps,
  ) =>
    ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(table)
      .where(eq(table.projectId, projectId))
      .then(([row]) => Number(row?.n ?? 0));
  const [networks, subnets, ports, securityGroups, securityGroupRules, routers, floatingIps] = await Promise.all([
    counted(schema.networks),
    counted(schema.subnets),
    counted(schema.ports),
    counted(schema.securityGroups),
    ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(schema.securityGroupRules)
      .innerJoin(schema.securityGroups, eq(schema.securityGroups.id, schema.securityGroupRules.groupId))
      .where(eq(schema.securityGroups.projectId, projectId))
      .then(([row]) => Number(row?.n ?? 0)),
    counted(schema.routers),
    counted(schema.floatingIps),
  ]);
  const used: Record<NetworkResource, number> = { networks, subnets, ports, securityGroups, securityGroupRules, routers, floatingIps };
  const usage = Object.fromEntries(
    (Object.keys(NETWORK_LIMITS) as NetworkResource[]).map((resource) => [resource, { used: used[resource], limit: NETWORK_LIMITS[resource] }]),
  ) as Record<NetworkResource, { used: number; limit: number }>;
  return { projectId, usage };
}
