import { schema } from "@nimbus/db";
import { and, eq, isNull } from "@nimbus/db/orm";
import type { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { flavorIdInput } from "./flavor-validation";

/**
 * Nova's flavor-manage delete (cloud admins). As in Nova a flavor in use may be deleted: its
 * instances keep running with the size they were launched with (they carry it), keep showing its
 * name, and are counted in quota as before; no new launch can choose it, and its name is free.
 */
export async function deleteFlavor({ ctx, input }: { ctx: CoreContext; input: z.input<typeof flavorIdInput> }) {
  authorize(ctx.principal, "flavors.delete");
  const { id } = parseInput(flavorIdInput, input);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(schema.flavors)
      .set({ deletedAt: new Date() })
      .where(and(eq(schema.flavors.id, id), isNull(schema.flavors.deletedAt)))
      .returning({ id: schema.flavors.id, name: schema.flavors.name });
    if (!row) throw NimbusError.notFound("Flavor", id);
    await tx.delete(schema.flavorProjects).where(eq(schema.flavorProjects.flavorId, id));
    await audit(ctx, tx, {
      action: "flavor.delete",
      outcome: "success",
      targetType: "flavor",
      targetId: id,
      projectId: null,
      details: { name: row.name },
    });
    return { id, name: row.name };
  });
}
