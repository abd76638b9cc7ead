import { schema } from "@nimbus/db";
import { and, desc, eq, or, sql } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../errors";
import { authorize } from "../../policy";
import { text } from "../../validation";

export const listMigrationsInput = z
  .object({
    instanceId: z.uuid("Not an instance id.").optional(),
    /** Migrations from or to this host. */
    hostId: z.uuid("Not a host id.").optional(),
    status: text("Status").trim().min(1).max(32).optional(),
    limit: z.number().int().min(1).max(1000).default(200),
  })
  .default({ limit: 200 });

/**
 * Nova's os-migrations (`openstack server migration list`, cloud admins): every resize, cold
 * migration and evacuation, newest first, with its hosts by name, its flavors and its status.
 */
export async function listMigrations({ ctx, input }: { ctx: CoreContext; input?: z.input<typeof listMigrationsInput> }) {
  authorize(ctx.principal, "migrations.list");
  const { instanceId, hostId, status, limit } = parseInput(listMigrationsInput, input);
  const m = schema.migrations;
  const hostnameOf = (column: typeof m.sourceHostId | typeof m.destHostId) =>
    sql<string | null>`(select hostname from ${schema.computeHosts} where id = ${column})`;
  return ctx.db
    .select({
      id: m.id,
      instanceId: m.instanceId,
      instanceName: schema.instances.name,
      projectId: schema.instances.projectId,
      migrationType: m.migrationType,
      status: m.status,
      sourceHost: hostnameOf(m.sourceHostId),
      destHost: hostnameOf(m.destHostId),
      oldFlavorId: m.oldFlavorId,
      newFlavorId: m.newFlavorId,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
    })
    .from(m)
    .innerJoin(schema.instances, eq(schema.instances.id, m.instanceId))
    .where(
      and(
        instanceId ? eq(m.instanceId, instanceId) : undefined,
        hostId ? or(eq(m.sourceHostId, hostId), eq(m.destHostId, hostId)) : undefined,
        status ? eq(m.status, status as (typeof m.status.enumValues)[number]) : undefined,
      ),
    )
    .orderBy(desc(m.createdAt))
    .limit(limit);
}
