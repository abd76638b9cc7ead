import { z } from "zod";
import { attachVolume, detachVolume, getInstance } from "@nimbus/core/compute";
import { atLeast, OsRefusal, type OsCall, type OsRoute } from "../service";
import { parseWire } from "../wire";

/**
 * Nova's volume attachments of a server (`openstack server volume list`, `server add volume`,
 * `server remove volume`). Nimbus attaches volumes at launch only: the list and show answer
 * what a server was launched with; attach and detach are checked and then refused with
 * Nova's 409 for what the deployment cannot do, in plain words (core's attachVolume and
 * detachVolume).
 */

function serverId(call: OsCall): string {
  const id = call.params.serverId!;
  if (!z.uuid().safeParse(id).success) throw new OsRefusal(404, "NotFound", `Instance ${id.slice(0, 64)} could not be found.`);
  return id;
}

interface Attached {
  id: string;
  device: string;
  deleteOnTermination: boolean;
}

/** One attachment as Nova writes it at the call's microversion. */
function attachmentView(call: OsCall, server: string, volume: Attached) {
  return {
    ...(atLeast(call, "2.89") ? { attachment_id: volume.id, bdm_uuid: null } : { id: volume.id }),
    serverId: server,
    volumeId: volume.id,
    device: `/dev/${volume.device}`,
    ...(atLeast(call, "2.70") ? { tag: null } : {}),
    ...(atLeast(call, "2.79") ? { delete_on_termination: volume.deleteOnTermination } : {}),
  };
}

const attachBody = z
  .object({
    volumeAttachment: z
      .object({
        volumeId: z.uuid("Invalid input for field/attribute volumeId: not a volume id."),
        device: z.string().max(255).nullable().optional(),
        tag: z.string().max(60).nullable().optional(),
        delete_on_termination: z.boolean().optional(),
      })
      .strict(),
  })
  .strict();

export const volumeAttachmentRoutes: OsRoute[] = [
  {
    method: "GET",
    path: "/v2.1/servers/:serverId/os-volume_attachments",
    async handle(call) {
      const server = serverId(call);
      const { volumes } = await getInstance({ ctx: call.ctx, input: { id: server } });
      return { status: 200, body: { volumeAttachments: volumes.map((v) => attachmentView(call, server, v)) } };
    },
  },
  {
    method: "GET",
    path: "/v2.1/servers/:serverId/os-volume_attachments/:volumeId",
    async handle(call) {
      const server = serverId(call);
      const { volumes } = await getInstance({ ctx: call.ctx, input: { id: server } });
      const volume = volumes.find((v) => v.id === call.params.volumeId);
      if (!volume) throw new OsRefusal(404, "NotFound", `Instance ${server} is not attached to volume ${call.params.volumeId!.slice(0, 64)}.`);
      return { status: 200, body: { volumeAttachment: attachmentView(call, server, volume) } };
    },
  },
  {
    method: "POST",
    path: "/v2.1/servers/:serverId/os-volume_attachments",
    async handle(call) {
      const server = serverId(call);
      const { volumeAttachment } = parseWire(attachBody, call.body, "volumeAttachment");
      return attachVolume({ ctx: call.ctx, input: { instanceId: server, volumeId: volumeAttachment.volumeId } });
    },
  },
  {
    method: "DELETE",
    path: "/v2.1/servers/:serverId/os-volume_attachments/:volumeId",
    async handle(call) {
      const server = serverId(call);
      const volumeId = call.params.volumeId!;
      if (!z.uuid().safeParse(volumeId).success) throw new OsRefusal(404, "NotFound", `Volume ${volumeId.slice(0, 64)} could not be found.`);
      return detachVolume({ ctx: call.ctx, input: { instanceId: server, volumeId } });
    },
  },
];
