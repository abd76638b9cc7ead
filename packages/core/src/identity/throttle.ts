import { schema, type Executor } from "@nimbus/db";
import { and, desc, eq, gt, sql } from "@nimbus/db/orm";
import { NimbusError } from "../errors";
import { count } from "../plural";
import type { IdentitySettings } from "../settings";

const minutes = (ms: number) => Math.max(1, Math.ceil(ms / 60_000));

/** The wait after an address's first failure past its allowance; it doubles with each further one. */
export const ADDRESS_BASE_DELAY_MS = 1_000;

/**
 * Advisory lock classes (`pg_advisory_xact_lock(class, key)`) that put the sign-in attempts of
 * one address, and of one user name, in single file while each is counted.
 */
const ADDRESS_LOCK = 0x6e_69_61; // "nia"
const NAME_LOCK = 0x6e_69_6e; // "nin"

/**
 * Counts a sign-in attempt before its password is checked, or refuses it. In one transaction,
 * holding the address's and then the user name's advisory lock (always in that order, so two
 * attempts never wait on each other), it checks the name's lockout and the address's slow-down
 * and records the attempt as failed; `signInSucceeded` turns it into a success once the password
 * is right. So N attempts at once for one name check at most the lockout's limit of passwords,
 * and the argon2 work itself runs outside the locks.
 *
 * - A user name is locked after `maxFailures` failures since its last success or unlock, within
 *   the window, whether or not the user exists (the answer never tells).
 * - An address is slowed, not locked: past `maxFailuresPerAddress` failures within the window,
 *   each further attempt must wait after the address's last failure, 1 s doubling with each
 *   failure (at most the window), and is told how long (Retry-After). A user behind that address
 *   who waits, or anyone elsewhere, is not held.
 *
 * Returns the attempt's id.
 */
export async function beginSignInAttempt(
  db: Executor,
  name: string,
  address: string | null,
  policy: IdentitySettings["lockout"],
  now = new Date(),
): Promise<number> {
  return db.transaction(async (tx) => {
    if (address) await tx.execute(sql`select pg_advisory_xact_lock(${ADDRESS_LOCK}::int, hashtext(${address}::text))`);
    await tx.execute(sql`select pg_advisory_xact_lock(${NAME_LOCK}::int, hashtext(${name}::text))`);
    await assertNameNotLocked(tx, name, policy, now);
    if (address) await assertAddressNotSlowed(tx, address, policy, now);
    const [row] = await tx
      .insert(schema.signInAttempts)
      .values({ userName: name, remoteAddress: address, succeeded: false, at: now })
      .returning({ id: schema.signInAttempts.id });
    return row!.id;
  });
}

/** The attempt's password was right: it no longer counts as a failure, and the name's count starts again. */
export async function signInSucceeded(db: Executor, attemptId: number): Promise<void> {
  await db.update(schema.signInAttempts).set({ succeeded: true }).where(eq(schema.signInAttempts.id, attemptId));
}

async function assertNameNotLocked(tx: Executor, name: string, policy: IdentitySettings["lockout"], now: Date): Promise<void> {
  const windowStart = new Date(now.getTime() - policy.windowMs);
  const [lastSuccess] = await tx
    .select({ at: schema.signInAttempts.at })
    .from(schema.signInAttempts)
    .where(and(eq(schema.signInAttempts.userName, name), eq(schema.signInAttempts.succeeded, true)))
    .orderBy(desc(schema.signInAttempts.at))
    .limit(1);
  const since = lastSuccess && lastSuccess.at > windowStart ? lastSuccess.at : windowStart;
  const failures = await tx
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
      { retryAfterSeconds: Math.max(1, Math.ceil((unlocksAt - now.getTime()) / 1000)) },
    );
  }
}

async function assertAddressNotSlowed(tx: Executor, address: string, policy: IdentitySettings["lockout"], now: Date): Promise<void> {
  const windowStart = new Date(now.getTime() - policy.windowMs);
  const [row] = await tx
    .select({ failures: sql<number>`count(*)::int`, last: sql<Date | null>`max(${schema.signInAttempts.at})`.mapWith(schema.signInAttempts.at) })
    .from(schema.signInAttempts)
    .where(
      and(
        sql`${schema.signInAttempts.remoteAddress} = ${address}::inet`,
        eq(schema.signInAttempts.succeeded, false),
        gt(schema.signInAttempts.at, windowStart),
      ),
    );
  const past = (row?.failures ?? 0) - policy.maxFailuresPerAddress;
  if (past < 0 || !row?.last) return;
  const waitUntil = row.last.getTime() + Math.min(ADDRESS_BASE_DELAY_MS * 2 ** past, policy.windowMs);
  if (waitUntil <= now.getTime()) return;
  const seconds = Math.ceil((waitUntil - now.getTime()) / 1000);
  throw new NimbusError("TooManyRequests", `Too many failed sign-ins from your address. Try again in ${count(seconds, "second")}.`, {
    retryAfterSeconds: seconds,
  });
}

/** Records a finished attempt (an administrator's unlock is recorded as a success). */
export async function recordSignInAttempt(db: Executor, name: string, address: string | null, succeeded: boolean): Promise<void> {
  await db.insert(schema.signInAttempts).values({ userName: name, remoteAddress: address, succeeded });
}
