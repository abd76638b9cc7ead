import { schema } from "@nimbus/db";
import type { UserRow } from "@nimbus/db/schema";
import { eq } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { authorize, type Principal } from "../policy";
import { NimbusError, parseInput } from "../errors";
import { dummyPasswordHash, verifyPassword } from "./password";
import { hashToken, newSessionToken, principalFor } from "./session";
import { DEFAULT_IDENTITY_SETTINGS, type IdentitySettings } from "../settings";
import { beginSignInAttempt, signInSucceeded } from "./throttle";
import { text } from "../validation";

export const signInInput = z.object({
  name: text("User name").trim().min(1, "Enter your user name").max(255),
  password: text("The password").min(1, "Enter your password").max(1024),
});
export type SignInInput = z.infer<typeof signInInput>;

const INVALID = "Invalid user name or password.";

/**
 * The user and principal a user name and password stand for, or Unauthenticated: the one
 * password check of the console's sign-in and Keystone's password method. Throttled per user
 * name and per address (see `beginSignInAttempt`): the attempt is counted before the password
 * is checked, so parallel guesses check at most the lockout's limit. The error never says
 * whether the user exists. With `projectId`, the principal is scoped there or the check fails
 * (Keystone refuses a scope the user has no role in).
 */
export async function checkPassword(
  ctx: Pick<CoreContext, "db" | "remoteAddress">,
  { name, password }: SignInInput,
  settings: IdentitySettings,
  { projectId, via }: { projectId: string | null; via: Principal["via"] },
): Promise<{ user: UserRow; principal: Principal }> {
  const anonymous = { principal: null, remoteAddress: ctx.remoteAddress };
  const attempt = await beginSignInAttempt(ctx.db, name, ctx.remoteAddress, settings.lockout);
  const user = await ctx.db.query.users.findFirst({ where: eq(schema.users.name, name) });
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), password);
  const principal = user && ok && user.enabled ? await principalFor(ctx.db, user.id, projectId ?? user.defaultProjectId, via) : null;
  if (!user || !principal || (projectId !== null && principal.projectId !== projectId)) {
    await audit(anonymous, ctx.db, { action: "auth.sign_in", outcome: "failure", actorName: name, projectId: null });
    throw new NimbusError("Unauthenticated", INVALID);
  }
  await signInSucceeded(ctx.db, attempt);
  return { user, principal };
}

/** Checks a password (`checkPassword`) and opens a new session (a fresh token every time: no fixation). */
export async function signIn({
  ctx,
  input,
  settings = DEFAULT_IDENTITY_SETTINGS,
  userAgent = null,
}: {
  ctx: Pick<CoreContext, "db" | "remoteAddress" | "principal">;
  input: z.input<typeof signInInput>;
  settings?: IdentitySettings;
  userAgent?: string | null;
}): Promise<{ token: string; principal: Principal; expiresAt: Date }> {
  authorize(ctx.principal, "auth.signIn");
  const { name, password } = parseInput(signInInput, input);
  const { user, principal } = await checkPassword(ctx, { name, password }, settings, { projectId: null, via: "session" });
  const token = newSessionToken();
  const expiresAt = new Date(Date.now() + settings.session.absoluteTimeoutMs);
  await ctx.db.insert(schema.sessions).values({
    tokenHash: hashToken(token),
    userId: user.id,
    projectId: principal.projectId,
    expiresAt,
    remoteAddress: ctx.remoteAddress,
    userAgent: userAgent?.slice(0, 512) ?? null,
  });
  await audit({ principal, remoteAddress: ctx.remoteAddress }, ctx.db, {
    action: "auth.sign_in",
    outcome: "success",
    targetType: "user",
    targetId: user.id,
  });
  return { token, principal, expiresAt };
}
