import { randomBytes } from "node:crypto";
import { schema, type Executor } from "@nimbus/db";
import { and, desc, eq, gt, isNull } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import type { Authenticated } from "./credential";
import { hashToken, principalFor } from "./session";
import { DEFAULT_IDENTITY_SETTINGS } from "../settings";
import { idInput, text } from "../validation";

/** Prefix that makes a leaked token easy to recognise and grep for. */
export const API_TOKEN_PREFIX = "nimbus_";

export const createApiTokenInput = z.object({
  name: text("Name").trim().min(1, "Name the token (what script uses it?).").max(100),
  /** Lifetime in minutes; default 60 (Keystone's 1 h), at most 30 days. */
  ttlMinutes: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 60)
    .optional(),
});

/**
 * A token for scripts, scoped to the caller's current project; the secret is shown once. Made
 * in a browser session only (the policy's `session` rule): a token cannot mint a token.
 */
export async function createApiToken({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createApiTokenInput> }) {
  const principal = authorize(ctx.principal, "tokens.create");
  const { name, ttlMinutes } = parseInput(createApiTokenInput, input);
  const secret = `${API_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const expiresAt = new Date(Date.now() + (ttlMinutes ? ttlMinutes * 60_000 : (ctx.identity ?? DEFAULT_IDENTITY_SETTINGS).apiTokenTtlMs));
  const [row] = await ctx.db
    .insert(schema.apiTokens)
    .values({ userId: principal.userId, projectId: principal.projectId, name, tokenHash: hashToken(secret), expiresAt })
    .returning({ id: schema.apiTokens.id });
  await audit(ctx, ctx.db, { action: "token.create", outcome: "success", targetType: "api_token", targetId: row!.id, details: { name, expiresAt } });
  return { id: row!.id, name, projectName: principal.projectName, expiresAt: expiresAt.toISOString(), token: secret };
}

export async function listApiTokens({ ctx }: { ctx: CoreContext }) {
  const principal = authorize(ctx.principal, "tokens.list");
  const rows = await ctx.db
    .select({
      id: schema.apiTokens.id,
      name: schema.apiTokens.name,
      projectName: schema.projects.name,
      createdAt: schema.apiTokens.createdAt,
      expiresAt: schema.apiTokens.expiresAt,
      revokedAt: schema.apiTokens.revokedAt,
      lastUsedAt: schema.apiTokens.lastUsedAt,
    })
    .from(schema.apiTokens)
    .innerJoin(schema.projects, eq(schema.projects.id, schema.apiTokens.projectId))
    // Keystone's tokens (one per CLI sign-in) are not the user's named script tokens.
    .where(and(eq(schema.apiTokens.userId, principal.userId), eq(schema.apiTokens.kind, "script")))
    .orderBy(desc(schema.apiTokens.createdAt));
  const now = Date.now();
  return rows.map((r) => ({
    ...r,
    state: r.revokedAt ? ("revoked" as const) : r.expiresAt.getTime() <= now ? ("expired" as const) : ("active" as const),
  }));
}

export async function revokeApiToken({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }) {
  const principal = authorize(ctx.principal, "tokens.revoke");
  const { id } = parseInput(idInput, input);
  const rows = await ctx.db
    .update(schema.apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(schema.apiTokens.id, id), eq(schema.apiTokens.userId, principal.userId), isNull(schema.apiTokens.revokedAt)))
    .returning({ id: schema.apiTokens.id });
  if (rows.length === 0) throw NimbusError.notFound("API token", id);
  await audit(ctx, ctx.db, { action: "token.revoke", outcome: "success", targetType: "api_token", targetId: id });
  ctx.publisher.apiTokenRevoked?.(id);
  return { id: id };
}

/** Revokes every API token of a user still in force (disabled, or password changed); says how many. */
export async function revokeUserApiTokens(db: Executor, userId: string): Promise<number> {
  const rows = await db
    .update(schema.apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(schema.apiTokens.userId, userId), isNull(schema.apiTokens.revokedAt)))
    .returning({ id: schema.apiTokens.id });
  return rows.length;
}

/** What a token's standing is made of. */
const STANDING_COLUMNS = {
  id: schema.apiTokens.id,
  userId: schema.apiTokens.userId,
  projectId: schema.apiTokens.projectId,
  expiresAt: schema.apiTokens.expiresAt,
};

/** The principal of a valid (known, unrevoked, unexpired) API token, scoped to its project; marks the token used. */
export async function resolveApiToken(db: Executor, token: string): Promise<Authenticated | null> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return null;
  const [row] = await db
    .update(schema.apiTokens)
    .set({ lastUsedAt: new Date() })
    .where(and(eq(schema.apiTokens.tokenHash, hashToken(token)), isNull(schema.apiTokens.revokedAt), gt(schema.apiTokens.expiresAt, new Date())))
    .returning(STANDING_COLUMNS);
  return row ? standingOf(db, row) : null;
}

/** An API token as it stands now, by its id, without marking it used (a live socket's re-check). */
export async function apiTokenStanding(db: Executor, id: string, now = new Date()): Promise<Authenticated | null> {
  const [row] = await db
    .select(STANDING_COLUMNS)
    .from(schema.apiTokens)
    .where(and(eq(schema.apiTokens.id, id), isNull(schema.apiTokens.revokedAt), gt(schema.apiTokens.expiresAt, now)));
  return row ? standingOf(db, row) : null;
}

async function standingOf(db: Executor, row: { id: string; userId: string; projectId: string; expiresAt: Date }): Promise<Authenticated | null> {
  const principal = await principalFor(db, row.userId, row.projectId, "api_token");
  // A token never escapes its project: if the role there is gone, the token is useless.
  if (!principal || principal.projectId !== row.projectId) return null;
  return { principal, credential: { kind: "api_token", id: row.id }, validUntil: row.expiresAt };
}
