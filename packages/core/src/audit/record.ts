import { schema, type Executor } from "@nimbus/db";
import type { CoreContext } from "../context";

export interface AuditEntry {
  action: string;
  outcome: "success" | "failure";
  targetType?: string;
  targetId?: string;
  projectId?: string | null;
  /** Never secrets: names, ids, amounts. */
  details?: Record<string, unknown>;
  /** For sign-in failures, where there is no principal yet. */
  actorName?: string;
}

/** Appends to the audit trail: who (the principal), when (now), from where (remote address). */
export async function audit(ctx: Pick<CoreContext, "principal" | "remoteAddress">, db: Executor, entry: AuditEntry): Promise<void> {
  await db.insert(schema.auditEvents).values({
    actorUserId: ctx.principal?.userId ?? null,
    actorName: ctx.principal?.userName ?? entry.actorName ?? null,
    projectId: entry.projectId === undefined ? (ctx.principal?.projectId ?? null) : entry.projectId,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    remoteAddress: ctx.remoteAddress,
    outcome: entry.outcome,
    details: entry.details ?? {},
  });
}
