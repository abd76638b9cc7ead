import { schema } from "@nimbus/db";
import { eq, sql } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { audit } from "../audit/record";
import { authorize } from "../policy";
import { INT4_MAX, text } from "../validation";

const ratio = z.number().positive("A ratio must be above 0.").max(64, "Use a ratio of at most 64.");
const reserved = z.number().int("Use a whole number.").min(0, "Reserved cannot be negative.").max(INT4_MAX, `Use at most ${INT4_MAX}.`);

export const updateHostInput = z
  .object({
    id: z.uuid(),
    enabled: z.boolean().optional(),
    disabledReason: text("The reason").trim().max(255).optional(),
    cpuAllocationRatio: ratio.optional(),
    ramAllocationRatio: ratio.optional(),
    diskAllocationRatio: ratio.optional(),
    vcpusReserved: reserved.optional(),
    memoryMbReserved: reserved.optional(),
    diskGbReserved: reserved.optional(),
  })
  .refine((v) => v.enabled !== false || (v.disabledReason ?? "").length > 0, { path: ["disabledReason"], message: "Say why the host is disabled." });
export type UpdateHostInput = z.input<typeof updateHostInput>;

/**
 * An operator steers a host: enable/disable with a reason (the ComputeFilter honours it at
 * once), and placement inventory overrides (allocation ratios, reserved). Bumps the provider
 * generation so in-flight claims re-read.
 */
export async function updateHost({ ctx, input }: { ctx: CoreContext; input: UpdateHostInput }) {
  authorize(ctx.principal, "hosts.update");
  const { id, enabled, disabledReason, ...inventory } = parseInput(updateHostInput, input);
  const row = await ctx.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(schema.computeHosts)
      .set({
        ...inventory,
        ...(enabled === undefined ? {} : { enabled, disabledReason: enabled ? null : (disabledReason ?? null) }),
        generation: sql`${schema.computeHosts.generation} + 1`,
        updatedAt: new Date(),
      })
      .where(eq(schema.computeHosts.id, id))
      .returning({ id: schema.computeHosts.id, hostname: schema.computeHosts.hostname });
    if (!updated) throw NimbusError.notFound("Host", id);
    // Taking a host out of (or back into) scheduling is an operator's decision the trail keeps, with the reason given.
    if (enabled !== undefined) {
      await audit(ctx, tx, {
        action: enabled ? "host.enable" : "host.disable",
        outcome: "success",
        targetType: "host",
        targetId: updated.hostname,
        projectId: null,
        details: enabled ? {} : { reason: disabledReason ?? null },
      });
    }
    return updated;
  });
  ctx.publisher.hostChanged({ hostId: id });
  return row;
}
