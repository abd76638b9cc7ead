import { randomBytes } from "node:crypto";
import { schema } from "@nimbus/db";
import { and, eq, isNull, lt } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize, type Principal } from "../policy";
import { DEFAULT_IDENTITY_SETTINGS, type IdentitySettings } from "../settings";
import { text } from "../validation";
import { API_TOKEN_PREFIX, resolveApiToken } from "./api-tokens";
import { hashToken, principalFor } from "./session";
import { checkPassword } from "./sign-in";

/**
 * Keystone's token API (`POST/GET/DELETE /v3/auth/tokens`) on Nimbus's own credentials: a
 * password, or a token in force, is exchanged for a new token scoped to one project. Tokens are
 * API tokens of kind `keystone`: the same hash-only storage, expiry, revocation (sign-out, user
 * disabled, password changed) and resolution as the tokens users make for scripts.
 */

/** The one domain: every user and project is in Keystone's `Default` (id `default`). */
export const DEFAULT_DOMAIN = { id: "default", name: "Default" } as const;

const domainRef = z
  .object({ id: text("Domain id").max(64).optional(), name: text("Domain name").max(64).optional() })
  .strict()
  .refine((d) => (d.id === undefined || d.id === DEFAULT_DOMAIN.id) && (d.name === undefined || d.name === DEFAULT_DOMAIN.name), {
    message: `Nimbus has one domain: ${DEFAULT_DOMAIN.name} (id ${DEFAULT_DOMAIN.id}).`,
  });

export const issueTokenInput = z.object({
  credential: z.discriminatedUnion("method", [
    z.object({
      method: z.literal("password"),
      /** By name (in the Default domain) or by id. */
      user: z.union([z.object({ name: text("User name").min(1).max(255) }), z.object({ id: z.uuid("Not a user id.") })]),
      password: text("Password").min(1).max(1024),
    }),
    z.object({ method: z.literal("token"), token: text("Token").min(1).max(512) }),
  ]),
  /** The project to scope to, by id or by name; absent: the user's default project (as Keystone does). */
  project: z.union([z.object({ id: z.uuid("Not a project id.") }), z.object({ name: text("Project name").min(1).max(255) })]).nullable(),
});
export type IssueTokenInput = z.input<typeof issueTokenInput>;

export { domainRef as keystoneDomainRef };

export interface IssuedToken {
  token: string;
  principal: Principal;
  method: "password" | "token";
  issuedAt: Date;
  expiresAt: Date;
}

/** Keystone tokens past their expiry for this long are deleted as new ones are issued. */
const KEEP_EXPIRED_MS = 24 * 3_600_000;

/**
 * Issues a Keystone token. The password method is the console's sign-in check (the same
 * lockout and throttling); the token method re-scopes a token in force and never outlives it,
 * so a token cannot stretch its own life. Refuses (401) a project the user has no role in.
 */
export async function issueKeystoneToken({
  ctx,
  input,
  settings = DEFAULT_IDENTITY_SETTINGS,
}: {
  ctx: Pick<CoreContext, "db" | "remoteAddress" | "principal" | "requestId">;
  input: IssueTokenInput;
  settings?: IdentitySettings;
}): Promise<IssuedToken> {
  authorize(ctx.principal, "http:keystone-issue-token");
  const { credential, project } = parseInput(issueTokenInput, input);
  const projectId = project && "name" in project ? await projectIdByName(ctx, project.name) : (project?.id ?? null);
  const now = new Date();
  let principal: Principal;
  let expiresAt = new Date(now.getTime() + settings.apiTokenTtlMs);
  if (credential.method === "password") {
    const name = "name" in credential.user ? credential.user.name : await userNameById(ctx, credential.user.id);
    ({ principal } = await checkPassword(ctx, { name, password: credential.password }, settings, { projectId, via: "api_token" }));
  } else {
    const source = await resolveApiToken(ctx.db, credential.token);
    if (!source) throw NimbusError.unauthenticated("The token is not valid: it expired, was revoked or never existed.");
    const scoped = await rescope(ctx, source.principal, projectId);
    principal = scoped;
    if (source.validUntil < expiresAt) expiresAt = source.validUntil;
  }
  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const [row] = await ctx.db
    .insert(schema.apiTokens)
    .values({
      userId: principal.userId,
      projectId: principal.projectId,
      name: `keystone ${credential.method}`,
      kind: "keystone",
      tokenHash: hashToken(token),
      createdAt: now,
      expiresAt,
    })
    .returning({ id: schema.apiTokens.id });
  await audit({ principal, remoteAddress: ctx.remoteAddress }, ctx.db, {
    action: "auth.token_issue",
    outcome: "success",
    targetType: "api_token",
    targetId: row!.id,
    details: { method: credential.method, expiresAt },
  });
  await ctx.db
    .delete(schema.apiTokens)
    .where(and(eq(schema.apiTokens.kind, "keystone"), lt(schema.apiTokens.expiresAt, new Date(now.getTime() - KEEP_EXPIRED_MS))));
  return { token, principal, method: credential.method, issuedAt: now, expiresAt };
}

/** A token's principal re-scoped to `projectId` (null: where it is), or 401 where the user has no role. */
async function rescope(ctx: Pick<CoreContext, "db">, principal: Principal, projectId: string | null): Promise<Principal> {
  if (projectId === null || projectId === principal.projectId) return principal;
  const scoped = await principalFor(ctx.db, principal.userId, projectId, "api_token");
  if (!scoped || scoped.projectId !== projectId) throw NimbusError.unauthenticated("You have no role in that project.");
  return scoped;
}

async function projectIdByName(ctx: Pick<CoreContext, "db">, name: string): Promise<string> {
  const project = await ctx.db.query.projects.findFirst({ where: eq(schema.projects.name, name), columns: { id: true } });
  // Keystone answers 401 for a scope that cannot be used, without saying whether it exists.
  if (!project) throw NimbusError.unauthenticated("Invalid user name, password or project.");
  return project.id;
}

async function userNameById(ctx: Pick<CoreContext, "db">, id: string): Promise<string> {
  const user = await ctx.db.query.users.findFirst({ where: eq(schema.users.id, id), columns: { name: true } });
  // An unknown id still goes through the password check's throttle, under a name no user has.
  return user?.name ?? `#${id}`;
}

/** A token in force, as Keystone's validate call reports it: who, where, until when; else 404. */
export async function validateKeystoneToken({ ctx, input }: { ctx: Pick<CoreContext, "db" | "principal">; input: { token: string } }) {
  authorize(ctx.principal, "http:keystone-validate-token");
  const { token } = parseInput(z.object({ token: text("Token").min(1).max(512) }), input);
  const found = await tokenRow(ctx, token);
  const standing = found ? await resolveApiToken(ctx.db, token) : null;
  if (!found || !standing) throw new NimbusError("NotFound", "The token is not valid: it expired, was revoked or never existed.");
  return { principal: standing.principal, issuedAt: found.createdAt, expiresAt: found.expiresAt, kind: found.kind };
}

/** Revokes a token (Keystone's `DELETE /v3/auth/tokens`): its holder, or a cloud admin. */
export async function revokeKeystoneToken({
  ctx,
  input,
}: {
  ctx: Pick<CoreContext, "db" | "principal" | "remoteAddress" | "requestId">;
  input: { token: string };
}) {
  const principal = authorize(ctx.principal, "http:keystone-revoke-token");
  const { token } = parseInput(z.object({ token: text("Token").min(1).max(512) }), input);
  const found = await tokenRow(ctx, token);
  if (!found || found.revokedAt || found.expiresAt <= new Date())
    throw new NimbusError("NotFound", "The token is not valid: it expired, was revoked or never existed.");
  if (found.userId !== principal.userId && !principal.isAdmin)
    throw new NimbusError("NotFound", "The token is not valid: it expired, was revoked or never existed.");
  await ctx.db
    .update(schema.apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(schema.apiTokens.id, found.id), isNull(schema.apiTokens.revokedAt)));
  await audit(ctx, ctx.db, {
    action: "token.revoke",
    outcome: "success",
    targetType: "api_token",
    targetId: found.id,
    details: { kind: found.kind },
  });
}

async function tokenRow(ctx: Pick<CoreContext, "db">, token: string) {
  if (!token.startsWith(API_TOKEN_PREFIX)) return null;
  return (await ctx.db.query.apiTokens.findFirst({ where: eq(schema.apiTokens.tokenHash, hashToken(token)) })) ?? null;
}
