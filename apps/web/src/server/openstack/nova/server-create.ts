import { z } from "zod";
import { listNetworks } from "@nimbus/core/catalog";
import { launchInstance } from "@nimbus/core/compute";
import type { CoreContext } from "@nimbus/core/context";
import { isNimbusError, type NimbusError } from "@nimbus/core/errors";
import { listSecurityGroups } from "@nimbus/core/network";
import { authorize } from "@nimbus/core/policy";
import { launchInstanceInput, type LaunchInstanceInput } from "@nimbus/core/validation";
import { OsRefusal, badRequest, type OsCall, type OsReply } from "../service";
import { parseWire } from "../wire";
import { serverLinks } from "./server-views";

/**
 * POST /servers at microversion 2.1: Nova's request body read as Nova's schema reads it
 * (nova/api/openstack/compute/schemas/servers.py), translated into the console's launch input
 * and given to the same launchInstance verb, through the same launch admission.
 */

/** Nova's parameter_types.boolean: a JSON boolean or one of the words oslo's bool_from_string takes. */
const novaBoolean = z.union([
  z.boolean(),
  z.enum(["True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no"]),
]);
const truthy = (value: z.infer<typeof novaBoolean> | undefined) =>
  value !== undefined && [true, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes"].includes(value);

/** Nova's parameter_types.positive_integer: an integer, or digits in a string, at least 1. */
const positiveInteger = z
  .union([z.number().int(), z.string().regex(/^[0-9]+$/, "Must be a whole number")])
  .transform(Number)
  .pipe(z.number().min(1, "Must be at least 1").max(2_147_483_647, "Must be at most 2147483647"));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Nova's block_device_mapping_v2 entry (the fields its schema knows at 2.1). */
const blockDeviceMapping = z
  .object({
    uuid: z.string().max(255).optional(),
    source_type: z.enum(["volume", "image", "snapshot", "blank"]).optional(),
    destination_type: z.enum(["local", "volume"]).optional(),
    boot_index: z.union([z.number().int(), z.string().regex(/^-?[0-9]+$/), z.null()]).optional(),
    volume_size: positiveInteger.optional(),
    delete_on_termination: novaBoolean.optional(),
    device_name: z.string().max(255).optional(),
    guest_format: z.string().max(255).optional(),
    disk_bus: z.string().max(255).optional(),
    device_type: z.string().max(255).optional(),
    no_device: z.boolean().optional(),
  })
  .strict();

/** Nova's scheduler hints: any hint may be given (those of filters Nimbus does not run are ignored, as Nova ignores them). */
const schedulerHints = z.object({ group: z.string().regex(UUID, "Must be a server group id (a UUID)").optional() }).catchall(z.unknown());

const createBody = z
  .object({
    server: z
      .object({
        name: z
          .string()
          .min(1)
          .max(255)
          .regex(/^\S(.*\S)?$/s, "No leading or trailing whitespace"),
        imageRef: z.string().max(255).optional(),
        flavorRef: z.union([z.string().min(1).max(255), z.number().int()]),
        adminPass: z.string().max(255).optional(),
        metadata: z.record(z.string().min(1).max(255), z.string().max(255)).optional(),
        networks: z
          .array(
            z
              .object({
                uuid: z.string().max(255).optional(),
                port: z.string().max(255).nullable().optional(),
                fixed_ip: z.string().max(64).optional(),
              })
              .strict(),
          )
          .max(64)
          .optional(),
        "OS-DCF:diskConfig": z.enum(["AUTO", "MANUAL"]).optional(),
        accessIPv4: z.string().max(64).optional(),
        accessIPv6: z.string().max(64).optional(),
        personality: z.array(z.unknown()).max(64).optional(),
        availability_zone: z.string().min(1).max(255).optional(),
        block_device_mapping: z.array(z.unknown()).max(64).optional(),
        block_device_mapping_v2: z.array(blockDeviceMapping).max(64).optional(),
        config_drive: novaBoolean.optional(),
        key_name: z.string().min(1).max(255).optional(),
        min_count: positiveInteger.optional(),
        max_count: positiveInteger.optional(),
        return_reservation_id: novaBoolean.optional(),
        security_groups: z
          .array(z.object({ name: z.string().min(1).max(255) }).strict())
          .max(64)
          .optional(),
        user_data: z.string().max(65535).optional(),
      })
      .strict(),
    "os:scheduler_hints": schedulerHints.optional(),
    "OS-SCH-HNT:scheduler_hints": schedulerHints.optional(),
  })
  .strict();
type CreateBody = z.infer<typeof createBody>;
type ServerBody = CreateBody["server"];

/** The id at the end of a reference Nova takes as an id or a link to one. */
const idOfRef = (ref: string) => ref.replace(/\/+$/, "").split("/").at(-1) ?? "";

/** Which wire field each launch input field came from, to name it in a refusal. */
const WIRE_FIELD: Record<string, string> = {
  name: "server.name",
  count: "server.max_count",
  minCount: "server.min_count",
  imageId: "server.imageRef",
  flavorId: "server.flavorRef",
  networkId: "server.networks",
  availabilityZone: "server.availability_zone",
  serverGroupId: "os:scheduler_hints.group",
  securityGroupIds: "server.security_groups",
  keyName: "server.key_name",
  userData: "server.user_data",
  metadata: "server.metadata",
  bootSource: "server.block_device_mapping_v2",
  volumes: "server.block_device_mapping_v2",
  configDrive: "server.config_drive",
  idempotencyKey: "X-OpenStack-Request-ID",
};

/** Features of Nova's create that Nimbus does not have: refused in plain words rather than dropped. */
function refuseUnsupported(server: ServerBody): void {
  if (server.adminPass !== undefined)
    throw badRequest("Nimbus does not set guest passwords (server.adminPass): give a key pair (key_name) or user data instead.");
  if (server.personality?.length) throw badRequest("Nimbus does not inject personality files (server.personality): give user data instead.");
  if (server.accessIPv4 !== undefined || server.accessIPv6 !== undefined)
    throw badRequest("Nimbus does not record access addresses (server.accessIPv4, server.accessIPv6).");
  if (server["OS-DCF:diskConfig"] === "AUTO") throw badRequest("Nimbus does not resize guest partitions: OS-DCF:diskConfig AUTO is not offered.");
  if (server.block_device_mapping?.length)
    throw badRequest("Use server.block_device_mapping_v2 (the legacy block_device_mapping is not offered by Nimbus).");
}

/** The boot source and extra volumes a block_device_mapping_v2 asks for, as the launch wizard's Boot Source. */
function bootFromMappings(
  mappings: NonNullable<ServerBody["block_device_mapping_v2"]>,
  imageRef: string | null,
): Pick<LaunchInstanceInput, "imageId" | "bootSource" | "volumes"> {
  let imageId = imageRef;
  let bootSource: LaunchInstanceInput["bootSource"] = { type: "image" };
  const volumes: NonNullable<LaunchInstanceInput["volumes"]> = [];
  for (const [index, bdm] of mappings.entries()) {
    const field = `server.block_device_mapping_v2.${index}`;
    const boot = bdm.boot_index !== undefined && bdm.boot_index !== null && Number(bdm.boot_index) === 0;
    const source = bdm.source_type ?? "blank";
    const destination = bdm.destination_type ?? (source === "blank" ? "local" : "volume");
    const deleteOnTermination = truthy(bdm.delete_on_termination);
    if (bdm.no_device) continue;
    if (source === "image" && destination === "local") {
      // The image as a local root disk (novaclient adds this entry for --image with mappings).
      if (bdm.uuid && imageId && idOfRef(bdm.uuid) !== imageId) throw badRequest(`${field}: the local image must be the server's imageRef.`);
      imageId = bdm.uuid ? idOfRef(bdm.uuid) : imageId;
      continue;
    }
    if (source === "image" && destination === "volume" && boot) {
      if (!bdm.volume_size) throw badRequest(`${field}.volume_size is required to make a volume from an image.`);
      imageId = bdm.uuid ? idOfRef(bdm.uuid) : imageId;
      bootSource = { type: "image-to-volume", sizeGb: bdm.volume_size, deleteOnTermination };
      continue;
    }
    if (source === "volume" && destination === "volume") {
      if (!bdm.uuid || !UUID.test(bdm.uuid)) throw badRequest(`${field}.uuid must be a volume id.`);
      if (boot) {
        bootSource = { type: "volume", volumeId: bdm.uuid, deleteOnTermination };
        imageId = null;
      } else volumes.push({ volumeId: bdm.uuid, deleteOnTermination });
      continue;
    }
    if (source === "blank") throw badRequest(`${field}: Nimbus does not make blank, swap or ephemeral disks at launch.`);
    if (source === "snapshot") throw badRequest(`${field}: Nimbus does not boot from volume snapshots.`);
    throw badRequest(`${field}: a ${source} source with a ${destination} destination is not offered by Nimbus.`);
  }
  return { imageId, bootSource, volumes };
}

/** The one network the instance goes on: the one asked for, or with none asked the only one the project can use. */
async function networkOf(ctx: CoreContext, networks: ServerBody["networks"]): Promise<string> {
  if (networks && networks.length > 1) {
    throw badRequest(`Nimbus gives an instance one network: ask for one in server.networks (${networks.length} were given).`);
  }
  const [asked] = networks ?? [];
  if (asked) {
    if (asked.port) throw badRequest("Nimbus makes the instance's port itself: give a network uuid in server.networks, not a port.");
    if (asked.fixed_ip !== undefined) throw badRequest("Nimbus picks the instance's address itself: server.networks.0.fixed_ip is not offered.");
    if (!asked.uuid) throw badRequest("server.networks.0.uuid is required (a network id).");
    if (!UUID.test(asked.uuid)) throw badRequest(`Bad networks format: network uuid is not in proper format (${asked.uuid.slice(0, 64)})`);
    return asked.uuid;
  }
  const visible = await listNetworks({ ctx });
  if (visible.length === 1) return visible[0]!.id;
  if (visible.length === 0) throw badRequest("No network is available to this project: create one, then give its id in server.networks.");
  throw new OsRefusal(409, "Conflict", "Multiple possible networks found, use a Network ID to be more specific.");
}

/** Security groups named as Nova takes them (a name or an id, as OSC sends ids), as the project's group ids. */
async function securityGroupIdsOf(ctx: CoreContext, asked: ServerBody["security_groups"]): Promise<string[]> {
  const names = [...new Set((asked ?? []).map((g) => g.name))];
  if (names.length === 0) return [];
  const groups = await listSecurityGroups({ ctx });
  return [
    ...new Set(
      names.map((name) => {
        const byId = groups.find((g) => g.id === name);
        if (byId) return byId.id;
        const byName = groups.filter((g) => g.name === name);
        if (byName.length > 1)
          throw new OsRefusal(409, "Conflict", `Multiple security_group matches found for name '${name}', use an ID to be more specific.`);
        if (!byName[0]) throw badRequest(`Security group ${name} not found.`);
        return byName[0].id;
      }),
    ),
  ];
}

/** Base64 user data (Nova's format) as the text the launch takes. */
function userDataOf(encoded: string | undefined): string | null {
  if (encoded === undefined) return null;
  const compact = encoded.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    throw badRequest("Invalid input for field/attribute server.user_data. Value: not valid base64.");
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(compact, "base64"));
  } catch {
    throw badRequest("server.user_data must be text (UTF-8) once decoded: Nimbus hands user data to the guest as text.");
  }
}

/** The idempotency key of a retried call: the client's X-OpenStack-Request-ID when it is one (req-<uuid>). */
function requestKey(call: OsCall): string | undefined {
  const header = call.req.headers["x-openstack-request-id"];
  return typeof header === "string" && /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(header) ? header : undefined;
}

/**
 * A launch refused, in Nova's terms: what it cannot find is a 400 on create (Nova's FlavorNotFound,
 * ImageNotFound, KeypairNotFound, ...), and an input field is named by its wire name.
 */
function createRefusal(error: unknown): unknown {
  if (!isNimbusError(error)) return error;
  const fields = (error.details as { fields?: { path: string }[] } | undefined)?.fields;
  if (error.code === "NotFound") {
    if (fields?.some((f) => f.path === "keyName")) return badRequest("Invalid key_name provided.");
    return badRequest(error.message);
  }
  const issue = zodIssueOf(error);
  if (error.code === "BadRequest" && issue) {
    const [top, ...rest] = issue.path.map(String);
    const field = [WIRE_FIELD[top ?? ""] ?? top, ...rest].join(".");
    return badRequest(`Invalid input for field/attribute ${field}. Value: ${issue.message}`);
  }
  return error;
}

function zodIssueOf(error: NimbusError): { path: PropertyKey[]; message: string } | null {
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof z.ZodError ? (cause.issues[0] ?? null) : null;
}

export async function createServer(call: OsCall): Promise<OsReply> {
  const body = parseWire(createBody, call.body, "server");
  const { server } = body;
  // Nova's order: the body's schema, then the policy, then what the body names.
  authorize(call.ctx.principal, "instances.launch");
  refuseUnsupported(server);
  const minCount = server.min_count ?? 1;
  const maxCount = server.max_count ?? minCount;
  if (minCount > maxCount) throw badRequest("min_count must be <= max_count");
  const flavorRef = idOfRef(String(server.flavorRef));
  if (!UUID.test(flavorRef)) throw badRequest(`Flavor ${flavorRef.slice(0, 64)} could not be found.`);
  const imageRef = server.imageRef ? idOfRef(server.imageRef) : null;
  if (imageRef !== null && !UUID.test(imageRef)) throw badRequest("Invalid imageRef provided.");
  const hints = body["os:scheduler_hints"] ?? body["OS-SCH-HNT:scheduler_hints"];
  const boot = bootFromMappings(server.block_device_mapping_v2 ?? [], imageRef);
  const [networkId, securityGroupIds] = await Promise.all([
    networkOf(call.ctx, server.networks),
    securityGroupIdsOf(call.ctx, server.security_groups),
  ]);
  const input: LaunchInstanceInput = {
    name: server.name,
    count: maxCount,
    ...(minCount < maxCount ? { minCount } : {}),
    flavorId: flavorRef,
    networkId,
    ...boot,
    availabilityZone: server.availability_zone ?? null,
    serverGroupId: hints?.group ?? null,
    securityGroupIds,
    keyName: server.key_name ?? null,
    userData: userDataOf(server.user_data),
    metadata: server.metadata ?? {},
    ...(server.config_drive !== undefined ? { configDrive: truthy(server.config_drive) } : {}),
    idempotencyKey: requestKey(call),
  };
  const launch = () => launchInstance({ ctx: call.ctx, input });
  // The console's launches wait at the same door (tRPC's launchAdmitted); input the verb refuses does not wait.
  const gone = new AbortController();
  call.res.once("close", () => gone.abort());
  const result = await (launchInstanceInput.safeParse(input).success ? call.launchAdmission.run(launch, gone.signal) : launch()).catch(
    (error: unknown) => {
      // A caller gone while it waited to start: nothing was launched, and no one reads the answer.
      if (gone.signal.aborted && !isNimbusError(error)) throw badRequest("The call was abandoned before it started.");
      throw createRefusal(error);
    },
  );
  if (truthy(server.return_reservation_id)) return { status: 202, body: { reservation_id: result.reservationId } };
  const id = result.instanceIds[0]!;
  return {
    status: 202,
    body: {
      server: {
        id,
        links: serverLinks(call.baseUrl, id),
        "OS-DCF:diskConfig": "MANUAL",
        // As Nova answers a create: the groups the request named, else the default group.
        security_groups: server.security_groups ?? [{ name: "default" }],
      },
    },
  };
}
