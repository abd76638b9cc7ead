import { schema } from "@nimbus/db";
import { and, asc, eq } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import type { Principal } from "../policy";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { hashToken, principalFor } from "./session";
import { text } from "../validation";

export const createProjectInput = z.object({
  name: text("Project name")
    .trim()
    .min(1, "Enter a project name.")
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Use letters, digits, '.', '_' and '-'."),
  description: text("Description").max(255).default(""),
});
export const roleAssignmentInput = z.object({ userId: z.uuid(), projectId: z.uuid(), role: z.enum(["reader", "member", "admin"]) });
export const removeRoleInput = z.object({ userId: z.uuid(), projectId: z.uuid() });

export async function listProjects({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "projects.list");
  return ctx.db.select().from(schema.projects).orderBy(asc(schema.projects.name));
}

export async function createProject({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createProjectInput> }) {
  authorize(ctx.principal, "projects.create");
  const value = parseInput(createProjectInput, input);
  const [row] = await ctx.db.insert(schema.projects).values(value).onConflictDoNothing().returning();
  if (!row) throw NimbusError.badRequest(`A project named ${value.name} already exists.`, [{ path: "name", message: "This name is taken." }]);
  await audit(ctx, ctx.db, {
    action: "project.create",
    outcome: "success",
    targetType: "project",
    targetId: row.id,
    projectId: row.id,
    details: { name: row.name },
  });
  return row;
}

/** Grants (or changes) a user's role in a project. */
export async function assignRole({ ctx, input }: { ctx: CoreContext; input: z.input<typeof roleAssignmentInput> }) {
  authorize(ctx.principal, "roles.assign");
  const { userId, projectId, role } = parseInput(roleAssignmentInput, input);
  await ctx.db.transaction(async (tx) => {
    const [user, project] = await Promise.all([
      tx.query.users.findFirst({ where: eq(schema.users.id, userId) }),
      tx.query.projects.findFirst({ where: eq(schema.projects.id, projectId) }),
    ]);
    if (!user) throw NimbusError.notFound("User", userId);
    if (!project) throw NimbusError.notFound("Project", projectId);
    await tx
      .insert(schema.roleAssignments)
      .values({ userId, projectId, role })
      .onConflictDoUpdate({ target: [schema.roleAssignments.userId, schema.roleAssignments.projectId], set: { role } });
    await audit(ctx, tx, {
      action: "role.assign",
      outcome: "success",
      targetType: "user",
      targetId: userId,
      projectId,
      details: { user: user.name, project: project.name, role },
    });
  });
  return { userId, projectId, role };
}

export async function removeRole({ ctx, input }: { ctx: CoreContext; input: z.input<typeof removeRoleInput> }) {
  authorize(ctx.principal, "roles.remove");
  const { userId, projectId } = parseInput(removeRoleInput, input);
  const rows = await ctx.db
    .delete(schema.roleAssignments)
    .where(and(eq(schema.roleAssignments.userId, userId), eq(schema.roleAssignments.projectId, projectId)))
    .returning();
  if (rows.length === 0) throw NimbusError.notFound("Role assignment", `${userId}/${projectId}`);
  await audit(ctx, ctx.db, { action: "role.remove", outcome: "success", targetType: "user", targetId: userId, projectId });
  ctx.publisher.userCutOff?.(userId);
  return { userId, projectId };
}

/** The projects the caller may switch to, with the role held in each. */
export async function myProjects({ ctx }: { ctx: CoreContext }) {
  const principal = authorize(ctx.principal, "auth.projects");
  if (principal.isAdmin) {
    const all = await ctx.db
      .select({ id: schema.projects.id, name: schema.projects.name })
      .from(schema.projects)
      .where(eq(schema.projects.enabled, true))
      .orderBy(asc(schema.projects.name));
    const own = await ctx.db.select().from(schema.roleAssignments).where(eq(schema.roleAssignments.userId, principal.userId));
    return all.map((p) => ({ ...p, role: own.find((a) => a.projectId === p.id)?.role ?? "admin" }));
  }
  return ctx.db
    .select({ id: schema.projects.id, name: schema.projects.name, role: schema.roleAssignments.role })
    .from(schema.roleAssignments)
    .innerJoin(schema.projects, eq(schema.projects.id, schema.roleAssignments.projectId))
    .where(and(eq(schema.roleAssignments.userId, principal.userId), eq(schema.projects.enabled, true)))
    .orderBy(asc(schema.projects.name));
}

/** Re-scopes the browser session to another project the user may use. */
/** Which of the caller's projects a session moves to. */
export const switchProjectInput = z.object({ projectId: z.uuid() });

export async function switchProject({
  ctx,
  input,
  sessionToken,
}: {
  ctx: CoreContext;
  input: z.input<typeof switchProjectInput>;
  sessionToken: string | null;
}): Promise<Principal> {
  const principal = authorize(ctx.principal, "auth.switchProject");
  const { projectId } = parseInput(switchProjectInput, input);
  if (!sessionToken) throw NimbusError.badRequest("Switching projects needs a browser session; API tokens are bound to one project.");
  const next = await principalFor(ctx.db, principal.userId, projectId, "session");
  if (!next || next.projectId !== projectId) throw NimbusError.notFound("Project", projectId);
  await ctx.db
    .update(schema.sessions)
    .set({ projectId: projectId })
    .where(eq(schema.sessions.tokenHash, hashToken(sessionToken)));
  return next;
}
