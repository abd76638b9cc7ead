import { z } from "zod";
import {
  deleteInstance,
  getInstance,
  getInstanceConsole,
  listInstances,
  confirmResize,
  createRemoteConsole,
  evacuateInstance,
  liveMigrateInstance,
  migrateInstance,
  pauseInstance,
  rebootInstance,
  resizeInstance,
  revertResize,
  resumeInstance,
  startInstance,
  stopInstance,
  suspendInstance,
  unpauseInstance,
} from "@nimbus/core/compute";
import { allows, type Principal } from "@nimbus/core/policy";
import { MAX_LIST_LIMIT, VM_STATES, type InstanceSortKey, type ListInstancesInput } from "@nimbus/core/validation";
import { atLeast, badRequest, notFound, OsRefusal, principalOf, type OsCall, type OsReply, type OsRoute } from "../service";
import { intParam, parseWire } from "../wire";
import { createServer } from "./server-create";
import { createImageAction } from "./server-image";
import { rebuildServer } from "./server-rebuild";
import { novaStrtime, serverBrief, serverDetail, vmStatesOf } from "./server-views";

/**
 * Nova's servers API at microversion 2.1 on core's instance verbs (the console's): list and
 * detail with Nova's filters and pages, show, create, delete, the power and console log actions, and the
 * instance action log (os-instance-actions).
 */

/**
 * Filters Nova offers its admins at 2.1 (any instance column) that Nimbus does not filter on:
 * refused rather than dropped, since an admin would otherwise read an unfiltered list as filtered.
 * (A project's users may not give them at 2.1, and Nova drops them from their queries.)
 */
const OPERATOR_FILTERS_NOT_OFFERED = [
  "ip6",
  "instance_name",
  "availability_zone",
  "config_drive",
  "progress",
  "task_state",
  "power_state",
  "locked",
  "tags",
  "not-tags",
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The server id of the path: anything that is not an instance id names no instance (404, as Nova answers). */
function serverIdOf(call: OsCall): string {
  const id = call.params.serverId!;
  if (!UUID.test(id)) throw notFound(`Instance ${id.slice(0, 64)} could not be found.`);
  return id;
}

/** Whether the caller has the operator's view (every project, hosts, fault details): the policy table's `instances.allProjects`. */
const operatorView = (principal: Principal) => allows(principal, "instances.allProjects");

/** The instance of the path as getInstance shows it: the operator sees any project's. */
async function instanceOf(call: OsCall) {
  const principal = principalOf(call);
  return getInstance({ ctx: call.ctx, input: { id: serverIdOf(call), allProjects: operatorView(principal) } });
}

/** Nova's all_tenants: present and true-ish (an empty value counts), false-ish, or a 400. */
function allTenantsOf(query: URLSearchParams): boolean {
  const raw = query.get("all_tenants");
  if (raw === null) return false;
  const value = raw.trim().toLowerCase();
  if (["", "1", "t", "true", "on", "y", "yes"].includes(value)) return true;
  if (["0", "f", "false", "off", "n", "no"].includes(value)) return false;
  throw badRequest(
    `Unrecognized value '${raw.slice(0, 32)}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`,
  );
}

/** changes-since as Nova parses it (ISO 8601; no zone: UTC). */
function changesSinceOf(query: URLSearchParams): Date | undefined {
  const raw = query.get("changes-since");
  if (raw === null) return undefined;
  const text = raw.trim();
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`;
  const at = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?/.test(text) ? new Date(zoned.replace(" ", "T")) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw badRequest("Invalid filter field: changes-since.");
  return at;
}

/** Nova's sort keys that core's instance list orders by (each ends in the id, as Nova's do). */
const SORT_KEYS: Record<string, InstanceSortKey> = { created_at: "created", display_name: "name", vm_state: "status" };

/**
 * sort_key and sort_dir as Nova takes them (sort_dir desc unless told); one key, optionally
 * followed by the id Nova itself appends (`uuid`/`id`), as every order here ends in the id.
 */
function sortOf(query: URLSearchParams): { sort: InstanceSortKey; direction: "asc" | "desc" } {
  const keys = query.getAll("sort_key").filter((k, i) => i === 0 || !["uuid", "id"].includes(k));
  const dirs = query.getAll("sort_dir").map((d) => d.trim().toLowerCase());
  for (const dir of dirs) if (dir !== "asc" && dir !== "desc") throw badRequest(`Unknown sort direction, must be 'desc' or 'asc'`);
  if (keys.length > 1) throw badRequest(`Nimbus sorts servers by one key: ${Object.keys(SORT_KEYS).join(", ")}.`);
  const key = keys[0] ?? "created_at";
  const sort = SORT_KEYS[key];
  if (!sort) throw badRequest(`Invalid sort_key ${key.slice(0, 64)}: Nimbus sorts servers by ${Object.keys(SORT_KEYS).join(", ")}.`);
  return { sort, direction: (dirs[0] as "asc" | "desc" | undefined) ?? "desc" };
}

/**
 * GET /servers and /servers/detail: Nova's query as core's list filters. The filters a project's
 * user may give at 2.1 (reservation_id, name, status, image, flavor, ip, changes-since,
 * all_tenants) and, for the operator, project, host and user; anything else is dropped, as Nova
 * drops what it does not offer a caller. Returns null when the query can match nothing.
 */
function listFiltersOf(call: OsCall, principal: Principal): ListInstancesInput | null {
  const { query } = call;
  const operator = operatorView(principal);
  const { sort, direction } = sortOf(query);
  const limit = intParam(query, "limit", { min: 0, max: 2_147_483_647 });
  const marker = query.get("marker") ?? undefined;
  if (marker !== undefined && !UUID.test(marker)) throw badRequest(`marker [${marker.slice(0, 64)}] not found`);
  const filters: ListInstancesInput = {
    allProjects: allTenantsOf(query),
    // Nova's max_limit bounds every page; a limit of 0 asks for a full one.
    limit: Math.min(limit || MAX_LIST_LIMIT, MAX_LIST_LIMIT),
    marker,
    sort,
    direction,
    changesSince: changesSinceOf(query),
  };
  const statuses = query.getAll("status");
  if (statuses.length > 0) {
    const vmStates = vmStatesOf(statuses);
    if (vmStates.length === 0) return null;
    filters.vmStates = vmStates;
  }
  const name = query.get("name");
  if (name !== null) filters.name = name;
  const reservationId = query.get("reservation_id");
  if (reservationId !== null) filters.reservationId = reservationId;
  const ip = query.get("ip");
  if (ip !== null) filters.ip = ip;
  // Images and flavors by id or link; one Nimbus never gave out matches nothing.
  for (const [param, key] of [
    ["image", "imageId"],
    ["flavor", "flavorId"],
  ] as const) {
    const ref = query.get(param);
    if (ref === null) continue;
    const id = ref.replace(/\/+$/, "").split("/").at(-1) ?? "";
    if (!UUID.test(id)) return null;
    filters[key] = id;
  }
  if (operator) {
    const unsupported = OPERATOR_FILTERS_NOT_OFFERED.filter((f) => query.has(f));
    if (unsupported.length > 0) throw badRequest(`Nimbus cannot filter servers by ${unsupported.join(", ")}.`);
    const vmStates = query.getAll("vm_state").map((s) => s.trim().toLowerCase());
    if (vmStates.length > 0) {
      const known = VM_STATES.filter((s) => vmStates.includes(s));
      if (known.length === 0) return null;
      filters.vmStates = filters.vmStates ? filters.vmStates.filter((s) => known.includes(s)) : known;
      if (filters.vmStates.length === 0) return null;
    }
    const deleted = query.get("deleted");
    if (deleted !== null && ["1", "t", "true", "on", "y", "yes"].includes(deleted.trim().toLowerCase())) filters.vmStates = ["deleted"];
    const keyName = query.get("key_name");
    if (keyName !== null) filters.keyName = keyName;
    const project = query.get("project_id") ?? query.get("tenant_id");
    // As Nova: another project only within all_tenants.
    if (project !== null && filters.allProjects) {
      if (!UUID.test(project)) return null;
      filters.projectId = project;
    }
    const host = query.get("host");
    if (host !== null) filters.host = host;
    const userId = query.get("user_id");
    if (userId !== null) {
      if (!UUID.test(userId)) return null;
      filters.userId = userId;
    }
  }
  return filters;
}

/** Nova's servers_links: a next page when this one is full, the same query from after its last server. */
function nextLinks(call: OsCall, path: string, ids: string[], limit: number) {
  if (ids.length === 0 || ids.length < limit) return undefined;
  const params = new URLSearchParams(call.query);
  params.set("marker", ids.at(-1)!);
  return [{ rel: "next", href: `${call.baseUrl}/compute/v2.1/${path}?${params.toString()}` }];
}

function listRoute(detail: boolean): OsRoute {
  const path = detail ? "servers/detail" : "servers";
  return {
    method: "GET",
    path: `/v2.1/${path}`,
    async handle(call) {
      const principal = principalOf(call);
      const filters = listFiltersOf(call, principal);
      if (!filters) return { status: 200, body: { servers: [] } };
      const rows = await listInstances({ ctx: call.ctx, input: filters });
      const operator = operatorView(principal);
      const servers = rows.map((row) => (detail ? serverDetail(call.baseUrl, row, operator) : serverBrief(call.baseUrl, row)));
      const links = nextLinks(
        call,
        path,
        rows.map((r) => r.id),
        filters.limit ?? MAX_LIST_LIMIT,
      );
      return { status: 200, body: links ? { servers, servers_links: links } : { servers } };
    },
  };
}

/** Control characters Nova removes from console output (tabs, newlines and carriage returns stay). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters Nova strips are what this matches
const CONSOLE_CONTROL = /[\x00-\x08\x0B\x0C\x0E-\x1F]/g;

const actionBody = z.record(z.string(), z.unknown()).refine((b) => Object.keys(b).length === 1, "Give exactly one action.");
const consoleOutputBody = z
  .object({
    length: z.union([z.number().int().min(-1), z.string().regex(/^-?[0-9]+$/, "Must be a whole number"), z.null()]).optional(),
  })
  .strict();

/** Nova's power actions, each the console's own verb; their argument is null or `{}` (reboot: its type). */
const POWER_ACTIONS: Record<string, (call: OsCall, id: string, args: unknown) => Promise<unknown>> = {
  "os-stop": (call, id) => stopInstance({ ctx: call.ctx, input: { id } }),
  "os-start": (call, id) => startInstance({ ctx: call.ctx, input: { id } }),
  pause: (call, id) => pauseInstance({ ctx: call.ctx, input: { id } }),
  unpause: (call, id) => unpauseInstance({ ctx: call.ctx, input: { id } }),
  suspend: (call, id) => suspendInstance({ ctx: call.ctx, input: { id } }),
  resume: (call, id) => resumeInstance({ ctx: call.ctx, input: { id } }),
  reboot: (call, id, args) => {
    const { type } = parseWire(z.object({ reboot: rebootBody }), { reboot: args }, "reboot").reboot;
    return rebootInstance({ ctx: call.ctx, input: { id, type: type.toUpperCase() as "SOFT" | "HARD" } });
  },
};
/** Nova's moves, each the console's own verb: the status Nova answers and the wire shape of its argument. */
const MOVE_ACTIONS: Record<string, { status: number; run: (call: OsCall, id: string, args: unknown) => Promise<unknown> }> = {
  resize: {
    status: 202,
    run: (call, id, args) => {
      const { flavorRef } = parseWire(z.object({ resize: resizeBody }), { resize: args }, "resize").resize;
      const flavorId = String(flavorRef).split("/").at(-1)!;
      if (!UUID.test(flavorId)) throw badRequest(`Invalid flavorRef provided.`);
      return resizeInstance({ ctx: call.ctx, input: { id, flavorId } });
    },
  },
  confirmResize: { status: 204, run: (call, id) => confirmResize({ ctx: call.ctx, input: { id } }) },
  revertResize: { status: 202, run: (call, id) => revertResize({ ctx: call.ctx, input: { id } }) },
  migrate: {
    status: 202,
    run: (call, id, args) => {
      const { host } = parseWire(z.object({ migrate: migrateBody }), { migrate: args ?? {} }, "migrate").migrate ?? {};
      return migrateInstance({ ctx: call.ctx, input: { id, host: host ?? null } });
    },
  },
  "os-migrateLive": {
    status: 202,
    run: (call, id, args) => {
      const wire = z.object({ "os-migrateLive": liveMigrateBody(call) });
      const body = parseWire(wire, { "os-migrateLive": args }, "os-migrateLive")["os-migrateLive"];
      const { host, block_migration: block } = body;
      const force = "force" in body ? body.force : undefined;
      return liveMigrateInstance({
        ctx: call.ctx,
        input: {
          instanceId: id,
          host,
          blockMigration: block === "auto" ? "auto" : NOVA_TRUE.includes(block),
          // Before 2.30 a named host bypasses the scheduler (Nova's forced live migration); from 2.30 only `force` does.
          force: atLeast(call, "2.30") ? NOVA_TRUE.includes(force) : host !== null,
        },
      });
    },
  },
  evacuate: {
    status: 200,
    run: (call, id, args) => {
      const { host, force } = parseWire(z.object({ evacuate: evacuateBody }), { evacuate: args ?? {} }, "evacuate").evacuate;
      return evacuateInstance({ ctx: call.ctx, input: { id, host: host ?? null, force: force ?? false } });
    },
  },
};
const resizeBody = z
  .object({ flavorRef: z.union([z.string().min(1).max(255), z.number().int()]), "OS-DCF:diskConfig": z.enum(["AUTO", "MANUAL"]).optional() })
  .strict();
const migrateBody = z.union([z.null(), z.object({ host: z.string().min(1).max(255).nullable().optional() }).strict()]);
const evacuateBody = z
  .object({
    host: z.string().min(1).max(255).nullable().optional(),
    force: z.boolean().optional(),
    // Nova at 2.1 takes these; Nimbus rebuilds from the image and sets no password.
    onSharedStorage: z.boolean().optional(),
    adminPass: z.string().max(255).optional(),
  })
  .strict();
/** Nova's parameter_types.boolean: a JSON boolean or one of these words. */
const NOVA_BOOLEAN = [
  true,
  "True",
  "TRUE",
  "true",
  "1",
  "ON",
  "On",
  "on",
  "YES",
  "Yes",
  "yes",
  false,
  "False",
  "FALSE",
  "false",
  "0",
  "OFF",
  "Off",
  "off",
  "NO",
  "No",
  "no",
] as const;
const NOVA_TRUE: readonly unknown[] = [true, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes"];
const novaBoolean = z.enum(NOVA_BOOLEAN.filter((v): v is Exclude<typeof v, boolean> => typeof v === "string")).or(z.boolean());
/**
 * Nova's migrate_live schemas: at 2.1 block_migration, disk_over_commit and host are all
 * required; from 2.25 disk_over_commit is gone and block_migration may be "auto"; 2.30 adds
 * force, which 2.68 takes away again.
 */
function liveMigrateBody(call: OsCall) {
  const host = z.string().min(1).max(255).nullable();
  if (!atLeast(call, "2.25")) return z.object({ block_migration: novaBoolean, disk_over_commit: novaBoolean, host }).strict();
  const block = z.union([novaBoolean, z.literal("auto")]);
  if (!atLeast(call, "2.30") || atLeast(call, "2.68")) return z.object({ block_migration: block, host }).strict();
  return z.object({ block_migration: block, host, force: novaBoolean.optional() }).strict();
}
const noArguments = z.union([z.null(), z.object({}).strict()]);
const rebootBody = z.object({ type: z.string().regex(/^(soft|hard)$/i, "Must be SOFT or HARD") }).strict();

/** POST /servers/{id}/action: the power actions (os-stop, os-start, reboot, pause, suspend and their undoing) and the console log. */
async function serverAction(call: OsCall): Promise<OsReply> {
  const body = parseWire(actionBody, call.body, "action");
  const [name, args] = Object.entries(body)[0]!;
  const power = Object.hasOwn(POWER_ACTIONS, name) ? POWER_ACTIONS[name]! : null;
  if (power) {
    if (name !== "reboot") parseWire(z.object({ [name]: noArguments }), { [name]: args }, name);
    const { instance } = await instanceOf(call);
    await power(call, instance.id, args);
    return { status: 202 };
  }
  const move = Object.hasOwn(MOVE_ACTIONS, name) ? MOVE_ACTIONS[name]! : null;
  if (move) {
    if (name === "confirmResize" || name === "revertResize") parseWire(z.object({ [name]: noArguments }), { [name]: args }, name);
    const { instance } = await instanceOf(call);
    await move.run(call, instance.id, args);
    return move.status === 200 ? { status: 200, body: {} } : { status: move.status };
  }
  if (name === "createImage") {
    // Nova's snapshot (./server-image).
    const { instance } = await instanceOf(call);
    return createImageAction(call, instance.id, args);
  }
  if (name === "rebuild") {
    // Nova's rebuild (./server-rebuild): 202 with the server.
    const { instance } = await instanceOf(call);
    return rebuildServer(call, instance.id, args);
  }
  if (name === "os-getVNCConsole") {
    // Nova's 2.1 form of remote-consoles: a noVNC URL with a single-use token (`openstack console url show`).
    parseWire(z.object({ "os-getVNCConsole": z.object({ type: z.literal("novnc", "Nimbus offers novnc consoles only") }).strict() }), body, name);
    const { instance } = await instanceOf(call);
    const opened = await createRemoteConsole({ ctx: call.ctx, input: { id: instance.id, protocol: "vnc", type: "novnc" } });
    return { status: 200, body: { console: { type: "novnc", url: `${call.baseUrl}${opened.path}` } } };
  }
  if (name !== "os-getConsoleOutput") throw badRequest(`Nimbus does not offer the ${name.slice(0, 64)} server action.`);
  const { length } = parseWire(z.object({ "os-getConsoleOutput": consoleOutputBody }), { [name]: args ?? {} }, name)["os-getConsoleOutput"];
  const lines = length === undefined || length === null ? -1 : Number(length);
  if (lines < -1) throw badRequest("Invalid input for field/attribute length. Value: must be -1 or more.");
  const { instance } = await instanceOf(call);
  if (instance.taskState === "deleting") {
    throw new OsRefusal(409, "Conflict", `Cannot 'get_console_output' instance ${instance.id} while it is in task_state deleting`);
  }
  if (!instance.hostId) throw new OsRefusal(409, "Conflict", `Instance ${instance.id} has not been scheduled to a host yet.`);
  const log = await getInstanceConsole({ ctx: call.ctx, input: { id: instance.id } });
  let output = log.text;
  if (lines === 0) output = "";
  else if (lines > 0) output = output.split("\n").slice(-lines).join("\n");
  return { status: 200, body: { output: output.replace(CONSOLE_CONTROL, "") } };
}

type InstanceAction = Awaited<ReturnType<typeof getInstance>>["actions"][number];

/** An instance action at 2.1 (os-instance-actions), its events with it on show. */
function actionView(instanceId: string, action: InstanceAction) {
  return {
    action: action.action,
    instance_uuid: instanceId,
    message: action.message,
    project_id: action.projectId,
    request_id: action.requestId,
    start_time: novaStrtime(action.startTime),
    user_id: action.userId,
  };
}

export const serverRoutes: OsRoute[] = [
  listRoute(false),
  listRoute(true),
  { method: "POST", path: "/v2.1/servers", handle: createServer },
  {
    method: "GET",
    path: "/v2.1/servers/:serverId",
    async handle(call) {
      const detail = await instanceOf(call);
      const row = { ...detail.instance, ports: detail.ports, securityGroups: detail.securityGroups, volumes: detail.volumes };
      return { status: 200, body: { server: serverDetail(call.baseUrl, row, operatorView(principalOf(call))) } };
    },
  },
  {
    method: "DELETE",
    path: "/v2.1/servers/:serverId",
    async handle(call) {
      await deleteInstance({ ctx: call.ctx, input: { id: serverIdOf(call) } });
      return { status: 204 };
    },
  },
  { method: "POST", path: "/v2.1/servers/:serverId/action", handle: serverAction },
  {
    method: "GET",
    path: "/v2.1/servers/:serverId/os-instance-actions",
    async handle(call) {
      const { instance, actions } = await instanceOf(call);
      // Newest first, as Nova lists them.
      return { status: 200, body: { instanceActions: actions.toReversed().map((a) => actionView(instance.id, a)) } };
    },
  },
  {
    method: "GET",
    path: "/v2.1/servers/:serverId/os-instance-actions/:requestId",
    async handle(call) {
      const { instance, actions } = await instanceOf(call);
      const requestId = call.params.requestId!;
      const action = actions.findLast((a) => a.requestId === requestId);
      if (!action) throw notFound(`Action for request_id ${requestId.slice(0, 64)} on instance ${instance.id} not found`);
      return {
        status: 200,
        body: {
          instanceAction: {
            ...actionView(instance.id, action),
            events: action.events.map((e) => ({
              event: e.event,
              start_time: novaStrtime(e.startTime),
              finish_time: e.finishTime ? novaStrtime(e.finishTime) : null,
              result: e.result,
              // Nimbus records no tracebacks: a failed event's plain words stand in their place.
              traceback: e.result === "Error" ? e.details : null,
            })),
          },
        },
      };
    },
  },
];
