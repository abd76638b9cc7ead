import { z } from "zod";
import { getInstance, rebuildInstance } from "@nimbus/core/compute";
import { isNimbusError } from "@nimbus/core/errors";
import { allows } from "@nimbus/core/policy";
import { badRequest, principalOf, type OsCall, type OsReply } from "../service";
import { parseWire } from "../wire";
import { serverDetail } from "./server-views";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Nova's rebuild body at 2.1 (`openstack server rebuild --image IMAGE [--name N] [--property k=v]`).
 * adminPass is taken and ignored (Nimbus sets no guest passwords: the key pair and user data stay
 * as they are), and so are the access addresses; personality files are refused, as at launch.
 */
const rebuildBody = z
  .object({
    imageRef: z.string().min(1).max(255),
    name: z.string().max(255).optional(),
    metadata: z.record(z.string().max(255), z.string().max(255)).optional(),
    adminPass: z.string().max(255).optional(),
    accessIPv4: z.string().max(64).optional(),
    accessIPv6: z.string().max(64).optional(),
    preserve_ephemeral: z.boolean().optional(),
    "OS-DCF:diskConfig": z.enum(["AUTO", "MANUAL"]).optional(),
    personality: z.array(z.unknown()).max(0, "Nimbus does not offer personality files: give user data at launch instead.").optional(),
  })
  .strict();

/** The core input field a refusal names, as Nova's body spells it. */
const WIRE_FIELD: Record<string, string> = { imageId: "imageRef", name: "name", metadata: "metadata" };

/**
 * POST /servers/{id}/action `{"rebuild": {...}}`: core's rebuildInstance (the console's verb);
 * answers 202 with the server as Nova 2.1 shows it (REBUILD, its new image and name). An
 * imageRef that names no image the project may use is a 400 in Nova's words.
 */
export async function rebuildServer(call: OsCall, instanceId: string, args: unknown): Promise<OsReply> {
  const { imageRef, name, metadata } = parseWire(z.object({ rebuild: rebuildBody }), { rebuild: args }, "rebuild").rebuild;
  const imageId = imageRef.replace(/\/+$/, "").split("/").at(-1) ?? "";
  if (!UUID.test(imageId)) throw badRequest("Invalid imageRef provided.");
  try {
    await rebuildInstance({
      ctx: call.ctx,
      input: { instanceId, imageId, ...(name !== undefined ? { name } : {}), ...(metadata !== undefined ? { metadata } : {}) },
    });
  } catch (error) {
    throw rebuildRefusal(error);
  }
  const operator = allows(principalOf(call), "instances.allProjects");
  const detail = await getInstance({ ctx: call.ctx, input: { id: instanceId, allProjects: operator } });
  const row = { ...detail.instance, ports: detail.ports, securityGroups: detail.securityGroups, volumes: detail.volumes };
  return { status: 202, body: { server: serverDetail(call.baseUrl, row, operator) } };
}

/** Nova's rebuild refusals: an image it cannot find is a 400 (ImageNotFound), a bad field names its wire name. */
function rebuildRefusal(error: unknown): unknown {
  if (!isNimbusError(error)) return error;
  const details = error.details as { kind?: string; fields?: { path: string; message: string }[] } | undefined;
  if (error.code === "NotFound" && details?.kind === "Image") return badRequest(error.message);
  if (error.code === "BadRequest") {
    const cause = (error as Error & { cause?: unknown }).cause;
    const issue = cause instanceof z.ZodError ? cause.issues[0] : undefined;
    if (issue) {
      const [top, ...rest] = issue.path.map(String);
      return badRequest(`Invalid input for field/attribute ${[WIRE_FIELD[top ?? ""] ?? top, ...rest].join(".")}. Value: ${issue.message}`);
    }
  }
  return error;
}
