import { schema, type Executor } from "@nimbus/db";
import { and, eq, inArray } from "@nimbus/db/orm";
import { NimbusError } from "../errors";

export const DEFAULT_SECURITY_GROUP = "default";

/**
 * Neutron's `default` group of a project, made on first use: all egress, and ingress only from
 * ports in the same group. Safe under concurrency (unique on project and name).
 */
export async function ensureDefaultSecurityGroup(tx: Executor, projectId: string): Promise<string> {
  const [existing] = await tx
    .select({ id: schema.securityGroups.id })
    .from(schema.securityGroups)
    .where(and(eq(schema.securityGroups.projectId, projectId), eq(schema.securityGroups.name, DEFAULT_SECURITY_GROUP)))
    .limit(1);
  if (existing) return existing.id;
  const [created] = await tx
    .insert(schema.securityGroups)
    .values({ projectId, name: DEFAULT_SECURITY_GROUP, description: "Default security group: all egress, ingress from members of this group." })
    .onConflictDoNothing()
    .returning();
  if (!created) return ensureDefaultSecurityGroup(tx, projectId);
  await tx.insert(schema.securityGroupRules).values([
    { groupId: created.id, direction: "egress" },
    { groupId: created.id, direction: "ingress", remoteGroupId: created.id },
  ]);
  return created.id;
}

/** The launch's security groups, all of the caller's project; none chosen: the default group. */
export async function resolveSecurityGroups(tx: Executor, projectId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [await ensureDefaultSecurityGroup(tx, projectId)];
  const found = await tx
    .select({ id: schema.securityGroups.id })
    .from(schema.securityGroups)
    .where(and(eq(schema.securityGroups.projectId, projectId), inArray(schema.securityGroups.id, ids)));
  const missing = ids.filter((id) => !found.some((g) => g.id === id));
  if (missing.length > 0) {
    throw new NimbusError("NotFound", `Security group ${missing[0]} could not be found.`, {
      fields: [{ path: "securityGroupIds", message: "No such security group in this project." }],
    });
  }
  return ids;
}
