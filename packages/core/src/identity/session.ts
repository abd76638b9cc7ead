import { createHash, randomBytes } from "node:crypto";
import { schema, type Database } from "@nimbus/db";
import { and, eq, isNull } from "@nimbus/db/orm";
import type { Principal, Role } from "../context";
import { strongestRole } from "./roles";

export interface SessionPolicy {
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleTimeoutMs: 30 * 60_000, absoluteTimeoutMs: 8 * 3_600_000 };

/** 256 random bits, base64url; only its SHA-256 is stored. */
export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Builds the principal of a user scoped to a project, or null when the user has no role there. */
export async function principalFor(db: Database, userId: string, projectId: string | null): Promise<Principal | null> {
  const user = await db.query.users.findFirst({
    where: eq(schema.users.id, userId),
    with: { roleAssignments: { with: { project: true } } },
  });
  if (!user || !user.enabled) return null;
  const enabledAssignments = user.roleAssignments.filter((a) => a.project.enabled);
  const isAdmin = enabledAssignments.some((a) => a.role === "admin");
  const scoped = enabledAssignments.filter((a) => a.projectId === (projectId ?? user.defaultProjectId));
  const fallback = scoped.length > 0 ? scoped : enabledAssignments.slice(0, 1);
  const first = fallback[0];
  if (!first) return null;
  const role = strongestRole(fallback.filter((a) => a.projectId === first.projectId).map((a) => a.role as Role));
  if (!role) return null;
  return { userId: user.id, userName: user.name, projectId: first.projectId, projectName: first.project.name, role, isAdmin };
}

/**
 * Resolves a browser session token: unknown, revoked, idle-expired or absolutely-expired tokens
 * give null. Touches `last_seen_at` so the idle window slides.
 */
export async function resolveSession(
  db: Database,
  token: string,
  policy: SessionPolicy = DEFAULT_SESSION_POLICY,
  now = new Date(),
): Promise<Principal | null> {
  const tokenHash = hashToken(token);
  const session = await db.query.sessions.findFirst({
    where: and(eq(schema.sessions.tokenHash, tokenHash), isNull(schema.sessions.revokedAt)),
  });
  if (!session) return null;
  if (session.expiresAt <= now || now.getTime() - session.lastSeenAt.getTime() > policy.idleTimeoutMs) return null;
  if (now.getTime() - session.lastSeenAt.getTime() > 15_000) {
    await db.update(schema.sessions).set({ lastSeenAt: now }).where(eq(schema.sessions.tokenHash, tokenHash));
  }
  return principalFor(db, session.userId, session.projectId);
}

export async function revokeSession(db: Database, token: string): Promise<void> {
  await db.update(schema.sessions).set({ revokedAt: new Date() }).where(eq(schema.sessions.tokenHash, hashToken(token)));
}
