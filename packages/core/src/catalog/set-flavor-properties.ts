import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import type { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { lockFlavor } from "./flavor-rows";
import { MAX_EXTRA_SPECS, setFlavorPropertiesInput } from "./flavor-validation";

/**
 * Nova's flavor extra specs (cloud admins), shown as the flavor's properties: sets some and
 * removes others in one change. Removing one the flavor lacks is NotFound, as Nova answers.
 * Stored and shown; the scheduler honours none of them yet.
 */
export async function setFlavorProperties({ ctx, input }: { ctx: CoreContext; input: z.input<typeof setFlavorPropertiesInput> }) {
  authorize(ctx.principal, "flavors.setProperties");
  const { id, set, unset } = parseInput(setFlavorPropertiesInput, input);
  return ctx.db.transaction(async (tx) => {
    const flavor = await lockFlavor(tx, id);
    const missing = unset.find((key) => !Object.hasOwn(flavor.extraSpecs, key));
    if (missing !== undefined)
      throw new NimbusError("NotFound", `Flavor ${flavor.name} has no property ${missing}.`, { kind: "Flavor property", id: missing });
    const extraSpecs = { ...flavor.extraSpecs, ...set };
    for (const key of unset) delete extraSpecs[key];
    if (Object.keys(extraSpecs).length > MAX_EXTRA_SPECS)
      throw NimbusError.badRequest(`Flavor ${flavor.name} would hold more than ${MAX_EXTRA_SPECS} properties.`, [
        { path: "set", message: "Too many properties." },
      ]);
    const [row] = await tx.update(schema.flavors).set({ extraSpecs, updatedAt: new Date() }).where(eq(schema.flavors.id, id)).returning();
    await audit(ctx, tx, {
      action: "flavor.set_properties",
      outcome: "success",
      targetType: "flavor",
      targetId: id,
      projectId: null,
      details: { name: flavor.name, set, unset },
    });
    return row!;
  });
}
