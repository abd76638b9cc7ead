import { schema } from "@nimbus/db";
import { asc, eq } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import { authorize } from "../policy";
import { keyPairView } from "./store";

/** The caller's own key pairs (Nova: key pairs belong to a user, whatever the project). */
export async function listKeyPairs({ ctx }: { ctx: CoreContext }) {
  const principal = authorize(ctx.principal, "keyPairs.list");
  const rows = await ctx.db.select().from(schema.keyPairs).where(eq(schema.keyPairs.userId, principal.userId)).orderBy(asc(schema.keyPairs.name));
  return rows.map(keyPairView);
}
