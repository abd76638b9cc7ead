import { randomBytes } from "node:crypto";
import { schema, type Executor } from "@nimbus/db";
import { and, desc, eq, gt, isNull } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import type { Principal } from "../policy";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
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

/** A token for scripts, scoped to the caller's current project; the secret is shown once. */
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
    .where(eq(schema.apiTokens.userId, principal.userId))
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
  return { id: id };
}

/** The principal of a valid (known, unrevoked, unexpired) API token, scoped to its project. */
export async function resolveApiToken(db: Executor, token: string): Promise<Principal | null> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return null;
  const [row] = await db
    .update(schema.apiTokens)
    .set({ lastUsedAt: new Date() })
    .where(and(eq(schema.apiTokens.tokenHash, hashToken(token)), isNull(schema.apiTokens.revokedAt), gt(schema.apiTokens.expiresAt, new Date())))
    .returning({ userId: schema.apiTokens.userId, projectId: schema.apiTokens.projectId });
  if (!row) return null;
  const principal = await principalFor(db, row.userId, row.projectId);
  // A token never escapes its project: if the role there is gone, the token is useless.
  return principal && principal.projectId === row.projectId ? principal : null;
}
