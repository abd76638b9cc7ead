import { schema } from "@nimbus/db";
import { and, eq, ne } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import type { ImageMemberStatus } from "./images";

export const imageMemberStatusInput = z.object({
  id: z.uuid("Not an image id."),
  /** The member project's answer; it may change its mind later (Glance: a member updates its own status). */
  status: z.enum(["accepted", "rejected"], "Accept or reject the image."),
});

/**
 * Glance's update member: the member project (the caller's own, never another's) accepts an
 * image offered to it, which then shows in its images list, catalog and launch wizard, or
 * rejects it, which hides it again. The owner cannot answer for a member: Forbidden. An image not
 * offered to the caller's project answers NotFound, as any image it cannot see.
 */
export async function updateImageMemberStatus({
  ctx,
  input,
}: {
  ctx: CoreContext;
  input: z.input<typeof imageMemberStatusInput>;
}): Promise<{ id: string; status: ImageMemberStatus }> {
  const principal = authorize(ctx.principal, "images.updateMember");
  const { id, status } = parseInput(imageMemberStatusInput, input);
  return ctx.db.transaction(async (tx) => {
    const image = await tx.query.images.findFirst({ where: and(eq(schema.images.id, id), ne(schema.images.status, "deleted")) });
    const [member] = await tx
      .update(schema.imageMembers)
      .set({ status, updatedAt: new Date() })
      .where(and(eq(schema.imageMembers.imageId, id), eq(schema.imageMembers.projectId, principal.projectId)))
      .returning({ status: schema.imageMembers.status });
    if (!image || !member) {
      if (image && image.ownerProjectId === principal.projectId) {
        throw NimbusError.forbidden(`Image ${image.name} is your project's own; only the projects it is shared with accept or reject it.`);
      }
      throw NimbusError.notFound("Image", id);
    }
    await audit(ctx, tx, {
      action: "image.member_status",
      outcome: "success",
      targetType: "image",
      targetId: id,
      details: { name: image.name, status },
    });
    return { id, status: member.status };
  });
}
