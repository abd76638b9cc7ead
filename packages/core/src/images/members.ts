import { schema, type Executor } from "@nimbus/db";
import { and, eq, ne, or } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import type { Principal } from "../policy";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { getImage, type ImageView } from "./images";
import { imageVisibleTo } from "./visibility";
import { text } from "../validation";

export const imageMemberInput = z.object({
  id: z.uuid("Not an image id."),
  /** The project to share with, by name or id. */
  project: text("Project").trim().min(1, "Enter a project name.").max(255),
});

const uuidSchema = z.uuid();

/** Only the owning project shares its image (Glance: members are managed by the owner). */
async function imageOwnedBy(db: Executor, principal: Principal, id: string) {
  const image = await db.query.images.findFirst({
    where: and(eq(schema.images.id, id), imageVisibleTo(principal.projectId), ne(schema.images.status, "deleted")),
  });
  if (!image) throw NimbusError.notFound("Image", id);
  if (image.ownerProjectId !== principal.projectId)
    throw NimbusError.forbidden(`Image ${image.name} belongs to another project; only its owner may share it.`);
  return image;
}

async function projectNamed(db: Executor, nameOrId: string) {
  const byId = uuidSchema.safeParse(nameOrId).success;
  const project = await db.query.projects.findFirst({
    where: byId ? or(eq(schema.projects.id, nameOrId), eq(schema.projects.name, nameOrId)) : eq(schema.projects.name, nameOrId),
  });
  if (!project) throw NimbusError.badRequest(`There is no project ${nameOrId}.`, [{ path: "project", message: "No project has this name." }]);
  return project;
}

/** Shares an image with another project; a private image becomes `shared`. */
export async function addImageMember({ ctx, input }: { ctx: CoreContext; input: z.input<typeof imageMemberInput> }): Promise<ImageView> {
  const principal = authorize(ctx.principal, "images.addMember");
  const { id, project: nameOrId } = parseInput(imageMemberInput, input);
  const image = await imageOwnedBy(ctx.db, principal, id);
  if (image.visibility === "public") {
    throw NimbusError.badRequest(`Image ${image.name} is public: every project sees it already.`, [
      { path: "project", message: "A public image has no members." },
    ]);
  }
  const project = await projectNamed(ctx.db, nameOrId);
  if (project.id === principal.projectId) {
    throw NimbusError.badRequest("An image is always visible to its own project.", [
      { path: "project", message: "Choose another project than the owner." },
    ]);
  }
  await ctx.db.transaction(async (tx) => {
    await tx.insert(schema.imageMembers).values({ imageId: id, projectId: project.id }).onConflictDoNothing();
    await tx
      .update(schema.images)
      .set({ visibility: "shared", updatedAt: new Date() })
      .where(and(eq(schema.images.id, id), eq(schema.images.visibility, "private")));
    await audit(ctx, tx, {
      action: "image.add_member",
      outcome: "success",
      targetType: "image",
      targetId: id,
      details: { name: image.name, member: project.name },
    });
  });
  return getImage({ ctx, input: { id } });
}

/** Stops sharing an image with a project; the image stays `shared` (with its other members). */
export async function removeImageMember({ ctx, input }: { ctx: CoreContext; input: z.input<typeof imageMemberInput> }): Promise<ImageView> {
  const principal = authorize(ctx.principal, "images.removeMember");
  const { id, project: nameOrId } = parseInput(imageMemberInput, input);
  const image = await imageOwnedBy(ctx.db, principal, id);
  const project = await projectNamed(ctx.db, nameOrId);
  await ctx.db.transaction(async (tx) => {
    const rows = await tx
      .delete(schema.imageMembers)
      .where(and(eq(schema.imageMembers.imageId, id), eq(schema.imageMembers.projectId, project.id)))
      .returning({ projectId: schema.imageMembers.projectId });
    if (rows.length === 0)
      throw NimbusError.badRequest(`Image ${image.name} is not shared with project ${project.name}.`, [
        { path: "project", message: "This project is not a member." },
      ]);
    await audit(ctx, tx, {
      action: "image.remove_member",
      outcome: "success",
      targetType: "image",
      targetId: id,
      details: { name: image.name, member: project.name },
    });
  });
  return getImage({ ctx, input: { id } });
}
