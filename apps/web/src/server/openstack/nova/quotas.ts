import { z } from "zod";
import { isNimbusError } from "@nimbus/core/errors";
import { projectQuotas, quotaUsage, setQuota } from "@nimbus/core/quota";
import { DEFAULT_QUOTAS } from "@nimbus/core/quota-limits";
import { badRequest, principalOf, type OsCall, type OsRoute } from "../service";
import { parseWire } from "../wire";
import { canonicalUuid, checkQuery, strictBool } from "./common";

/**
 * Nova's os-quota-sets and limits on the quota verbs: a member reads their own project's
 * quota (quotaUsage), a cloud admin any project's and sets them (projectQuotas, setQuota, which
 * refuses a limit under the usage unless `force`, as Nova does). Nimbus's compute quotas are
 * instances, cores, ram, key_pairs (counted per user, as Nova's) and server_groups; Nova's
 * others (metadata items, injected files, server group members, the nova-network ones) are
 * not limited here and not shown. Volumes and images are Cinder's and Glance's.
 */

const COMPUTE_RESOURCES = ["instances", "cores", "ram", "key_pairs", "server_groups"] as const;
type ComputeResource = (typeof COMPUTE_RESOURCES)[number];
type Figures = Record<ComputeResource, { limit: number; in_use: number }>;

/** The project a path names, or Nova's 400 for one that is not a project. */
function projectIdOf(call: OsCall): string {
  const raw = call.params.projectId!;
  const id = canonicalUuid(raw);
  if (!id) throw badRequest(`Project ID ${raw.slice(0, 64)} is not a valid project.`);
  return id;
}

/** A project's compute quota and usage: the caller's own through quotaUsage, any other (cloud admins) through projectQuotas. */
async function computeFigures(call: OsCall, projectId: string): Promise<Figures> {
  const principal = principalOf(call);
  if (projectId === principal.projectId) {
    const usage = await quotaUsage({ ctx: call.ctx });
    return Object.fromEntries(COMPUTE_RESOURCES.map((r) => [r, { limit: usage[r].limit, in_use: usage[r].used }])) as Figures;
  }
  try {
    const quotas = await projectQuotas({ ctx: call.ctx, input: { projectId } });
    // Key pairs are counted per user: a project as a whole has none in use (as Nova's project view).
    return Object.fromEntries(
      COMPUTE_RESOURCES.map((r) => [r, { limit: quotas.limits[r], in_use: r === "key_pairs" ? 0 : (quotas.used[r] ?? 0) }]),
    ) as Figures;
  } catch (error) {
    if (isNimbusError(error) && error.code === "NotFound") throw badRequest(`Project ID ${projectId} is not a valid project.`);
    throw error;
  }
}

const limitsOf = (figures: Figures) => Object.fromEntries(COMPUTE_RESOURCES.map((r) => [r, figures[r].limit]));

const quotaValue = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^-?[0-9]+$/, "must be a whole number")
      .transform(Number),
  ])
  .pipe(z.number().int("must be a whole number").min(-1, "must be -1 (unlimited) or more").max(2_147_483_647, "must be at most 2147483647"));
const updateBody = z.object({ quota_set: z.record(z.string(), z.unknown()) }).strict();

/** The limits a PUT sets: Nimbus's compute resources only, each a whole number from -1. */
function requestedLimits(body: Record<string, unknown>): { limits: Partial<Record<ComputeResource, number>>; force: boolean } {
  const limits: Partial<Record<ComputeResource, number>> = {};
  let force = false;
  for (const [key, value] of Object.entries(body)) {
    if (key === "force") {
      const parsed = typeof value === "boolean" ? value : typeof value === "string" ? strictBool(value) : null;
      if (parsed === null) throw badRequest("Invalid input for field/attribute force. Value: not a boolean.");
      force = parsed;
      continue;
    }
    if (!(COMPUTE_RESOURCES as readonly string[]).includes(key)) {
      throw badRequest(`Nimbus has no ${key.slice(0, 64)} quota: set instances, cores, ram, key_pairs or server_groups.`);
    }
    if (value === null) continue;
    const parsed = quotaValue.safeParse(value);
    if (!parsed.success)
      throw badRequest(`Invalid input for field/attribute ${key}. Value: ${JSON.stringify(value)?.slice(0, 32)} ${parsed.error.issues[0]!.message}.`);
    limits[key as ComputeResource] = parsed.data;
  }
  return { limits, force };
}

export const quotaRoutes: OsRoute[] = [
  {
    method: "GET",
    path: "/v2.1/os-quota-sets/:projectId",
    async handle(call) {
      checkQuery(call, ["user_id"]);
      const projectId = projectIdOf(call);
      return { status: 200, body: { quota_set: { id: projectId, ...limitsOf(await computeFigures(call, projectId)) } } };
    },
  },
  {
    method: "GET",
    path: "/v2.1/os-quota-sets/:projectId/detail",
    async handle(call) {
      checkQuery(call, ["user_id"]);
      const projectId = projectIdOf(call);
      const figures = await computeFigures(call, projectId);
      const detail = Object.fromEntries(COMPUTE_RESOURCES.map((r) => [r, { ...figures[r], reserved: 0 }]));
      return { status: 200, body: { quota_set: { id: projectId, ...detail } } };
    },
  },
  {
    method: "GET",
    path: "/v2.1/os-quota-sets/:projectId/defaults",
    handle(call) {
      principalOf(call);
      const projectId = projectIdOf(call);
      return { status: 200, body: { quota_set: { id: projectId, ...Object.fromEntries(COMPUTE_RESOURCES.map((r) => [r, DEFAULT_QUOTAS[r]])) } } };
    },
  },
  {
    method: "PUT",
    path: "/v2.1/os-quota-sets/:projectId",
    async handle(call) {
      checkQuery(call, ["user_id"]);
      const { quota_set: body } = parseWire(updateBody, call.body, "quota_set");
      const projectId = projectIdOf(call);
      const { limits, force } = requestedLimits(body);
      try {
        const quotas = await setQuota({ ctx: call.ctx, input: { projectId, limits, refuseBelowUsage: !force } });
        return { status: 200, body: { quota_set: Object.fromEntries(COMPUTE_RESOURCES.map((r) => [r, quotas.limits[r]])) } };
      } catch (error) {
        if (isNimbusError(error) && error.code === "NotFound") throw badRequest(`Project ID ${projectId} is not a valid project.`);
        throw error;
      }
    },
  },
  {
    method: "GET",
    path: "/v2.1/limits",
    async handle(call) {
      checkQuery(call, ["reserved", "tenant_id"]);
      const projectId = call.query.get("tenant_id") ?? principalOf(call).projectId;
      const id = canonicalUuid(projectId);
      if (!id) throw badRequest(`Project ID ${projectId.slice(0, 64)} is not a valid project.`);
      const figures = await computeFigures(call, id);
      return {
        status: 200,
        body: {
          limits: {
            rate: [],
            absolute: {
              maxTotalInstances: figures.instances.limit,
              maxTotalCores: figures.cores.limit,
              maxTotalRAMSize: figures.ram.limit,
              maxTotalKeypairs: figures.key_pairs.limit,
              maxServerGroups: figures.server_groups.limit,
              totalInstancesUsed: figures.instances.in_use,
              totalCoresUsed: figures.cores.in_use,
              totalRAMUsed: figures.ram.in_use,
              totalServerGroupsUsed: figures.server_groups.in_use,
            },
          },
        },
      };
    },
  },
];
