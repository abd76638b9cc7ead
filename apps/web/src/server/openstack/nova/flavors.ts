import { z } from "zod";
import {
  addFlavorAccess,
  createFlavor,
  deleteFlavor,
  findFlavors,
  getFlavor,
  listFlavorAccess,
  removeFlavorAccess,
  setFlavorProperties,
  updateFlavor,
} from "@nimbus/core/catalog";
import { atLeast, badRequest, notFound, principalOf, type OsCall, type OsReply, type OsRoute } from "../service";
import { parseWire } from "../wire";
import { canonicalUuid, checkQuery, limitAndMarker, nextLinks, novaBoolean, pageOf, requireVersion, resourceLinks, strictBool } from "./common";

/**
 * Nova's flavors (list, show, flavor-manage), their extra specs (shown as properties) and flavor
 * access, on the catalog's flavor verbs. Flavor ids are UUIDs (Nova takes any string: Nimbus
 * makes one, or takes a UUID); extra specs are stored and shown, not yet read by the scheduler.
 */

type FlavorRow = Awaited<ReturnType<typeof getFlavor>>;

/** The flavor a path names, or 404 as Nova answers an unknown one (a name is never an id). */
function flavorIdOf(call: OsCall): string {
  const raw = call.params.flavorId!;
  const id = canonicalUuid(raw);
  if (!id) throw notFound(`Flavor ${raw.slice(0, 64)} could not be found.`);
  return id;
}

function basicView(call: OsCall, flavor: FlavorRow) {
  return {
    id: flavor.id,
    name: flavor.name,
    links: resourceLinks(call, "flavors", flavor.id),
    ...(atLeast(call, "2.55") ? { description: flavor.description } : {}),
  };
}

/** The detailed flavor as Nova shows it at the call's microversion. */
function flavorView(call: OsCall, flavor: FlavorRow) {
  const legacy = !atLeast(call, "2.102");
  return {
    id: flavor.id,
    name: flavor.name,
    ram: flavor.memoryMb,
    disk: flavor.rootGb,
    // Nova writes a zero swap as "" until 2.75.
    swap: flavor.swapMb === 0 && !atLeast(call, "2.75") ? "" : flavor.swapMb,
    "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeralGb,
    ...(legacy ? { "OS-FLV-DISABLED:disabled": flavor.disabled } : {}),
    vcpus: flavor.vcpus,
    "os-flavor-access:is_public": flavor.isPublic,
    ...(legacy ? { rxtx_factor: 1.0 } : {}),
    links: resourceLinks(call, "flavors", flavor.id),
    ...(atLeast(call, "2.55") ? { description: flavor.description } : {}),
    ...(atLeast(call, "2.61") ? { extra_specs: flavor.extraSpecs } : {}),
  };
}

const SORT_KEYS: Record<string, (f: FlavorRow) => string | number | boolean> = {
  created_at: (f) => f.createdAt.getTime(),
  description: (f) => f.description ?? "",
  disabled: (f) => f.disabled,
  ephemeral_gb: (f) => f.ephemeralGb,
  flavorid: (f) => f.id,
  id: (f) => f.id,
  is_public: (f) => f.isPublic,
  memory_mb: (f) => f.memoryMb,
  name: (f) => f.name,
  root_gb: (f) => f.rootGb,
  rxtx_factor: () => 1,
  swap: (f) => f.swapMb,
  updated_at: (f) => f.updatedAt?.getTime() ?? 0,
  vcpu_weight: () => 0,
  vcpus: (f) => f.vcpus,
};

const LIST_QUERY = ["limit", "marker", "is_public", "minRam", "minDisk", "sort_key", "sort_dir"];

/** Nova's flavor list: filters, sort and page as its `_get_flavors` reads them. */
async function listFlavorsPage(call: OsCall, collection: "flavors" | "flavors/detail") {
  checkQuery(call, atLeast(call, "2.102") ? [...LIST_QUERY, "name"] : LIST_QUERY);
  const principal = principalOf(call);
  const intFilter = (param: string) => {
    const raw = call.query.get(param);
    if (raw === null) return undefined;
    if (!/^-?\d+$/.test(raw.trim())) throw badRequest(`Invalid ${param} filter [${raw.slice(0, 32)}]`);
    return Math.max(0, Math.min(Number(raw), 2_147_483_647));
  };
  // Only cloud admins choose public, private or all; others always get Nova's default.
  let isPublic: boolean | null = true;
  const rawPublic = call.query.get("is_public");
  if (principal.isAdmin && rawPublic !== null) {
    isPublic = rawPublic.trim().toLowerCase() === "none" ? null : strictBool(rawPublic);
    if (isPublic === null && rawPublic.trim().toLowerCase() !== "none") throw badRequest(`Invalid is_public filter [${rawPublic.slice(0, 32)}]`);
  }
  const sortKey = call.query.get("sort_key") ?? "flavorid";
  const sortDir = call.query.get("sort_dir") ?? "asc";
  const keyOf = SORT_KEYS[sortKey];
  if (!keyOf) throw badRequest(`Invalid input for query parameters sort_key. Value: ${sortKey.slice(0, 32)}.`);
  if (sortDir !== "asc" && sortDir !== "desc") throw badRequest(`Invalid input for query parameters sort_dir. Value: ${sortDir.slice(0, 32)}.`);
  const name = atLeast(call, "2.102") ? call.query.get("name") : null;
  const flavors = (await findFlavors({ ctx: call.ctx, input: { isPublic, minMemoryMb: intFilter("minRam"), minRootGb: intFilter("minDisk") } }))
    .filter((f) => name === null || f.name === name)
    .sort((a, b) => {
      const [x, y] = [keyOf(a), keyOf(b)];
      const order = x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      return sortDir === "asc" ? order : -order;
    });
  const paging = limitAndMarker(call);
  const page = pageOf(flavors, (f) => f.id, paging);
  return { page, links: nextLinks(call, collection, page, (f) => f.id, paging.limit) };
}

const flavorParam = (min: 0 | 1) =>
  z
    .union([
      z.number(),
      z
        .string()
        .regex(/^[0-9]+$/, "must be a whole number")
        .transform(Number),
    ])
    .pipe(z.number().int("must be a whole number").min(min, `must be at least ${min}`).max(2_147_483_647, "must be at most 2147483647"));

const createBody = z.object({
  flavor: z
    .object({
      name: z.string().min(1).max(255),
      id: z
        .union([z.string().min(1).max(255), z.number(), z.null()])
        .optional()
        .refine((v) => typeof v !== "string" || /^(?! )[a-zA-Z0-9. _-]+(?<! )$/.test(v), "Invalid flavor id"),
      ram: flavorParam(1),
      vcpus: flavorParam(1),
      disk: flavorParam(0),
      "OS-FLV-EXT-DATA:ephemeral": flavorParam(0).optional(),
      swap: flavorParam(0).optional(),
      rxtx_factor: z
        .union([
          z.number(),
          z
            .string()
            .regex(/^[0-9]+(\.[0-9]+)?$/)
            .transform(Number),
        ])
        .optional(),
      "os-flavor-access:is_public": novaBoolean.optional(),
      description: z.string().max(65_535).nullable().optional(),
    })
    .strict(),
});

/** The flavor id a create asks for: null (or Nimbus's "auto", as the older clients sent it) makes one; otherwise a UUID. */
function requestedFlavorId(id: string | number | null | undefined): string | null {
  if (id === undefined || id === null || id === "auto") return null;
  const uuid = canonicalUuid(String(id));
  if (!uuid)
    throw badRequest(
      `Invalid flavor id ${JSON.stringify(String(id).slice(0, 64))}: Nimbus flavor ids are UUIDs; leave the id out (or "auto") to have one made.`,
    );
  return uuid;
}

const specValue = z.union([z.string(), z.number()]).transform(String);
const extraSpecsBody = z.object({ extra_specs: z.record(z.string(), specValue) }).strict();
const accessAction = z.union([
  z.object({ addTenantAccess: z.object({ tenant: z.string().min(1).max(255) }).strict() }).strict(),
  z.object({ removeTenantAccess: z.object({ tenant: z.string().min(1).max(255) }).strict() }).strict(),
]);

function accessView(access: { flavorId: string; projectIds: string[] }) {
  return { flavor_access: access.projectIds.map((projectId) => ({ flavor_id: access.flavorId, tenant_id: projectId })) };
}

/** A project id Nova would take: anything else is Nova's "not a valid project" 400. */
function tenantId(raw: string): string {
  const id = canonicalUuid(raw);
  if (!id) throw badRequest(`Project ID ${raw.slice(0, 64)} is not a valid project.`);
  return id;
}

const ok = (body: unknown, status = 200): OsReply => ({ status, body });

export const flavorRoutes: OsRoute[] = [
  {
    method: "GET",
    path: "/v2.1/flavors",
    async handle(call) {
      const { page, links } = await listFlavorsPage(call, "flavors");
      return ok({ flavors: page.map((f) => basicView(call, f)), ...(links ? { flavors_links: links } : {}) });
    },
  },
  {
    method: "GET",
    path: "/v2.1/flavors/detail",
    async handle(call) {
      const { page, links } = await listFlavorsPage(call, "flavors/detail");
      return ok({ flavors: page.map((f) => flavorView(call, f)), ...(links ? { flavors_links: links } : {}) });
    },
  },
  {
    method: "GET",
    path: "/v2.1/flavors/:flavorId",
    async handle(call) {
      checkQuery(call, [], "2.102");
      const flavor = await getFlavor({ ctx: call.ctx, input: { id: flavorIdOf(call) } });
      return ok({ flavor: flavorView(call, flavor) });
    },
  },
  {
    method: "POST",
    path: "/v2.1/flavors",
    async handle(call) {
      const { flavor: body } = parseWire(createBody, call.body, "flavor");
      if (body.description !== undefined && !atLeast(call, "2.55")) {
        throw badRequest("Invalid input for field/attribute flavor. Value: Additional properties are not allowed ('description' was unexpected).");
      }
      if (body.rxtx_factor !== undefined && atLeast(call, "2.102")) {
        throw badRequest("Invalid input for field/attribute flavor. Value: Additional properties are not allowed ('rxtx_factor' was unexpected).");
      }
      if (body.rxtx_factor !== undefined && body.rxtx_factor !== 1) throw badRequest("Nimbus has no rxtx_factor: leave it out or give 1.0.");
      const flavor = await createFlavor({
        ctx: call.ctx,
        input: {
          id: requestedFlavorId(body.id),
          name: body.name,
          description: body.description ?? null,
          vcpus: body.vcpus,
          memoryMb: body.ram,
          rootGb: body.disk,
          ephemeralGb: body["OS-FLV-EXT-DATA:ephemeral"] ?? 0,
          swapMb: body.swap ?? 0,
          isPublic: body["os-flavor-access:is_public"] ?? true,
        },
      });
      return ok({ flavor: flavorView(call, flavor) });
    },
  },
  {
    method: "PUT",
    path: "/v2.1/flavors/:flavorId",
    async handle(call) {
      requireVersion(call, "2.55");
      const body = parseWire(
        z.object({ flavor: z.object({ description: z.string().max(65_535).nullable() }).strict() }).strict(),
        call.body,
        "flavor",
      );
      const flavor = await updateFlavor({ ctx: call.ctx, input: { id: flavorIdOf(call), description: body.flavor.description } });
      return ok({ flavor: flavorView(call, flavor) });
    },
  },
  {
    method: "DELETE",
    path: "/v2.1/flavors/:flavorId",
    async handle(call) {
      await deleteFlavor({ ctx: call.ctx, input: { id: flavorIdOf(call) } });
      return { status: 202 };
    },
  },
  {
    method: "POST",
    path: "/v2.1/flavors/:flavorId/action",
    async handle(call) {
      const action = parseWire(accessAction, call.body, "addTenantAccess");
      const id = flavorIdOf(call);
      const access =
        "addTenantAccess" in action
          ? await addFlavorAccess({ ctx: call.ctx, input: { id, projectId: tenantId(action.addTenantAccess.tenant) } })
          : await removeFlavorAccess({ ctx: call.ctx, input: { id, projectId: tenantId(action.removeTenantAccess.tenant) } });
      return ok(accessView(access));
    },
  },
  {
    method: "GET",
    path: "/v2.1/flavors/:flavorId/os-flavor-access",
    async handle(call) {
      return ok(accessView(await listFlavorAccess({ ctx: call.ctx, input: { id: flavorIdOf(call) } })));
    },
  },
  {
    method: "GET",
    path: "/v2.1/flavors/:flavorId/os-extra_specs",
    async handle(call) {
      const flavor = await getFlavor({ ctx: call.ctx, input: { id: flavorIdOf(call) } });
      return ok({ extra_specs: flavor.extraSpecs });
    },
  },
  {
    method: "POST",
    path: "/v2.1/flavors/:flavorId/os-extra_specs",
    async handle(call) {
      const { extra_specs: set } = parseWire(extraSpecsBody, call.body, "extra_specs");
      await setFlavorProperties({ ctx: call.ctx, input: { id: flavorIdOf(call), set } });
      return ok({ extra_specs: set });
    },
  },
  {
    method: "GET",
    path: "/v2.1/flavors/:flavorId/os-extra_specs/:key",
    async handle(call) {
      const flavor = await getFlavor({ ctx: call.ctx, input: { id: flavorIdOf(call) } });
      const key = call.params.key!;
      if (!Object.hasOwn(flavor.extraSpecs, key)) throw notFound(`Flavor ${flavor.id} has no extra specs with key ${key.slice(0, 255)}.`);
      return ok({ [key]: flavor.extraSpecs[key] });
    },
  },
  {
    method: "PUT",
    path: "/v2.1/flavors/:flavorId/os-extra_specs/:key",
    async handle(call) {
      const body = parseWire(z.record(z.string(), specValue), call.body, call.params.key!);
      const key = call.params.key!;
      if (Object.keys(body).length !== 1) throw badRequest("Give exactly one extra spec, named as in the URL.");
      if (!Object.hasOwn(body, key)) throw badRequest("Request body and URI mismatch");
      await setFlavorProperties({ ctx: call.ctx, input: { id: flavorIdOf(call), set: body } });
      return ok(body);
    },
  },
  {
    method: "DELETE",
    path: "/v2.1/flavors/:flavorId/os-extra_specs/:key",
    async handle(call) {
      await setFlavorProperties({ ctx: call.ctx, input: { id: flavorIdOf(call), unset: [call.params.key!] } });
      return { status: 200 };
    },
  },
];
