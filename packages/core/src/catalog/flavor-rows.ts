import { schema, type Executor } from "@nimbus/db";
import { and, eq, isNull } from "@nimbus/db/orm";
import { NimbusError } from "../errors";

const liveFlavor = (id: string) => and(eq(schema.flavors.id, id), isNull(schema.flavors.deletedAt));

/** A flavor not deleted, or NotFound. */
export async function findFlavor(db: Executor, id: string) {
  const [row] = await db.select().from(schema.flavors).where(liveFlavor(id));
  if (!row) throw NimbusError.notFound("Flavor", id);
  return row;
}

/** A flavor not deleted, locked for a change in the caller's transaction, or NotFound. */
export async function lockFlavor(tx: Executor, id: string) {
  const [row] = await tx.select().from(schema.flavors).where(liveFlavor(id)).for("update");
  if (!row) throw NimbusError.notFound("Flavor", id);
  return row;
}
