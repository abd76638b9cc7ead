import { schema } from "@nimbus/db";
import { and, asc, eq, inArray, sql } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { hashPassword, verifyPassword } from "./password";
import { authorize } from "../policy";
import { revokeUserApiTokens } from "./api-tokens";
import { hashToken, revokeUserSessions } from "./session";
import { recordSignInAttempt } from "./throttle";
import { idInput, MAX_LIST_LIMIT, pageInput, text } from "../validation";
import { containsText, keyset, textPart, timestampPart } from "../paging/keyset";

/** At least 12 characters (ASVS 5.0 V6.2.1), at most 128; no composition rules. */
export const passwordSchema = text("The password").min(12, "Use at least 12 characters.").max(128, "Use at most 128 characters.");
const userName = text("User name")
  .trim()
  .min(1, "Enter a user name.")
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, "Use letters, digits, '.', '_', '@' and '-'.");

export const createUserInput = z.object({
  name: userName,
  email: z.email("Not an email address.").nullable().default(null),
  password: passwordSchema,
  projectId: z.uuid("Choose a project."),
  role: z.enum(["reader", "member", "admin"]),
});
export const setUserEnabledInput = z.object({ id: z.uuid(), enabled: z.boolean() });
export const changePasswordInput = z.object({
  currentPassword: text("The password").min(1, "Enter your current password."),
  newPassword: passwordSchema,
});

export const USER_SORT_KEYS = ["name", "created_at"] as const;
export type UserSortKey = (typeof USER_SORT_KEYS)[number];

/** A user list's orders, each ending in the id: by name (unique) or by creation. */
const userKeyset = keyset<UserSortKey>({
  keys: {
    name: [textPart(sql`${schema.users.name}`)],
    created_at: [timestampPart(sql`${schema.users.createdAt}`)],
  },
  id: sql`${schema.users.id}`,
  idCast: (v) => sql`${v}::uuid`,
});

export const listUsersInput = z
  .object({
    ...pageInput(USER_SORT_KEYS, { sort: "name", direction: "asc", limit: 20 }),
    /** The user of this id (Keystone's GET /users/{id}). */
    id: z.uuid("Not a user id.").optional(),
    /** Exactly this name (Keystone's `name` filter). */
    name: text("Name").max(255).optional(),
    /** Names that contain this text, any case (the console's filter). */
    nameContains: text("Name").max(255, "Use at most 255 characters.").optional(),
    enabled: z.boolean().optional(),
  })
  .default({ sort: "name", direction: "asc", limit: 20 });
export type ListUsersInput = z.input<typeof listUsersInput>;

/** A page of the cloud's users (cloud admins only) with their role in each project, filtered and paged in SQL. */
export async function listUserPage({ ctx, input }: { ctx: CoreContext; input?: ListUsersInput }) {
  authorize(ctx.principal, "users.list");
  const value = parseInput(listUsersInput, input);
  const u = schema.users;
  const page = await userKeyset.run(value, ({ select, where, orderBy, limit }) =>
    ctx.db
      .select({ id: u.id, name: u.name, email: u.email, enabled: u.enabled, createdAt: u.createdAt, _keyset: select })
      .from(u)
      .where(
        and(
          value.id !== undefined ? eq(u.id, value.id) : undefined,
          value.name !== undefined ? eq(u.name, value.name) : undefined,
          value.nameContains ? containsText(sql`${u.name}`, value.nameContains) : undefined,
          value.enabled !== undefined ? eq(u.enabled, value.enabled) : undefined,
          where,
        ),
      )
      .orderBy(...orderBy)
      .limit(limit),
  );
  const ids = page.items.map((user) => user.id);
  const roles = ids.length
    ? await ctx.db
        .select({
          userId: schema.roleAssignments.userId,
          projectId: schema.projects.id,
          projectName: schema.projects.name,
          role: schema.roleAssignments.role,
        })
        .from(schema.roleAssignments)
        .innerJoin(schema.projects, eq(schema.projects.id, schema.roleAssignments.projectId))
        .where(inArray(schema.roleAssignments.userId, ids))
        .orderBy(asc(schema.projects.name))
    : [];
  return {
    ...page,
    items: page.items.map((user) => ({
      ...user,
      createdAt: user.createdAt.toISOString(),
      roles: roles.filter((r) => r.userId === user.id).map(({ userId: _, ...role }) => role),
    })),
  };
}

/** The cloud's users as one list, by name: listUserPage's first page, at most `limit` (at most MAX_LIST_LIMIT). */
export async function listUsers({ ctx, input }: { ctx: CoreContext; input?: ListUsersInput }) {
  return (await listUserPage({ ctx, input: { ...input, limit: input?.limit ?? MAX_LIST_LIMIT } })).items;
}

export async function createUser({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createUserInput> }) {
  authorize(ctx.principal, "users.create");
  const value = parseInput(createUserInput, input);
  const passwordHash = await hashPassword(value.password);
  const user = await ctx.db.transaction(async (tx) => {
    const project = await tx.query.projects.findFirst({ where: eq(schema.projects.id, value.projectId) });
    if (!project) throw NimbusError.notFound("Project", value.projectId);
    const [row] = await tx
      .insert(schema.users)
      .values({ name: value.name, email: value.email, passwordHash, defaultProjectId: project.id })
      .onConflictDoNothing()
      .returning({ id: schema.users.id, name: schema.users.name });
    if (!row) throw NimbusError.badRequest(`A user named ${value.name} already exists.`, [{ path: "name", message: "This name is taken." }]);
    await tx.insert(schema.roleAssignments).values({ userId: row.id, projectId: project.id, role: value.role });
    await audit(ctx, tx, {
      action: "user.create",
      outcome: "success",
      targetType: "user",
      targetId: row.id,
      projectId: project.id,
      details: { name: row.name, role: value.role },
    });
    return row;
  });
  return user;
}

/**
 * Disables or enables a user. Disabling revokes every session and API token at once and asks
 * the realtime layer to drop the user's live sockets.
 */
export async function setUserEnabled({ ctx, input }: { ctx: CoreContext; input: z.input<typeof setUserEnabledInput> }) {
  const principal = authorize(ctx.principal, "users.setEnabled");
  const { id, enabled } = parseInput(setUserEnabledInput, input);
  if (id === principal.userId && !enabled) throw NimbusError.badRequest("You cannot disable your own account.");
  await ctx.db.transaction(async (tx) => {
    const rows = await tx.update(schema.users).set({ enabled }).where(eq(schema.users.id, id)).returning({ id: schema.users.id });
    if (rows.length === 0) throw NimbusError.notFound("User", id);
    if (!enabled) {
      await revokeUserSessions(tx, id);
      await revokeUserApiTokens(tx, id);
    }
    await audit(ctx, tx, { action: enabled ? "user.enable" : "user.disable", outcome: "success", targetType: "user", targetId: id, projectId: null });
  });
  if (!enabled) ctx.publisher.userCutOff?.(id);
  return { id, enabled };
}

/** Lifts a sign-in lockout: failures before now no longer count. */
export async function unlockUser({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }) {
  authorize(ctx.principal, "users.unlock");
  const { id } = parseInput(idInput, input);
  const user = await ctx.db.query.users.findFirst({ where: eq(schema.users.id, id) });
  if (!user) throw NimbusError.notFound("User", id);
  await recordSignInAttempt(ctx.db, user.name, null, true);
  await audit(ctx, ctx.db, { action: "user.unlock", outcome: "success", targetType: "user", targetId: user.id, projectId: null });
  return { id: user.id };
}

/**
 * A user changes their own password. Every credential the old password stood behind ends with
 * it: their other sessions are signed out and all their API tokens revoked (the calling one too,
 * when a script changes it), and the live sockets of those go at once, on every web process.
 * The session that made the change stays open.
 */
export async function changeOwnPassword({
  ctx,
  input,
  currentToken,
}: {
  ctx: CoreContext;
  input: z.input<typeof changePasswordInput>;
  currentToken: string | null;
}) {
  const principal = authorize(ctx.principal, "auth.changePassword");
  const { currentPassword, newPassword } = parseInput(changePasswordInput, input);
  const user = await ctx.db.query.users.findFirst({ where: eq(schema.users.id, principal.userId) });
  if (!user || !(await verifyPassword(user.passwordHash, currentPassword))) {
    await audit(ctx, ctx.db, { action: "user.change_password", outcome: "failure", targetType: "user", targetId: principal.userId });
    throw NimbusError.badRequest("Your current password is not correct.", [{ path: "currentPassword", message: "Not your current password." }]);
  }
  const passwordHash = await hashPassword(newPassword);
  const keep = principal.via === "session" && currentToken ? currentToken : undefined;
  await ctx.db.transaction(async (tx) => {
    await tx.update(schema.users).set({ passwordHash, passwordChangedAt: new Date() }).where(eq(schema.users.id, user.id));
    await revokeUserSessions(tx, user.id, keep);
    const tokensRevoked = await revokeUserApiTokens(tx, user.id);
    await audit(ctx, tx, { action: "user.change_password", outcome: "success", targetType: "user", targetId: user.id, details: { tokensRevoked } });
  });
  ctx.publisher.userCutOff?.(user.id, keep ? hashToken(keep) : undefined);
  return { ok: true as const };
}
