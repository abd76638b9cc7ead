import { schema, type Executor } from "@nimbus/db";
import { and, eq, ne, sql } from "@nimbus/db/orm";
import { NimbusError } from "../errors";
import { DEFAULT_QUOTAS, describeOverage, findOverages, type QuotaResource, type QuotaVector } from "./limits";

export async function quotaLimits(db: Executor, projectId: string): Promise<Record<QuotaResource, number>> {
  const rows = await db.select().from(schema.quotaLimits).where(eq(schema.quotaLimits.projectId, projectId));
  const limits: Record<QuotaResource, number> = { ...DEFAULT_QUOTAS };
  for (const row of rows) if (row.resource in limits) limits[row.resource as QuotaResource] = row.hardLimit;
  return limits;
}

/** Instances, cores and RAM in use by a project: every instance not deleted, ERROR included (as Nova). */
export async function computeUsage(db: Executor, projectId: string): Promise<Required<Pick<QuotaVector, "instances" | "cores" | "ram">>> {
  const [row] = await db
    .select({
      instances: sql<number>`count(*)::int`,
      cores: sql<number>`coalesce(sum(${schema.instances.vcpus}), 0)::int`,
      ram: sql<number>`coalesce(sum(${schema.instances.memoryMb}), 0)::int`,
    })
    .from(schema.instances)
    .where(and(eq(schema.instances.projectId, projectId), ne(schema.instances.vmState, "deleted")));
  return { instances: row?.instances ?? 0, cores: row?.cores ?? 0, ram: row?.ram ?? 0 };
}

/**
 * Must run inside the transaction that inserts what it guards: it locks the project row, so
 * concurrent launches in one project queue here and each sees the others' committed inserts.
 */
export async function enforceComputeQuota(tx: Executor, projectId: string, requested: QuotaVector): Promise<void> {
  await tx.execute(sql`select id from ${schema.projects} where id = ${projectId} for update`);
  const [limits, used] = await Promise.all([quotaLimits(tx, projectId), computeUsage(tx, projectId)]);
  const overs = findOverages(limits, used, requested);
  const first = overs[0];
  if (first) throw new NimbusError("QuotaExceeded", describeOverage(first), { overages: overs });
}
