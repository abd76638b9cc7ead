import { z } from "zod";
import { createServerGroup, deleteServerGroup, listServerGroups } from "@nimbus/core/compute";
import { atLeast, badRequest, notFound, type OsCall, type OsRoute } from "../service";
import { intParam, parseWire } from "../wire";
import { canonicalUuid, checkQuery } from "./common";

/**
 * Nova's os-server-groups on the server group verbs: the project's groups with their policy
 * (a list of one until 2.64, then `policy` and `rules`), soft policies from 2.15, members that
 * are not deleted, and the server_groups quota (403 when full, as Nova answers).
 */

type Policy = "affinity" | "anti-affinity" | "soft-affinity" | "soft-anti-affinity";
interface GroupView {
  id: string;
  name: string;
  policy: Policy;
  maxServerPerHost: number | null;
  projectId: string;
  userId: string | null;
  members: { id: string }[];
}

function groupView(call: OsCall, g: GroupView) {
  return {
    id: g.id,
    name: g.name,
    ...(atLeast(call, "2.64")
      ? { policy: g.policy, rules: g.maxServerPerHost !== null ? { max_server_per_host: g.maxServerPerHost } : {} }
      : { policies: [g.policy], metadata: {} }),
    members: g.members.map((m) => m.id),
    ...(atLeast(call, "2.13") ? { project_id: g.projectId, user_id: g.userId ?? "" } : {}),
  };
}

/** Nova's parameter_types.name: printable, no leading or trailing whitespace. */
const groupName = z
  .string()
  .min(1)
  .max(255)
  .refine((v) => v.trim() === v, "cannot start or end with whitespace");

const createBefore264 = z.object({
  server_group: z
    .object({ name: groupName, policies: z.tuple([z.enum(["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"])]) })
    .strict(),
});
const createFrom264 = z.object({
  server_group: z
    .object({
      name: groupName,
      policy: z.enum(["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"]),
      rules: z
        .object({
          max_server_per_host: z
            .union([
              z.number().int().min(1),
              z
                .string()
                .regex(/^[0-9]+$/)
                .transform(Number),
            ])
            .pipe(z.number().int().min(1).max(1000)),
        })
        .partial()
        .strict()
        .optional(),
    })
    .strict(),
});

async function findGroup(call: OsCall): Promise<GroupView> {
  const raw = call.params.groupId!;
  const id = canonicalUuid(raw);
  const group = id ? (await listServerGroups({ ctx: call.ctx })).find((g) => g.id === id) : undefined;
  if (!group) throw notFound(`Instance group ${raw.slice(0, 64)} could not be found.`);
  return group;
}

export const serverGroupRoutes: OsRoute[] = [
  {
    method: "GET",
    path: "/v2.1/os-server-groups",
    async handle(call) {
      checkQuery(call, ["all_projects", "limit", "offset"]);
      // all_projects: Nimbus lists the caller's project's groups (an admin's too).
      const groups = await listServerGroups({ ctx: call.ctx });
      const offset = intParam(call.query, "offset", { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0;
      const limit = intParam(call.query, "limit", { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 1000;
      return { status: 200, body: { server_groups: groups.slice(offset, offset + Math.min(limit, 1000)).map((g) => groupView(call, g)) } };
    },
  },
  {
    method: "POST",
    path: "/v2.1/os-server-groups",
    async handle(call) {
      let name: string;
      let policy: Policy;
      let maxServerPerHost: number | null = null;
      if (atLeast(call, "2.64")) {
        const { server_group: body } = parseWire(createFrom264, call.body, "server_group");
        ({ name, policy } = body);
        const rules = body.rules ?? {};
        if (Object.keys(rules).length > 0 && policy !== "anti-affinity") throw badRequest("Only anti-affinity policy supports rules.");
        maxServerPerHost = rules.max_server_per_host ?? null;
      } else {
        const { server_group: body } = parseWire(createBefore264, call.body, "server_group");
        name = body.name;
        policy = body.policies[0];
        if (policy.startsWith("soft-") && !atLeast(call, "2.15")) {
          throw badRequest(
            `Invalid input for field/attribute policies. Value: ['${policy}']. '${policy}' is not one of ['anti-affinity', 'affinity'].`,
          );
        }
      }
      const row = await createServerGroup({ ctx: call.ctx, input: { name, policy, maxServerPerHost } });
      return { status: 200, body: { server_group: groupView(call, { ...row, members: [] }) } };
    },
  },
  {
    method: "GET",
    path: "/v2.1/os-server-groups/:groupId",
    async handle(call) {
      checkQuery(call, [], "2.102");
      return { status: 200, body: { server_group: groupView(call, await findGroup(call)) } };
    },
  },
  {
    method: "DELETE",
    path: "/v2.1/os-server-groups/:groupId",
    async handle(call) {
      const raw = call.params.groupId!;
      const id = canonicalUuid(raw);
      if (!id) throw notFound(`Instance group ${raw.slice(0, 64)} could not be found.`);
      await deleteServerGroup({ ctx: call.ctx, input: { id } });
      return { status: 204 };
    },
  },
];
