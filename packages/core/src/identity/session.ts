import { createHash, randomBytes } from "node:crypto";
import { jsonValue, rowFromJson, schema, statement, type Database, type Executor } from "@nimbus/db";
import { and, eq, isNull, ne, sql } from "@nimbus/db/orm";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import type { Principal, Role } from "../policy";
import { authorize } from "../policy";
import { strongestRole } from "../policy";
import { DEFAULT_IDENTITY_SETTINGS, type IdentitySettings } from "../settings";
import { z } from "zod";
import type { Authenticated } from "./credential";

/** 256 random bits, base64url; only its SHA-256 is stored. */
export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A user with their role assignments and the assignments' projects, as `principalOf` needs. */
const WITH_ASSIGNMENTS = { roleAssignments: { with: { project: true } } } as const;

/**
 * Builds the principal of a user scoped to a project, or null when the user is disabled or has
 * no role there. Cloud admins may scope to any enabled project; others need an assignment.
 * Without a project (or one they cannot use), the default project or the first assignment.
 */
export async function principalFor(db: Executor, userId: string, projectId: string | null, via: Principal["via"]): Promise<Principal | null> {
  const user = await db.query.users.findFirst({ where: eq(schema.users.id, userId), with: WITH_ASSIGNMENTS });
  return user ? principalOf(db, user, projectId, via) : null;
}

/** The user with their roles and projects, as `readSession` builds it in SQL. */
const userWithAssignments = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  defaultProjectId: z.string().nullable(),
  roleAssignments: z.array(
    z.object({ projectId: z.string(), role: z.string(), project: z.object({ id: z.string(), name: z.string(), enabled: z.boolean() }) }),
  ),
});
type UserWithAssignments = z.infer<typeof userWithAssignments>;

async function principalOf(db: Executor, user: UserWithAssignments, projectId: string | null, via: Principal["via"]): Promise<Principal | null> {
  if (!user.enabled) return null;
  const assignments = user.roleAssignments.filter((a) => a.project.enabled);
  const isAdmin = assignments.some((a) => a.role === "admin");
  const principal = (project: { id: string; name: string }, role: Role): Principal => ({
    userId: user.id,
    userName: user.name,
    projectId: project.id,
    projectName: project.name,
    role,
    isAdmin,
    via,
  });
  const roleIn = (id: string) => strongestRole(assignments.filter((a) => a.projectId === id).map((a) => a.role as Role));
  for (const candidate of [projectId, user.defaultProjectId]) {
    if (!candidate) continue;
    const role = roleIn(candidate);
    if (role) return principal(assignments.find((a) => a.projectId === candidate)!.project, role);
    if (isAdmin) {
      const project = await db.query.projects.findFirst({ where: and(eq(schema.projects.id, candidate), eq(schema.projects.enabled, true)) });
      if (project) return principal(project, "admin");
    }
  }
  const first = assignments[0];
  return first ? principal(first.project, roleIn(first.projectId)!) : null;
}

/**
 * Resolves a browser session token: unknown, revoked, idle-expired or absolutely-expired tokens
 * give null. Touches `last_seen_at` so the idle window slides. Every API call comes through
 * here, so the session, its user and the user's roles are read in one query.
 */
export async function resolveSession(
  db: Database,
  token: string,
  policy: IdentitySettings["session"] = DEFAULT_IDENTITY_SETTINGS.session,
  now = new Date(),
): Promise<Authenticated | null> {
  return sessionStanding(db, hashToken(token), policy, { now, touch: true });
}

/**
 * A session as it stands now, by its token's hash: null once it is revoked, idle or past its
 * lifetime, or its user can no longer act. `touch` slides the idle window (a call made with
 * it); a live socket's re-check reads without touching, so an open socket alone never keeps a
 * session alive.
 */
export async function sessionStanding(
  db: Database,
  tokenHash: string,
  policy: IdentitySettings["session"],
  { now = new Date(), touch = false }: { now?: Date; touch?: boolean } = {},
): Promise<Authenticated | null> {
  const [row] = await readSession(db, { tokenHash });
  if (!row) return null;
  const session = rowFromJson(schema.sessions, row);
  if (session.expiresAt <= now || now.getTime() - session.lastSeenAt.getTime() > policy.idleTimeoutMs) return null;
  let lastSeenAt = session.lastSeenAt;
  if (touch && now.getTime() - lastSeenAt.getTime() > 15_000) {
    await db.update(schema.sessions).set({ lastSeenAt: now }).where(eq(schema.sessions.tokenHash, tokenHash));
    lastSeenAt = now;
  }
  const principal = await principalOf(db, userWithAssignments.parse(jsonValue(row.user)), session.projectId, "session");
  if (!principal) return null;
  const idleUntil = lastSeenAt.getTime() + policy.idleTimeoutMs;
  return {
    principal,
    credential: { kind: "session", tokenHash },
    validUntil: new Date(Math.min(session.expiresAt.getTime(), idleUntil)),
  };
}

/** A live session with its user, the user's roles and their projects, as `principalOf` needs: every API call reads it. */
const readSession = statement<"tokenHash", { project_id: string | null; last_seen_at: string; expires_at: string; user: unknown }>(
  (v) => sql`
    select s.project_id, s.last_seen_at, s.expires_at,
      json_build_object('id', u.id, 'name', u.name, 'enabled', u.enabled, 'defaultProjectId', u.default_project_id,
        'roleAssignments', coalesce((select json_agg(json_build_object('projectId', a.project_id, 'role', a.role,
            'project', json_build_object('id', p.id, 'name', p.name, 'enabled', p.enabled)))
          from ${schema.roleAssignments} a join ${schema.projects} p on p.id = a.project_id where a.user_id = u.id), '[]'::json)) as user
    from ${schema.sessions} s join ${schema.users} u on u.id = s.user_id
    where s.token_hash = ${v.tokenHash}::text and s.revoked_at is null`,
);

export async function revokeSession(db: Executor, token: string): Promise<void> {
  await db
    .update(schema.sessions)
    .set({ revokedAt: new Date() })
    .where(eq(schema.sessions.tokenHash, hashToken(token)));
}

/** Revokes every session of a user (disabled, or password changed), but the one of `except` (a raw token) if given. */
export async function revokeUserSessions(db: Executor, userId: string, except?: string): Promise<void> {
  await db
    .update(schema.sessions)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(schema.sessions.userId, userId),
        isNull(schema.sessions.revokedAt),
        except ? ne(schema.sessions.tokenHash, hashToken(except)) : undefined,
      ),
    );
}

/** Ends a browser session: revoked server-side, audited, and its live sockets dropped. */
export async function signOut({ ctx, sessionToken }: { ctx: CoreContext; sessionToken: string | null }): Promise<void> {
  const principal = authorize(ctx.principal, "auth.signOut");
  if (!sessionToken) return;
  await revokeSession(ctx.db, sessionToken);
  await audit(ctx, ctx.db, { action: "auth.sign_out", outcome: "success", targetType: "user", targetId: principal.userId });
  ctx.publisher.sessionEnded?.(hashToken(sessionToken));
}
