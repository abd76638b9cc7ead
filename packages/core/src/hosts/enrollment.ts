import { randomBytes } from "node:crypto";
import { schema, type Executor } from "@nimbus/db";
import { and, desc, eq, gt, isNotNull, isNull, sql } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext, Services } from "../context";
import { NimbusError, parseInput } from "../errors";
import { hashToken } from "../identity/session";
import { authorize } from "../policy";
import { hostnameSchema } from "../protocol/agent";
import { enrollRequestSchema } from "../protocol/http";

/** Join tokens live at most an hour. */
export const MAX_JOIN_TOKEN_TTL_MINUTES = 60;

export const createJoinTokenInput = z.object({
  hostname: hostnameSchema.nullable().default(null),
  ttlMinutes: z
    .number()
    .int()
    .min(1)
    .max(MAX_JOIN_TOKEN_TTL_MINUTES, `A join token lives at most ${MAX_JOIN_TOKEN_TTL_MINUTES} minutes.`)
    .default(60),
});
export const hostnameInput = z.object({ hostname: hostnameSchema });

/** An admin creates a one-time token for a new compute host; it is shown once. */
export async function createJoinToken({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createJoinTokenInput> }) {
  const principal = authorize(ctx.principal, "agents.createJoinToken");
  const { hostname, ttlMinutes } = parseInput(createJoinTokenInput, input);
  const token = `nimbus-join_${randomBytes(32).toString("base64url")}`;
  const expiresAt = new Date(Date.now() + ttlMinutes * 60_000);
  const [row] = await ctx.db
    .insert(schema.agentJoinTokens)
    .values({ tokenHash: hashToken(token), hostname, createdBy: principal.userId, expiresAt })
    .returning({ id: schema.agentJoinTokens.id });
  await audit(ctx, ctx.db, {
    action: "agent.join_token",
    outcome: "success",
    targetType: "host",
    targetId: hostname ?? undefined,
    projectId: null,
    details: { expiresAt },
  });
  return { id: row!.id, hostname, token, expiresAt: expiresAt.toISOString() };
}

/**
 * The agent side of enrolment: a valid, unused, unexpired join token (for this host name, if it
 * names one) is spent and exchanged for a fresh host credential, replacing any earlier one.
 */
/** `input` is the request's JSON body as it arrived; it is parsed here, with the protocol's schema. */
export async function enrollHost(services: Pick<Services, "db">, input: unknown, remoteAddress: string | null) {
  // Anyone may ask: the one-time join token is the credential, checked below.
  authorize(null, "http:agent-enroll");
  const { joinToken, hostname } = parseInput(enrollRequestSchema, input);
  const credential = `nimbus-host_${randomBytes(32).toString("base64url")}`;
  await services.db.transaction(async (tx) => {
    const [token] = await tx
      .update(schema.agentJoinTokens)
      .set({ usedAt: new Date(), usedByHostname: hostname })
      .where(
        and(
          eq(schema.agentJoinTokens.tokenHash, hashToken(joinToken)),
          isNull(schema.agentJoinTokens.usedAt),
          gt(schema.agentJoinTokens.expiresAt, new Date()),
        ),
      )
      .returning();
    if (!token)
      throw new NimbusError(
        "Unauthenticated",
        "The join token is not valid: it is unknown, expired or already used. Ask an administrator for a new one.",
      );
    if (token.hostname && token.hostname !== hostname)
      throw new NimbusError("Forbidden", `This join token is for host ${token.hostname}, not ${hostname}.`);
    await tx
      .insert(schema.hostCredentials)
      .values({ hostname, credentialHash: hashToken(credential) })
      .onConflictDoUpdate({
        target: schema.hostCredentials.hostname,
        set: { credentialHash: hashToken(credential), createdAt: new Date(), revokedAt: null },
      });
    await audit({ principal: null, remoteAddress }, tx, {
      action: "agent.enroll",
      outcome: "success",
      targetType: "host",
      targetId: hostname,
      actorName: `agent:${hostname}`,
      projectId: null,
    });
  });
  return { hostname, credential };
}

/** Is this the current, unrevoked credential of this host? */
export async function verifyHostCredential(db: Executor, hostname: string, credential: string): Promise<boolean> {
  const row = await db.query.hostCredentials.findFirst({ where: eq(schema.hostCredentials.hostname, hostname) });
  return !!row && row.revokedAt === null && row.credentialHash === hashToken(credential);
}

/**
 * The shared secret's check, once the caller compared it (in constant time): it admits an agent
 * as any hostname but one whose credential an admin revoked. A revoked hostname stays revoked
 * (compared as DNS compares names, whatever the case) until it enrols again with a new join
 * token, which clears the revocation (`enrollHost`).
 */
export async function verifyAgentSecret(db: Executor, hostname: string, secretMatches: boolean): Promise<boolean> {
  if (!secretMatches) return false;
  const revoked = await db
    .select({ hostname: schema.hostCredentials.hostname })
    .from(schema.hostCredentials)
    .where(and(sql`lower(${schema.hostCredentials.hostname}) = lower(${hostname})`, isNotNull(schema.hostCredentials.revokedAt)))
    .limit(1);
  return revoked.length === 0;
}

/** Revoking a host's credential cuts its agent off at once, and refuses the shared secret for its hostname (`verifyAgentSecret`). */
export async function revokeHostCredential({ ctx, input }: { ctx: CoreContext; input: z.input<typeof hostnameInput> }) {
  authorize(ctx.principal, "agents.revoke");
  const { hostname } = parseInput(hostnameInput, input);
  const rows = await ctx.db
    .update(schema.hostCredentials)
    .set({ revokedAt: new Date() })
    .where(and(eq(schema.hostCredentials.hostname, hostname), isNull(schema.hostCredentials.revokedAt)))
    .returning();
  if (rows.length === 0) throw NimbusError.notFound("Host credential", hostname);
  await audit(ctx, ctx.db, { action: "agent.revoke", outcome: "success", targetType: "host", targetId: hostname, projectId: null });
  // A revoked host is not coming back as it was: down at once, not after a reconnect grace.
  const down = await ctx.db
    .update(schema.computeHosts)
    .set({ agentSessionId: null, updatedAt: new Date() })
    .where(and(eq(schema.computeHosts.hostname, hostname), isNotNull(schema.computeHosts.agentSessionId)))
    .returning({ id: schema.computeHosts.id });
  for (const { id } of down) ctx.publisher.hostChanged({ hostId: id });
  await ctx.agents.disconnect?.(hostname);
  return { hostname };
}

export async function listAgentAccess({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "agents.list");
  const [credentials, tokens] = await Promise.all([
    ctx.db.select().from(schema.hostCredentials).orderBy(schema.hostCredentials.hostname),
    ctx.db
      .select({
        id: schema.agentJoinTokens.id,
        hostname: schema.agentJoinTokens.hostname,
        createdAt: schema.agentJoinTokens.createdAt,
        expiresAt: schema.agentJoinTokens.expiresAt,
        usedAt: schema.agentJoinTokens.usedAt,
        usedByHostname: schema.agentJoinTokens.usedByHostname,
      })
      .from(schema.agentJoinTokens)
      .orderBy(desc(schema.agentJoinTokens.createdAt))
      .limit(50),
  ]);
  return {
    credentials: credentials.map((c) => ({
      hostname: c.hostname,
      createdAt: c.createdAt.toISOString(),
      revokedAt: c.revokedAt?.toISOString() ?? null,
    })),
    joinTokens: tokens.map((t) => ({
      ...t,
      createdAt: t.createdAt.toISOString(),
      expiresAt: t.expiresAt.toISOString(),
      usedAt: t.usedAt?.toISOString() ?? null,
    })),
  };
}
