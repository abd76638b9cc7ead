import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import type { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { parseInput } from "../errors";
import { authorize } from "../policy";
import { lockFlavor } from "./flavor-rows";
import { updateFlavorInput } from "./flavor-validation";

/** Nova's flavor update (2.55, cloud admins): the description is the one thing a flavor may change. */
export async function updateFlavor({ ctx, input }: { ctx: CoreContext; input: z.input<typeof updateFlavorInput> }) {
  authorize(ctx.principal, "flavors.update");
  const { id, description } = parseInput(updateFlavorInput, input);
  return ctx.db.transaction(async (tx) => {
    const flavor = await lockFlavor(tx, id);
    const [row] = await tx.update(schema.flavors).set({ description, updatedAt: new Date() }).where(eq(schema.flavors.id, id)).returning();
    await audit(ctx, tx, {
      action: "flavor.update",
      outcome: "success",
      targetType: "flavor",
      targetId: id,
      projectId: null,
      details: { name: flavor.name },
    });
    return row!;
  });
}
