import { schema } from "@nimbus/db";
import { and, desc, eq, lt } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import { authorize } from "../policy";
import { parseInput } from "../errors";
import { text } from "../validation";

export const listAuditInput = z.object({
  before: z.number().int().positive().optional(),
  action: text("Action").max(64).optional(),
  limit: z.number().int().min(1).max(500).default(100),
});

/** The audit trail, newest first, for cloud admins; page with `before` (an event id). */
export async function listAudit({ ctx, input }: { ctx: CoreContext; input: z.input<typeof listAuditInput> }) {
  authorize(ctx.principal, "audit.list");
  const { before, action, limit } = parseInput(listAuditInput, input);
  const rows = await ctx.db
    .select({
      id: schema.auditEvents.id,
      at: schema.auditEvents.at,
      actorName: schema.auditEvents.actorName,
      projectName: schema.projects.name,
      action: schema.auditEvents.action,
      targetType: schema.auditEvents.targetType,
      targetId: schema.auditEvents.targetId,
      remoteAddress: schema.auditEvents.remoteAddress,
      outcome: schema.auditEvents.outcome,
      details: schema.auditEvents.details,
    })
    .from(schema.auditEvents)
    .leftJoin(schema.projects, eq(schema.projects.id, schema.auditEvents.projectId))
    .where(and(before ? lt(schema.auditEvents.id, before) : undefined, action ? eq(schema.auditEvents.action, action) : undefined))
    .orderBy(desc(schema.auditEvents.id))
    .limit(limit);
  return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
}
