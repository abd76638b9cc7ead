import { schema, statement, type Executor } from "@nimbus/db";
import { sql } from "@nimbus/db/orm";
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
  await insertAuditEvent(db, {
    actorUserId: ctx.principal?.userId ?? null,
    actorName: ctx.principal?.userName ?? entry.actorName ?? null,
    projectId: entry.projectId === undefined ? (ctx.principal?.projectId ?? null) : entry.projectId,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    remoteAddress: ctx.remoteAddress,
    outcome: entry.outcome,
    details: JSON.stringify(entry.details ?? {}),
  });
}

/** Every call that changes something writes one: built once (see `statement`). */
const insertAuditEvent = statement<
  "actorUserId" | "actorName" | "projectId" | "action" | "targetType" | "targetId" | "remoteAddress" | "outcome" | "details"
>(
  (v) => sql`
    insert into ${schema.auditEvents} (actor_user_id, actor_name, project_id, action, target_type, target_id, remote_address, outcome, details)
    values (${v.actorUserId}::uuid, ${v.actorName}::text, ${v.projectId}::uuid, ${v.action}::text, ${v.targetType}::text, ${v.targetId}::text,
      ${v.remoteAddress}::inet, ${v.outcome}::text, ${v.details}::jsonb)`,
);
