import { z } from "zod";
import { addHostToAggregate, createAggregate, deleteAggregate, listAggregates, removeHostFromAggregate, updateAggregate } from "@nimbus/core/hosts";
import { atLeast, badRequest, notFound, OsRefusal, type OsCall, type OsRoute } from "../service";
import { parseWire } from "../wire";
import { canonicalUuid, checkQuery, naiveTime } from "./common";
import { hostsOf } from "./hosts";

/**
 * Nova's os-aggregates on the aggregate verbs: named by their number (Nova's integer id; the
 * uuid from 2.41), hosts by hostname. The availability zone and the projects an aggregate is
 * reserved for (Nova's AggregateMultiTenancyIsolation `filter_tenant_id`) show in its metadata
 * as in Nova, and setting those keys moves it to a zone or reserves it.
 */

type Aggregate = Awaited<ReturnType<typeof listAggregates>>[number];

const ZONE_KEY = "availability_zone";
const TENANT_KEY = "filter_tenant_id";

function metadataOf(a: Aggregate): Record<string, string> {
  return {
    ...a.metadata,
    ...(a.availabilityZone ? { [ZONE_KEY]: a.availabilityZone } : {}),
    ...(a.tenantProjectIds.length > 0 ? { [TENANT_KEY]: a.tenantProjectIds.join(",") } : {}),
  };
}

function aggregateView(call: OsCall, a: Aggregate, { brief = false } = {}) {
  return {
    availability_zone: a.availabilityZone,
    created_at: naiveTime(a.createdAt),
    deleted: false,
    deleted_at: null,
    ...(brief ? {} : { hosts: a.hosts.map((h) => h.hostname), metadata: metadataOf(a) }),
    id: a.number,
    name: a.name,
    updated_at: naiveTime(a.updatedAt),
    ...(atLeast(call, "2.41") ? { uuid: a.id } : {}),
  };
}

/** The aggregate a path's id names: a whole number (Nova's 400 otherwise), else 404. */
async function aggregateOf(call: OsCall): Promise<Aggregate> {
  const aggregates = await listAggregates({ ctx: call.ctx });
  const raw = call.params.aggregateId!;
  if (!/^\d+$/.test(raw)) throw badRequest("Invalid input received: id must be an integer.");
  const found = aggregates.find((a) => a.number === Number(raw));
  if (!found) throw notFound(`Aggregate ${raw} could not be found.`);
  return found;
}

async function reread(call: OsCall, id: string): Promise<Aggregate> {
  const found = (await listAggregates({ ctx: call.ctx })).find((a) => a.id === id);
  if (!found) throw notFound(`Aggregate ${id} could not be found.`);
  return found;
}

/** Nova's parameter_types.name: no leading or trailing whitespace. */
const aggregateName = z
  .string()
  .min(1)
  .max(255)
  .refine((v) => v.trim() === v, "cannot start or end with whitespace");
const zoneValue = z.string().min(1).max(255).nullable();

const createBody = z.object({ aggregate: z.object({ name: aggregateName, availability_zone: zoneValue.optional() }).strict() }).strict();
const updateBody = z
  .object({
    aggregate: z
      .object({ name: z.string().min(1).max(255).optional(), availability_zone: zoneValue.optional() })
      .strict()
      .refine((v) => v.name !== undefined || v.availability_zone !== undefined, "name or availability_zone is required"),
  })
  .strict();
const hostBody = z.object({ host: z.string().min(1).max(255) }).strict();
const actionBody = z.union([
  z.object({ add_host: hostBody }).strict(),
  z.object({ remove_host: hostBody }).strict(),
  z.object({ set_metadata: z.object({ metadata: z.record(z.string().min(1).max(255), z.string().max(255).nullable()) }).strict() }).strict(),
]);

/** filter_tenant_id's comma-separated project ids. */
function tenantIds(value: string): string[] {
  const ids = value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
  const parsed = ids.map((v) => canonicalUuid(v));
  const bad = ids.find((_, i) => parsed[i] === null);
  if (bad !== undefined) throw badRequest(`Invalid ${TENANT_KEY}: ${bad.slice(0, 64)} is not a project id.`);
  return [...new Set(parsed as string[])];
}

/** Nova's set_metadata: keys given a value are set, keys given null removed; the zone and tenant keys move and reserve the aggregate. */
async function setMetadata(call: OsCall, aggregate: Aggregate, metadata: Record<string, string | null>) {
  const set: Record<string, string> = {};
  const unset: string[] = [];
  let availabilityZone: string | null | undefined;
  let tenantProjectIds: string[] | undefined;
  for (const [key, value] of Object.entries(metadata)) {
    if (key === ZONE_KEY) availabilityZone = value;
    else if (key === TENANT_KEY) tenantProjectIds = value === null ? [] : tenantIds(value);
    else if (key.startsWith(TENANT_KEY)) throw badRequest(`Name the projects in one ${TENANT_KEY} key, comma-separated.`);
    else if (value === null) {
      if (Object.hasOwn(aggregate.metadata, key)) unset.push(key);
    } else set[key] = value;
  }
  await updateAggregate({
    ctx: call.ctx,
    input: {
      id: aggregate.id,
      ...(availabilityZone !== undefined ? { availabilityZone } : {}),
      ...(tenantProjectIds !== undefined ? { tenantProjectIds } : {}),
      metadata: { set, unset },
    },
  });
}

async function hostIdByName(call: OsCall, hostname: string): Promise<string> {
  const host = (await hostsOf(call)).find((h) => h.hostname === hostname);
  if (!host) throw notFound(`Compute host ${hostname.slice(0, 255)} could not be found.`);
  return host.id;
}

export const aggregateRoutes: OsRoute[] = [
  {
    method: "GET",
    path: "/v2.1/os-aggregates",
    async handle(call) {
      checkQuery(call, [], "2.102");
      return { status: 200, body: { aggregates: (await listAggregates({ ctx: call.ctx })).map((a) => aggregateView(call, a)) } };
    },
  },
  {
    method: "POST",
    path: "/v2.1/os-aggregates",
    async handle(call) {
      const { aggregate: body } = parseWire(createBody, call.body, "aggregate");
      const row = await createAggregate({ ctx: call.ctx, input: { name: body.name, availabilityZone: body.availability_zone ?? null } });
      return { status: 200, body: { aggregate: aggregateView(call, await reread(call, row.id), { brief: true }) } };
    },
  },
  {
    method: "GET",
    path: "/v2.1/os-aggregates/:aggregateId",
    async handle(call) {
      checkQuery(call, [], "2.102");
      return { status: 200, body: { aggregate: aggregateView(call, await aggregateOf(call)) } };
    },
  },
  {
    method: "PUT",
    path: "/v2.1/os-aggregates/:aggregateId",
    async handle(call) {
      const { aggregate: body } = parseWire(updateBody, call.body, "aggregate");
      const aggregate = await aggregateOf(call);
      await updateAggregate({
        ctx: call.ctx,
        input: {
          id: aggregate.id,
          ...(body.name !== undefined ? { name: body.name.trim() } : {}),
          ...(body.availability_zone !== undefined ? { availabilityZone: body.availability_zone } : {}),
        },
      });
      return { status: 200, body: { aggregate: aggregateView(call, await reread(call, aggregate.id)) } };
    },
  },
  {
    method: "DELETE",
    path: "/v2.1/os-aggregates/:aggregateId",
    async handle(call) {
      const aggregate = await aggregateOf(call);
      await deleteAggregate({ ctx: call.ctx, input: { id: aggregate.id, refuseIfHosts: true } });
      return { status: 200 };
    },
  },
  {
    method: "POST",
    path: "/v2.1/os-aggregates/:aggregateId/action",
    async handle(call) {
      const action = parseWire(actionBody, call.body, "add_host");
      const aggregate = await aggregateOf(call);
      if ("add_host" in action) {
        const hostId = await hostIdByName(call, action.add_host.host);
        const { added } = await addHostToAggregate({ ctx: call.ctx, input: { aggregateId: aggregate.id, hostId } });
        if (!added) throw new OsRefusal(409, "Conflict", `Aggregate ${aggregate.number} already has host ${action.add_host.host}.`);
      } else if ("remove_host" in action) {
        const cannot = () => notFound(`Cannot remove host ${action.remove_host.host.slice(0, 255)} in aggregate ${aggregate.number}`);
        const host = (await hostsOf(call)).find((h) => h.hostname === action.remove_host.host);
        if (!host) throw cannot();
        const { removed } = await removeHostFromAggregate({ ctx: call.ctx, input: { aggregateId: aggregate.id, hostId: host.id } });
        if (!removed) throw cannot();
      } else {
        await setMetadata(call, aggregate, action.set_metadata.metadata);
      }
      return { status: 200, body: { aggregate: aggregateView(call, await reread(call, aggregate.id)) } };
    },
  },
];
