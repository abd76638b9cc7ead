import { schema, type Executor } from "@nimbus/db";
import { and, desc, eq, gt, sql } from "@nimbus/db/orm";
import { NimbusError } from "../errors";
import type { IdentitySettings } from "../settings";

const minutes = (ms: number) => Math.max(1, Math.ceil(ms / 60_000));

/**
 * Refuses a sign-in while the user name is locked (too many failures since its last success
 * or unlock, within the window) or the address is blocked. Works the same whether or not the
 * user exists, so the answer never tells.
 */
export async function assertSignInAllowed(
  db: Executor,
  name: string,
  address: string | null,
  policy: IdentitySettings["lockout"],
  now = new Date(),
): Promise<void> {
  const windowStart = new Date(now.getTime() - policy.windowMs);
  const [lastSuccess] = await db
    .select({ at: schema.signInAttempts.at })
    .from(schema.signInAttempts)
    .where(and(eq(schema.signInAttempts.userName, name), eq(schema.signInAttempts.succeeded, true)))
    .orderBy(desc(schema.signInAttempts.at))
    .limit(1);
  const since = lastSuccess && lastSuccess.at > windowStart ? lastSuccess.at : windowStart;
  const failures = await db
    .select({ at: schema.signInAttempts.at })
    .from(schema.signInAttempts)
    .where(and(eq(schema.signInAttempts.userName, name), eq(schema.signInAttempts.succeeded, false), gt(schema.signInAttempts.at, since)))
    .orderBy(desc(schema.signInAttempts.at))
    .limit(policy.maxFailures);
  if (failures.length >= policy.maxFailures) {
    const unlocksAt = failures[failures.length - 1]!.at.getTime() + policy.windowMs;
    throw new NimbusError(
      "TooManyRequests",
      `Too many failed sign-ins for this account. Try again in ${minutes(unlocksAt - now.getTime())} minutes or ask an administrator to unlock it.`,
    );
  }
  if (address) {
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(schema.signInAttempts)
      .where(
        and(
          sql`${schema.signInAttempts.remoteAddress} = ${address}::inet`,
          eq(schema.signInAttempts.succeeded, false),
          gt(schema.signInAttempts.at, windowStart),
        ),
      );
    if ((row?.n ?? 0) >= policy.maxFailuresPerAddress) {
      throw new NimbusError("TooManyRequests", `Too many failed sign-ins from your address. Try again in ${minutes(policy.windowMs)} minutes.`);
    }
  }
}

export async function recordSignInAttempt(db: Executor, name: string, address: string | null, succeeded: boolean): Promise<void> {
  await db.insert(schema.signInAttempts).values({ userName: name, remoteAddress: address, succeeded });
}
