import { schema, type Executor } from "@nimbus/db";
import { and, asc, eq, gte, inArray, ne, sql, type SQL } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import type { Principal } from "../policy";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { pgErrorOf } from "../pg-errors";
import { displayStatus, type TaskState, type VmState } from "../instance/state-machine";
import { availabilityZonesOf } from "../scheduler/filters";
import { aggregatesByHost } from "../scheduler/host-states";
import { eventPayload } from "./announce";
import { buildWaitOf } from "./build-wait";
import { graphicalConsoleOf, guestConsoleOf } from "./guest-console";
import { getInstanceInput, listInstancesInput, MAX_LIST_LIMIT, VM_STATES, type InstanceSortKey, type ListInstancesInput } from "../validation";
import { enumPart, keyset, numericPart, textPart, timestampPart, type SortDirection } from "../paging/keyset";
import type { z } from "zod";

/**
 * Loads an instance the caller may see; another project's instance is NotFound, never Forbidden.
 * `anyProject`: in whichever project it is (a caller already authorized for `instances.allProjects`).
 */
export async function findVisibleInstance(db: Executor, principal: Principal, id: string, { anyProject = false }: { anyProject?: boolean } = {}) {
  const [row] = await db
    .select()
    .from(schema.instances)
    .where(
      and(
        eq(schema.instances.id, id),
        anyProject ? undefined : eq(schema.instances.projectId, principal.projectId),
        ne(schema.instances.vmState, "deleted"),
      ),
    );
  if (!row) throw NimbusError.notFound("Instance", id);
  return row;
}

const summaryColumns = {
  id: schema.instances.id,
  name: schema.instances.name,
  projectId: schema.instances.projectId,
  userId: schema.instances.userId,
  flavorId: schema.instances.flavorId,
  imageId: schema.instances.imageId,
  hostId: schema.instances.hostId,
  vmState: schema.instances.vmState,
  taskState: schema.instances.taskState,
  powerState: schema.instances.powerState,
  progress: schema.instances.progress,
  createdAt: schema.instances.createdAt,
  updatedAt: schema.instances.updatedAt,
  launchedAt: schema.instances.launchedAt,
  deletedAt: schema.instances.deletedAt,
  fault: schema.instances.fault,
  fixedIp: schema.instances.fixedIp,
  macAddress: schema.instances.macAddress,
  keyName: schema.instances.keyName,
  configDrive: schema.instances.configDrive,
  guestBootedAt: schema.instances.guestBootedAt,
  metadata: schema.instances.metadata,
  reservationId: schema.instances.reservationId,
  launchIndex: schema.instances.launchIndex,
  /** The zone asked for at launch (null: any); `availabilityZone` in the results is the zone it is in. */
  requestedZone: schema.instances.availabilityZone,
  vcpus: schema.instances.vcpus,
  memoryMb: schema.instances.memoryMb,
  rootGb: schema.instances.rootGb,
  flavorName: schema.flavors.name,
  imageName: schema.images.name,
  networkName: schema.networks.name,
  hostname: schema.computeHosts.hostname,
};

function withStatus<T extends { vmState: string; taskState: string | null }>(row: T) {
  return { ...row, status: displayStatus(row.vmState as VmState, row.taskState as TaskState | null) };
}

/**
 * What an instance's view shows beside its row, for many instances in a few statements: its
 * ports (addresses, MACs, network names), the security groups on them, its volumes, and the
 * availability zone it is in (its host's; before it has one, the zone asked for).
 */
async function instanceExtras(db: Executor, rows: readonly { id: string; hostId: string | null; requestedZone: string | null }[]) {
  const ids = rows.map((r) => r.id);
  const hostIds = [...new Set(rows.flatMap((r) => (r.hostId ? [r.hostId] : [])))];
  const none = ids.length === 0;
  const [ports, groups, volumes, aggregates] = await Promise.all([
    none
      ? []
      : db
          .select({
            instanceId: schema.ports.instanceId,
            id: schema.ports.id,
            macAddress: schema.ports.macAddress,
            ipAddress: schema.ports.ipAddress,
            status: schema.ports.status,
            networkName: schema.networks.name,
          })
          .from(schema.ports)
          .innerJoin(schema.networks, eq(schema.networks.id, schema.ports.networkId))
          .where(inArray(schema.ports.instanceId, ids))
          .orderBy(asc(schema.ports.createdAt), asc(schema.ports.id)),
    none
      ? []
      : db
          .selectDistinct({ instanceId: schema.ports.instanceId, name: schema.securityGroups.name })
          .from(schema.portSecurityGroups)
          .innerJoin(schema.ports, eq(schema.ports.id, schema.portSecurityGroups.portId))
          .innerJoin(schema.securityGroups, eq(schema.securityGroups.id, schema.portSecurityGroups.groupId))
          .where(inArray(schema.ports.instanceId, ids))
          .orderBy(asc(schema.ports.instanceId), asc(schema.securityGroups.name)),
    none
      ? []
      : db
          .select({
            instanceId: schema.volumeAttachments.instanceId,
            id: schema.volumes.id,
            name: schema.volumes.name,
            sizeGb: schema.volumes.sizeGb,
            device: schema.volumeAttachments.device,
            bootIndex: schema.volumeAttachments.bootIndex,
            deleteOnTermination: schema.volumeAttachments.deleteOnTermination,
          })
          .from(schema.volumeAttachments)
          .innerJoin(schema.volumes, eq(schema.volumes.id, schema.volumeAttachments.volumeId))
          .where(inArray(schema.volumeAttachments.instanceId, ids))
          .orderBy(asc(schema.volumeAttachments.device)),
    hostIds.length > 0 ? aggregatesByHost(db, hostIds) : new Map<string, never[]>(),
  ]);
  const portsOf = byInstance(ports.map(({ instanceId, ...port }) => [instanceId, port] as const));
  const groupsOf = byInstance(groups.map(({ instanceId, name }) => [instanceId, name] as const));
  const volumesOf = byInstance(volumes.map(({ instanceId, ...volume }) => [instanceId, volume] as const));
  return (row: { id: string; hostId: string | null; requestedZone: string | null }) => ({
    availabilityZone: row.hostId ? (availabilityZonesOf({ aggregates: aggregates.get(row.hostId) ?? [] })[0] ?? null) : row.requestedZone,
    ports: portsOf.get(row.id) ?? [],
    securityGroups: groupsOf.get(row.id) ?? [],
    volumes: volumesOf.get(row.id) ?? [],
  });
}

/** Items grouped by the instance each belongs to, in the order given. */
function byInstance<T>(pairs: readonly (readonly [string | null, T])[]): Map<string, T[]> {
  const grouped = new Map<string, T[]>();
  for (const [instanceId, item] of pairs) {
    if (instanceId === null) continue;
    const list = grouped.get(instanceId);
    if (list) list.push(item);
    else grouped.set(instanceId, [item]);
  }
  return grouped;
}

/** A filter's text is a PostgreSQL regular expression, or a BadRequest naming the field. */
async function checkPattern(db: Executor, field: string, pattern: string | undefined): Promise<void> {
  if (pattern === undefined) return;
  try {
    await db.execute(sql`select ''::text ~ ${pattern}::text`);
  } catch (error) {
    if (pgErrorOf(error).code !== INVALID_REGULAR_EXPRESSION) throw error;
    throw NimbusError.badRequest(`The ${field} filter is not a valid regular expression.`, [
      { path: field, message: "Not a valid regular expression." },
    ]);
  }
}
const INVALID_REGULAR_EXPRESSION = "2201B";

/**
 * The orders an instance list can be in, each ending in the id so no two rows tie: newest first
 * by default (those launched together in launch order, `-launch_index` descending), by name, or
 * by vm_state in the enum's order. Migration `list_indexes` gives each an index, per project and
 * across projects.
 */
const instanceKeyset = keyset<InstanceSortKey>({
  keys: {
    created: [timestampPart(sql`${schema.instances.createdAt}`), numericPart(sql`(-${schema.instances.launchIndex})`, "integer")],
    name: [textPart(sql`${schema.instances.name}`)],
    status: [enumPart(sql`${schema.instances.vmState}`, "vm_state", VM_STATES)],
  },
  id: sql`${schema.instances.id}`,
  idCast: (v) => sql`${v}::uuid`,
});
const DEFAULT_DIRECTION: Record<InstanceSortKey, SortDirection> = { created: "desc", name: "asc", status: "asc" };

/**
 * A page of the instances the caller may see, filtered, sorted and paged in the database by
 * keyset (an index range scan: the 50th page costs what the first does). Every project's
 * (`allProjects`), another project's, those on a host, and deleted ones by status are the
 * operator's view (`instances.allProjects`); deleted instances otherwise appear only with
 * `changesSince`, as Nova lists them. A page starts after `marker` (an instance id, Nova's) or at
 * `cursor` (the `next`/`prev` of a page this list gave out).
 */
export async function listInstancePage({ ctx, input }: { ctx: CoreContext; input?: ListInstancesInput }) {
  const principal = authorize(ctx.principal, "instances.list");
  const filters = parseInput(listInstancesInput, input);
  const operator = filters.allProjects || filters.projectId !== undefined || filters.host !== undefined || filters.vmStates?.includes("deleted");
  if (operator) authorize(principal, "instances.allProjects");
  if (filters.marker && filters.cursor) {
    throw NimbusError.badRequest("Give a marker or a page cursor, not both.", [{ path: "cursor", message: "Not with a marker." }]);
  }
  await Promise.all([checkPattern(ctx.db, "name", filters.name), checkPattern(ctx.db, "ip", filters.ip)]);

  const i = schema.instances;
  const scope = filters.projectId ? eq(i.projectId, filters.projectId) : filters.allProjects ? undefined : eq(i.projectId, principal.projectId);
  const conditions: (SQL | undefined)[] = [scope];
  if (filters.vmStates) conditions.push(inArray(i.vmState, filters.vmStates));
  else if (!filters.changesSince) conditions.push(ne(i.vmState, "deleted"));
  if (filters.changesSince) conditions.push(gte(i.updatedAt, filters.changesSince));
  if (filters.name !== undefined) conditions.push(sql`${i.name} ~ ${filters.name}::text`);
  if (filters.reservationId !== undefined) conditions.push(eq(i.reservationId, filters.reservationId));
  if (filters.imageId) conditions.push(eq(i.imageId, filters.imageId));
  if (filters.flavorId) conditions.push(eq(i.flavorId, filters.flavorId));
  if (filters.userId) conditions.push(eq(i.userId, filters.userId));
  if (filters.keyName !== undefined) conditions.push(eq(i.keyName, filters.keyName));
  if (filters.host !== undefined) {
    conditions.push(sql`${i.hostId} in (select h.id from ${schema.computeHosts} h where h.hostname = ${filters.host}::text)`);
  }
  if (filters.ip !== undefined) {
    conditions.push(sql`exists (select 1 from ${schema.ports} p where p.instance_id = ${i.id} and p.ip_address ~ ${filters.ip}::text)`);
  }
  const request = {
    sort: filters.sort,
    direction: filters.direction ?? DEFAULT_DIRECTION[filters.sort],
    limit: filters.limit ?? MAX_LIST_LIMIT,
    cursor: filters.cursor,
  };
  if (filters.marker) {
    // Nova's marker: the page starts after that instance in the list's order (read in the database, to the microsecond).
    const [marker] = await ctx.db
      .select({ id: i.id, _keyset: instanceKeyset.select(request.sort) })
      .from(i)
      .where(and(eq(i.id, filters.marker), scope));
    if (!marker) throw NimbusError.badRequest(`marker [${filters.marker}] not found`, [{ path: "marker", message: "No such instance." }]);
    request.cursor = instanceKeyset.afterRow(request.sort, request.direction, marker);
  }
  const plan = instanceKeyset.plan(request);
  conditions.push(plan.where);
  const rows = await ctx.db
    .select({ ...summaryColumns, _keyset: instanceKeyset.select(request.sort) })
    .from(i)
    .innerJoin(schema.flavors, eq(schema.flavors.id, i.flavorId))
    .leftJoin(schema.images, eq(schema.images.id, i.imageId))
    .leftJoin(schema.networks, eq(schema.networks.id, i.networkId))
    .leftJoin(schema.computeHosts, eq(schema.computeHosts.id, i.hostId))
    .where(and(...conditions))
    .orderBy(...plan.orderBy)
    .limit(plan.fetch);
  const page = instanceKeyset.page(request, rows);
  const extras = await instanceExtras(ctx.db, page.items);
  return { ...page, items: page.items.map((row) => ({ ...withStatus(row), ...extras(row) })) };
}

/**
 * The instances the caller may see as one list: listInstancePage's first page (or the one after
 * `marker`), at most `limit` rows and never more than MAX_LIST_LIMIT (Nova's max_limit).
 */
export async function listInstances({ ctx, input }: { ctx: CoreContext; input?: ListInstancesInput }) {
  return (await listInstancePage({ ctx, input })).items;
}
export type InstanceSummary = Awaited<ReturnType<typeof listInstancePage>>["items"][number];

export async function getInstance({ ctx, input }: { ctx: CoreContext; input: z.input<typeof getInstanceInput> }) {
  const principal = authorize(ctx.principal, "instances.get");
  const { id, allProjects } = parseInput(getInstanceInput, input);
  if (allProjects) authorize(principal, "instances.allProjects");
  const visible = await findVisibleInstance(ctx.db, principal, id, { anyProject: allProjects });
  const [row] = await ctx.db
    .select({ ...summaryColumns, hypervisorType: schema.computeHosts.hypervisorType })
    .from(schema.instances)
    .innerJoin(schema.flavors, eq(schema.flavors.id, schema.instances.flavorId))
    .leftJoin(schema.images, eq(schema.images.id, schema.instances.imageId))
    .leftJoin(schema.networks, eq(schema.networks.id, schema.instances.networkId))
    .leftJoin(schema.computeHosts, eq(schema.computeHosts.id, schema.instances.hostId))
    .where(eq(schema.instances.id, id));
  if (!row) throw NimbusError.notFound("Instance", id);
  const actions = await ctx.db.query.instanceActions.findMany({
    where: eq(schema.instanceActions.instanceId, id),
    orderBy: asc(schema.instanceActions.startTime),
    with: { events: { orderBy: asc(schema.instanceActionEvents.id) } },
  });
  const [extras, buildWait] = await Promise.all([instanceExtras(ctx.db, [row]), buildWaitOf(ctx.db, ctx, visible)]);
  const { hypervisorType, ...instance } = row;
  const { availabilityZone, ports, securityGroups, volumes } = extras(row);
  const host = instance.hostname && hypervisorType ? { hostname: instance.hostname, hypervisorType } : null;
  return {
    instance: { ...withStatus(instance), availabilityZone },
    /** What the build waits for on its host, when it waits (see BuildWait). */
    buildWait,
    /** What the serial console can show, in plain words. */
    guestConsole: guestConsoleOf(instance, host),
    /** Whether the graphical console has a screen to show, and if not why. */
    graphicalConsole: graphicalConsoleOf(instance, host),
    ports,
    /** The names of the security groups on its ports. */
    securityGroups,
    volumes,
    actions: actions.map((a) => ({
      id: a.id,
      action: a.action,
      requestId: a.requestId,
      userId: a.userId,
      projectId: a.projectId,
      startTime: a.startTime.toISOString(),
      finishTime: a.finishTime?.toISOString() ?? null,
      message: a.message,
      events: a.events.map(eventPayload),
    })),
  };
}
