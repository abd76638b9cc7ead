import { schema } from "@nimbus/db";
import { and, eq, isNull, or } from "@nimbus/db/orm";
import type { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { createFlavorInput } from "./flavor-validation";

/**
 * Nova's flavor-manage create (cloud admins): a new size, public or private (a private flavor is
 * offered to no project until access is added; cloud admins see it). Its name is unique among
 * the flavors not deleted, and its id among all (instances of a deleted flavor still name it).
 */
export async function createFlavor({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createFlavorInput> }) {
  authorize(ctx.principal, "flavors.create");
  const { id, ...value } = parseInput(createFlavorInput, input);
  return ctx.db.transaction(async (tx) => {
    const f = schema.flavors;
    const clash = await tx
      .select({ id: f.id, name: f.name })
      .from(f)
      .where(or(and(eq(f.name, value.name), isNull(f.deletedAt)), id ? eq(f.id, id) : undefined))
      .for("update");
    const byId = clash.find((c) => c.id === id);
    if (byId) throw new NimbusError("Conflict", `A flavor with id ${id} already exists.`, { fields: [{ path: "id", message: "This id is taken." }] });
    if (clash.length > 0) {
      throw new NimbusError("Conflict", `A flavor named ${value.name} already exists.`, {
        fields: [{ path: "name", message: "This name is taken." }],
      });
    }
    // The name's unique index settles two creates racing past the check above.
    const [row] = await tx
      .insert(f)
      .values({ ...(id ? { id } : {}), ...value })
      .onConflictDoNothing()
      .returning();
    if (!row)
      throw new NimbusError("Conflict", `A flavor named ${value.name} already exists.`, {
        fields: [{ path: "name", message: "This name is taken." }],
      });
    await audit(ctx, tx, {
      action: "flavor.create",
      outcome: "success",
      targetType: "flavor",
      targetId: row.id,
      projectId: null,
      details: { name: row.name, vcpus: row.vcpus, memoryMb: row.memoryMb, rootGb: row.rootGb, isPublic: row.isPublic },
    });
    return row;
  });
}
