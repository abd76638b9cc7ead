import { schema, type Executor } from "@nimbus/db";
import { and, eq, ne, sql } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import type { Principal } from "../policy";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { getImage, type ImageView } from "./images";
import { imageVisibleTo } from "./visibility";

/** Glance's image_member_quota: how many projects one image may be offered to. */
export const MAX_IMAGE_MEMBERS = 128;

export const imageMemberInput = z.object({
  id: z.uuid("Not an image id."),
  /**
   * The project to share with, by id (Glance's member id). Not a name: an owner may not look
   * other projects up, and the answer is the same whether or not a project has this id.
   */
  projectId: z.uuid("Enter a project id (the member project's users find it on their Images page)."),
});

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

/**
 * Offers an image to another project (Glance's create member): the member is `pending` and sees
 * nothing until its project accepts (`updateImageMemberStatus`). A private image becomes
 * `shared`. Offering it again changes nothing: a member's answer stays its own.
 */
export async function addImageMember({ ctx, input }: { ctx: CoreContext; input: z.input<typeof imageMemberInput> }): Promise<ImageView> {
  const principal = authorize(ctx.principal, "images.addMember");
  const { id, projectId } = parseInput(imageMemberInput, input);
  const image = await imageOwnedBy(ctx.db, principal, id);
  if (image.visibility === "public") {
    throw NimbusError.badRequest(`Image ${image.name} is public: every project sees it already.`, [
      { path: "projectId", message: "A public image has no members." },
    ]);
  }
  if (projectId === principal.projectId) {
    throw NimbusError.badRequest("An image is always visible to its own project.", [
      { path: "projectId", message: "Choose another project than the owner." },
    ]);
  }
  await ctx.db.transaction(async (tx) => {
    // The image row locked: concurrent offers of one image count its members one at a time.
    await tx.execute(sql`select id from ${schema.images} where id = ${id} for no key update`);
    const [count] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(schema.imageMembers)
      .where(and(eq(schema.imageMembers.imageId, id), ne(schema.imageMembers.projectId, projectId)));
    if ((count?.n ?? 0) >= MAX_IMAGE_MEMBERS) {
      throw new NimbusError(
        "QuotaExceeded",
        `Image ${image.name} is already shared with ${MAX_IMAGE_MEMBERS} projects, the most one image may have.`,
      );
    }
    await tx.insert(schema.imageMembers).values({ imageId: id, projectId }).onConflictDoNothing();
    await tx
      .update(schema.images)
      .set({ visibility: "shared", updatedAt: new Date() })
      .where(and(eq(schema.images.id, id), eq(schema.images.visibility, "private")));
    await audit(ctx, tx, {
      action: "image.add_member",
      outcome: "success",
      targetType: "image",
      targetId: id,
      details: { name: image.name, member: projectId },
    });
  });
  return getImage({ ctx, input: { id } });
}

/** Stops sharing an image with a project, whatever its answer; the image stays `shared` (with its other members). */
export async function removeImageMember({ ctx, input }: { ctx: CoreContext; input: z.input<typeof imageMemberInput> }): Promise<ImageView> {
  const principal = authorize(ctx.principal, "images.removeMember");
  const { id, projectId } = parseInput(imageMemberInput, input);
  const image = await imageOwnedBy(ctx.db, principal, id);
  await ctx.db.transaction(async (tx) => {
    const rows = await tx
      .delete(schema.imageMembers)
      .where(and(eq(schema.imageMembers.imageId, id), eq(schema.imageMembers.projectId, projectId)))
      .returning({ projectId: schema.imageMembers.projectId });
    if (rows.length === 0)
      throw NimbusError.badRequest(`Image ${image.name} is not shared with project ${projectId}.`, [
        { path: "projectId", message: "This project is not a member." },
      ]);
    await audit(ctx, tx, {
      action: "image.remove_member",
      outcome: "success",
      targetType: "image",
      targetId: id,
      details: { name: image.name, member: projectId },
    });
  });
  return getImage({ ctx, input: { id } });
}
