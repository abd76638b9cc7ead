import { z } from "zod";
import { addImageMember, getImage, removeImageMember, updateImageMemberStatus } from "@nimbus/core/images";
import { badRequest, OsRefusal, principalOf, type OsCall, type OsRoute } from "../service";
import { parseWire } from "../wire";
import { glanceMember } from "./image-view";
import { quotaAsTooLarge } from "./images";

/**
 * Glance's image members: the owner offers an image to another project by its id, and that
 * project accepts or rejects it (core's shares, as on the console's Images page).
 */

const imageId = (call: OsCall) => {
  const id = call.params.imageId!;
  if (!z.uuid().safeParse(id).success) throw new OsRefusal(404, "NotFound", `No image found with ID ${id.slice(0, 64)}`);
  return id;
};

const memberNotFound = (image: string, member: string) =>
  new OsRefusal(404, "NotFound", `${member.slice(0, 64)} not found in the member list of the image ${image}.`);

const addBody = z.object({ member: z.string("member must be a string.").min(1).max(255) }).strict();
/** openstacksdk sends the member's id beside its status. */
const statusBody = z
  .object({
    status: z.enum(["accepted", "rejected", "pending"], "status must be accepted, rejected or pending."),
    member: z.string("member must be a string.").optional(),
    member_id: z.string("member_id must be a string.").optional(),
  })
  .strict();

export const memberRoutes: OsRoute[] = [
  {
    method: "GET",
    path: "/v2/images/:imageId/members",
    async handle(call) {
      const image = await getImage({ ctx: call.ctx, input: { id: imageId(call) } });
      // The owner sees every member; a member project sees only itself (as in Glance).
      const own = principalOf(call).projectId;
      const members = image.owned ? image.members : image.visibility === "shared" ? [{ projectId: own, status: "accepted" as const }] : [];
      return {
        status: 200,
        body: { members: members.map((m) => glanceMember(image, m)), schema: "/v2/schemas/members" },
      };
    },
  },
  {
    method: "POST",
    path: "/v2/images/:imageId/members",
    async handle(call) {
      const { member } = parseWire(addBody, call.body, "member");
      const id = imageId(call);
      if (!z.uuid().safeParse(member).success) throw badRequest(`Invalid member '${member.slice(0, 64)}': give the project's id.`);
      const image = await addImageMember({ ctx: call.ctx, input: { id, projectId: member } }).catch(quotaAsTooLarge);
      const added = image.members.find((m) => m.projectId === member)!;
      return { status: 200, body: glanceMember(image, added) };
    },
  },
  {
    method: "GET",
    path: "/v2/images/:imageId/members/:memberId",
    async handle(call) {
      const id = imageId(call);
      const image = await getImage({ ctx: call.ctx, input: { id } });
      const memberId = call.params.memberId!;
      const own = principalOf(call).projectId;
      const member = image.owned
        ? image.members.find((m) => m.projectId === memberId)
        : memberId === own && image.visibility === "shared"
          ? { projectId: own, status: "accepted" as const }
          : undefined;
      if (!member) throw memberNotFound(id, memberId);
      return { status: 200, body: glanceMember(image, member) };
    },
  },
  {
    method: "PUT",
    path: "/v2/images/:imageId/members/:memberId",
    async handle(call) {
      const id = imageId(call);
      const { status } = parseWire(statusBody, call.body, "status");
      const memberId = call.params.memberId!;
      if (memberId !== principalOf(call).projectId) {
        throw new OsRefusal(403, "Forbidden", "Only the member project itself accepts or rejects an image offered to it.");
      }
      if (status === "pending") throw badRequest("Invalid status 'pending': accept or reject the image (Nimbus keeps a member's answer).");
      const answered = await updateImageMemberStatus({ ctx: call.ctx, input: { id, status } });
      const now = new Date();
      return { status: 200, body: glanceMember({ id, createdAt: now, updatedAt: now }, { projectId: memberId, status: answered.status }) };
    },
  },
  {
    method: "DELETE",
    path: "/v2/images/:imageId/members/:memberId",
    async handle(call) {
      const id = imageId(call);
      const memberId = call.params.memberId!;
      if (!z.uuid().safeParse(memberId).success) throw memberNotFound(id, memberId);
      await removeImageMember({ ctx: call.ctx, input: { id, projectId: memberId } });
      return { status: 204 };
    },
  },
];
