import { schema, type Executor } from "@nimbus/db";
import { eq, sql } from "@nimbus/db/orm";
import { quotaLimits, refuseOverages } from "./enforce";

/** How many key pairs a user holds (Nova counts key pairs per user, not per project). */
export async function keyPairUsage(db: Executor, userId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(schema.keyPairs).where(eq(schema.keyPairs.userId, userId));
  return row?.n ?? 0;
}

/**
 * Must run inside the transaction that inserts the key pair: locks the user's row so two
 * creations by one user queue here, then checks the user's count against the `key_pairs` limit
 * of the project they are scoped to.
 */
export async function enforceKeyPairQuota(tx: Executor, { userId, projectId }: { userId: string; projectId: string }): Promise<void> {
  // NO KEY UPDATE, as for projects: it queues checks without blocking inserts that reference the user.
  await tx.execute(sql`select id from ${schema.users} where id = ${userId} for no key update`);
  const [limits, used] = await Promise.all([quotaLimits(tx, projectId), keyPairUsage(tx, userId)]);
  refuseOverages(limits, { key_pairs: used }, { key_pairs: 1 });
}
