import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext, Principal } from "../context";
import { NimbusError } from "../errors";
import { dummyPasswordHash, verifyPassword } from "./password";
import { DEFAULT_SESSION_POLICY, hashToken, newSessionToken, principalFor, type SessionPolicy } from "./session";

export const signInInput = z.object({
  name: z.string().trim().min(1, "Enter your user name").max(255),
  password: z.string().min(1, "Enter your password").max(1024),
});
export type SignInInput = z.infer<typeof signInInput>;

const INVALID = "Invalid user name or password.";

/**
 * Checks a password and opens a new session (a fresh token every time: no fixation).
 * The error never says whether the user exists.
 */
export async function signIn({
  ctx,
  input,
  policy = DEFAULT_SESSION_POLICY,
  userAgent = null,
}: {
  ctx: Pick<CoreContext, "db" | "remoteAddress">;
  input: SignInInput;
  policy?: SessionPolicy;
  userAgent?: string | null;
}): Promise<{ token: string; principal: Principal; expiresAt: Date }> {
  const user = await ctx.db.query.users.findFirst({ where: eq(schema.users.name, input.name) });
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password);
  if (!user || !ok || !user.enabled) throw new NimbusError("Unauthenticated", INVALID);
  const principal = await principalFor(ctx.db, user.id, user.defaultProjectId);
  if (!principal) throw new NimbusError("Unauthenticated", "Your account has no role in any enabled project; ask an administrator.");
  const token = newSessionToken();
  const expiresAt = new Date(Date.now() + policy.absoluteTimeoutMs);
  await ctx.db.insert(schema.sessions).values({
    tokenHash: hashToken(token),
    userId: user.id,
    projectId: principal.projectId,
    expiresAt,
    remoteAddress: ctx.remoteAddress,
    userAgent: userAgent?.slice(0, 512) ?? null,
  });
  return { token, principal, expiresAt };
}
