import { schema, type Executor } from "@nimbus/db";
import { and, eq, isNotNull, ne, sql } from "@nimbus/db/orm";
import type { GroupSpec, RequestSpec } from "./types";
import type { BuildRequestRow, InstanceRow } from "@nimbus/db/schema";

/** Where the members of a server group are (placed or claimed), other than `excludeInstanceId`. */
export async function loadGroupSpec(db: Executor, groupId: string | null | undefined, excludeInstanceId?: string): Promise<GroupSpec | null> {
  if (!groupId) return null;
  const group = await db.query.serverGroups.findFirst({ where: eq(schema.serverGroups.id, groupId) });
  if (!group) return null;
  const rows = await db
    .select({ hostId: schema.instances.hostId, n: sql<number>`count(*)::int` })
    .from(schema.serverGroupMembers)
    .innerJoin(schema.instances, eq(schema.instances.id, schema.serverGroupMembers.instanceId))
    .where(
      and(
        eq(schema.serverGroupMembers.groupId, groupId),
        excludeInstanceId ? ne(schema.serverGroupMembers.instanceId, excludeInstanceId) : undefined,
        isNotNull(schema.instances.hostId),
        ne(schema.instances.vmState, "deleted"),
      ),
    )
    .groupBy(schema.instances.hostId);
  return {
    name: group.name,
    policy: group.policy,
    maxServerPerHost: group.maxServerPerHost ?? 1,
    membersByHost: new Map(rows.map((r) => [r.hostId!, r.n])),
  };
}

/**
 * Nova's RequestSpec for one instance: flavor, project, the image's properties (empty when it
 * has none, as the claim read them), zone, forced host, group.
 */
export async function buildRequestSpec(
  db: Executor,
  instance: InstanceRow,
  request: BuildRequestRow,
  imageProperties: Readonly<Record<string, string>>,
): Promise<RequestSpec> {
  return {
    vcpus: instance.vcpus,
    memoryMb: instance.memoryMb,
    diskGb: instance.rootGb,
    projectId: instance.projectId,
    imageProperties,
    availabilityZone: request.requestSpec.availabilityZone ?? instance.availabilityZone,
    forcedHost: request.requestSpec.forcedHost ?? null,
    group: await loadGroupSpec(db, request.requestSpec.serverGroupId, instance.id),
  };
}

/**
 * Re-checks a hard group policy for the chosen host under the group's row lock, so two
 * concurrent builds of an anti-affinity group can never both land on one host.
 */
export async function groupPolicyHolds(tx: Executor, instanceId: string, groupId: string | null | undefined, hostId: string): Promise<boolean> {
  if (!groupId) return true;
  await tx.execute(sql`select id from ${schema.serverGroups} where id = ${groupId} for no key update`);
  const group = await loadGroupSpec(tx, groupId, instanceId);
  if (!group) return true;
  if (group.policy === "anti-affinity") return (group.membersByHost.get(hostId) ?? 0) < group.maxServerPerHost;
  if (group.policy === "affinity") return group.membersByHost.size === 0 || group.membersByHost.has(hostId);
  return true;
}
