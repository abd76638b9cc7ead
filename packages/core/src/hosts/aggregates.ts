import { schema, type Executor } from "@nimbus/db";
import { and, asc, eq, inArray, ne, sql } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { pgErrorOf, UNIQUE_VIOLATION } from "../pg-errors";
import { authorize } from "../policy";
import { aggregatesByHost } from "../scheduler/host-states";
import { availabilityZonesOf, DEFAULT_AVAILABILITY_ZONE } from "../scheduler/filters";
import { eachOnce, keyErrors, text } from "../validation";

const zoneName = text("Availability zone")
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Use letters, digits, '.', '_' and '-'.");
const aggregateName = text("Name").trim().min(1, "Enter a name.").max(64);
const tenantProjectIds = z.array(z.uuid()).max(100).refine(eachOnce(), "Name each project once.");
/** Nova's aggregate metadata keys and values. */
const metadataKey = text("Metadata keys")
  .min(1, "A metadata key cannot be empty.")
  .max(255)
  .regex(/^[a-zA-Z0-9-_:. ]+$/, "Use only letters, digits, spaces and - _ : . in a metadata key.");

export const createAggregateInput = z.object({
  name: aggregateName,
  availabilityZone: zoneName.nullable().default(null),
  tenantProjectIds: tenantProjectIds.default([]),
});
export const updateAggregateInput = z.object({
  id: z.uuid(),
  name: aggregateName.optional(),
  /** A zone, or null for none (its hosts are then in the default zone unless another aggregate names one). */
  availabilityZone: zoneName.nullable().optional(),
  tenantProjectIds: tenantProjectIds.optional(),
  /** Free-form metadata (Nova's aggregate metadata): keys to set, and keys to remove. */
  metadata: z
    .object({
      set: z.record(metadataKey, text("Metadata values").max(255), keyErrors).default({}),
      unset: z.array(metadataKey).max(100).refine(eachOnce(), "Name each key once.").default([]),
    })
    .optional(),
});
export const aggregateHostInput = z.object({ aggregateId: z.uuid(), hostId: z.uuid() });
export const deleteAggregateInput = z.object({
  id: z.uuid(),
  /** Refuse while hosts are in it, as Nova's API does; the console deletes it with its hosts. */
  refuseIfHosts: z.boolean().default(false),
});

/** The most free-form metadata items one aggregate holds. */
const MAX_AGGREGATE_METADATA = 128;

export async function listAggregates({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "aggregates.list");
  const rows = await ctx.db.query.aggregates.findMany({ orderBy: asc(schema.aggregates.name), with: { hosts: { with: { host: true } } } });
  return rows.map((a) => ({
    id: a.id,
    /** The number Nova's compute API names the aggregate by. */
    number: a.number,
    name: a.name,
    availabilityZone: a.availabilityZone,
    tenantProjectIds: a.tenantProjectIds,
    metadata: a.metadata,
    hosts: a.hosts.map((h) => ({ id: h.host.id, hostname: h.host.hostname })).sort((x, y) => x.hostname.localeCompare(y.hostname)),
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  }));
}

export async function createAggregate({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createAggregateInput> }) {
  authorize(ctx.principal, "aggregates.create");
  const value = parseInput(createAggregateInput, input);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.insert(schema.aggregates).values(value).onConflictDoNothing().returning();
    if (!row) throw NimbusError.conflict(`An aggregate named ${value.name} already exists.`);
    await audit(ctx, tx, {
      action: "aggregate.create",
      outcome: "success",
      targetType: "aggregate",
      targetId: row.id,
      projectId: null,
      details: { name: row.name, availabilityZone: row.availabilityZone },
    });
    return row;
  });
}

/** The zone each host of `hostIds` is in through aggregates other than `exceptAggregateId`. */
async function otherZonesOf(db: Executor, hostIds: string[], exceptAggregateId: string) {
  if (hostIds.length === 0) return [];
  return db
    .select({ hostname: schema.computeHosts.hostname, zone: schema.aggregates.availabilityZone })
    .from(schema.aggregateHosts)
    .innerJoin(schema.aggregates, eq(schema.aggregates.id, schema.aggregateHosts.aggregateId))
    .innerJoin(schema.computeHosts, eq(schema.computeHosts.id, schema.aggregateHosts.hostId))
    .where(and(inArray(schema.aggregateHosts.hostId, hostIds), ne(schema.aggregates.id, exceptAggregateId)));
}

/**
 * Renames an aggregate, moves it to another zone (or none), reserves it for projects and edits
 * its free-form metadata (Nova's aggregate update and set_metadata). As Nova: a host stays in at
 * most one zone, and an aggregate whose hosts run instances keeps its zone.
 */
export async function updateAggregate({ ctx, input }: { ctx: CoreContext; input: z.input<typeof updateAggregateInput> }) {
  authorize(ctx.principal, "aggregates.update");
  const { id, metadata, ...fields } = parseInput(updateAggregateInput, input);
  const row = await ctx.db.transaction(async (tx) => {
    const [aggregate] = await tx.select().from(schema.aggregates).where(eq(schema.aggregates.id, id)).for("update");
    if (!aggregate) throw NimbusError.notFound("Aggregate", id);
    const hostIds = (
      await tx.select({ hostId: schema.aggregateHosts.hostId }).from(schema.aggregateHosts).where(eq(schema.aggregateHosts.aggregateId, id))
    ).map((h) => h.hostId);
    const zone = fields.availabilityZone;
    if (zone !== undefined && zone !== aggregate.availabilityZone) {
      if (zone !== null) {
        const other = (await otherZonesOf(tx, hostIds, id)).find((z) => z.zone && z.zone !== zone);
        if (other) throw NimbusError.conflict(`Host ${other.hostname} is already in availability zone ${other.zone}.`);
      }
      const [busy] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(schema.instances)
        .where(and(hostIds.length > 0 ? inArray(schema.instances.hostId, hostIds) : sql`false`, ne(schema.instances.vmState, "deleted")));
      if ((busy?.n ?? 0) > 0) {
        throw NimbusError.badRequest(`Aggregate ${aggregate.name}'s hosts run instances: its availability zone cannot change under them.`, [
          { path: "availabilityZone", message: "Its hosts run instances." },
        ]);
      }
    }
    const nextMetadata = { ...aggregate.metadata, ...(metadata?.set ?? {}) };
    for (const key of metadata?.unset ?? []) delete nextMetadata[key];
    if (Object.keys(nextMetadata).length > MAX_AGGREGATE_METADATA) {
      throw NimbusError.badRequest(`An aggregate holds at most ${MAX_AGGREGATE_METADATA} metadata items.`, [
        { path: "metadata", message: "Too many items." },
      ]);
    }
    const [updated] = await tx
      .update(schema.aggregates)
      .set({ ...fields, metadata: nextMetadata, updatedAt: new Date() })
      .where(eq(schema.aggregates.id, id))
      .returning()
      .catch((error: unknown) => {
        if (pgErrorOf(error).code === UNIQUE_VIOLATION) throw NimbusError.conflict(`An aggregate named ${fields.name} already exists.`);
        throw error;
      });
    await audit(ctx, tx, {
      action: "aggregate.update",
      outcome: "success",
      targetType: "aggregate",
      targetId: id,
      projectId: null,
      details: { name: updated!.name, changed: [...Object.keys(fields), ...(metadata ? ["metadata"] : [])] },
    });
    return { updated: updated!, hostIds };
  });
  for (const hostId of row.hostIds) ctx.publisher.hostChanged({ hostId });
  return row.updated;
}

export async function deleteAggregate({ ctx, input }: { ctx: CoreContext; input: z.input<typeof deleteAggregateInput> }) {
  authorize(ctx.principal, "aggregates.delete");
  const { id, refuseIfHosts } = parseInput(deleteAggregateInput, input);
  const hostIds = await ctx.db.transaction(async (tx) => {
    const [aggregate] = await tx.select().from(schema.aggregates).where(eq(schema.aggregates.id, id)).for("update");
    if (!aggregate) throw NimbusError.notFound("Aggregate", id);
    const hosts = await tx
      .select({ hostId: schema.aggregateHosts.hostId })
      .from(schema.aggregateHosts)
      .where(eq(schema.aggregateHosts.aggregateId, id));
    if (refuseIfHosts && hosts.length > 0) {
      throw NimbusError.badRequest(`Aggregate ${aggregate.name} still has ${hosts.length} host(s): remove them first.`, [
        { path: "id", message: "The aggregate is not empty." },
      ]);
    }
    await tx.delete(schema.aggregates).where(eq(schema.aggregates.id, id));
    await audit(ctx, tx, {
      action: "aggregate.delete",
      outcome: "success",
      targetType: "aggregate",
      targetId: id,
      projectId: null,
      details: { name: aggregate.name },
    });
    return hosts.map((h) => h.hostId);
  });
  for (const hostId of hostIds) ctx.publisher.hostChanged({ hostId });
  return { id };
}

/** Adds a host to an aggregate; `added` is false when it was in it already. */
export async function addHostToAggregate({ ctx, input }: { ctx: CoreContext; input: z.input<typeof aggregateHostInput> }) {
  authorize(ctx.principal, "aggregates.addHost");
  const { aggregateId, hostId } = parseInput(aggregateHostInput, input);
  const added = await ctx.db.transaction(async (tx) => {
    const [[aggregate], host] = await Promise.all([
      tx.select().from(schema.aggregates).where(eq(schema.aggregates.id, aggregateId)).for("update"),
      tx.query.computeHosts.findFirst({ where: eq(schema.computeHosts.id, hostId) }),
    ]);
    if (!aggregate) throw NimbusError.notFound("Aggregate", aggregateId);
    if (!host) throw NimbusError.notFound("Host", hostId);
    if (aggregate.availabilityZone) {
      // As Nova: a host sits in at most one availability zone.
      const other = (await otherZonesOf(tx, [hostId], aggregateId)).find((z) => z.zone && z.zone !== aggregate.availabilityZone);
      if (other) throw NimbusError.conflict(`Host ${host.hostname} is already in availability zone ${other.zone}.`);
    }
    const [row] = await tx.insert(schema.aggregateHosts).values({ aggregateId, hostId }).onConflictDoNothing().returning();
    if (row) {
      await audit(ctx, tx, {
        action: "aggregate.add_host",
        outcome: "success",
        targetType: "aggregate",
        targetId: aggregateId,
        projectId: null,
        details: { name: aggregate.name, host: host.hostname },
      });
    }
    return Boolean(row);
  });
  ctx.publisher.hostChanged({ hostId });
  return { aggregateId, hostId, added };
}

/** Takes a host out of an aggregate; `removed` is false when it was not in it. */
export async function removeHostFromAggregate({ ctx, input }: { ctx: CoreContext; input: z.input<typeof aggregateHostInput> }) {
  authorize(ctx.principal, "aggregates.removeHost");
  const { aggregateId, hostId } = parseInput(aggregateHostInput, input);
  const removed = await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .delete(schema.aggregateHosts)
      .where(and(eq(schema.aggregateHosts.aggregateId, aggregateId), eq(schema.aggregateHosts.hostId, hostId)))
      .returning();
    if (row) {
      await audit(ctx, tx, {
        action: "aggregate.remove_host",
        outcome: "success",
        targetType: "aggregate",
        targetId: aggregateId,
        projectId: null,
        details: { hostId },
      });
    }
    return Boolean(row);
  });
  ctx.publisher.hostChanged({ hostId });
  return { aggregateId, hostId, removed };
}

/**
 * The zones a user may pick in the wizard: those the hosts are in, by the same rule the
 * AvailabilityZoneFilter applies (no AZ aggregate: the default zone), default zone first.
 */
export async function listAvailabilityZones({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "catalog.availabilityZones");
  const [hosts, aggregates] = await Promise.all([ctx.db.select({ id: schema.computeHosts.id }).from(schema.computeHosts), aggregatesByHost(ctx.db)]);
  const zones = new Set(hosts.flatMap((h) => availabilityZonesOf({ aggregates: aggregates.get(h.id) ?? [] })));
  const named = [...zones].filter((z) => z !== DEFAULT_AVAILABILITY_ZONE).sort();
  return zones.has(DEFAULT_AVAILABILITY_ZONE) || named.length === 0 ? [DEFAULT_AVAILABILITY_ZONE, ...named] : named;
}

/**
 * Nova's availability zone list: every zone a host is in (by the AvailabilityZoneFilter's rule),
 * available when one of its hosts is enabled; named only, no host names.
 */
export async function describeAvailabilityZones({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "availabilityZones.list");
  const [hosts, aggregates] = await Promise.all([
    ctx.db.select({ id: schema.computeHosts.id, enabled: schema.computeHosts.enabled }).from(schema.computeHosts),
    aggregatesByHost(ctx.db),
  ]);
  const available = new Map<string, boolean>();
  for (const host of hosts) {
    for (const zone of availabilityZonesOf({ aggregates: aggregates.get(host.id) ?? [] }))
      available.set(zone, (available.get(zone) ?? false) || host.enabled);
  }
  return [...available.entries()].map(([name, isAvailable]) => ({ name, available: isAvailable })).sort((a, b) => a.name.localeCompare(b.name));
}
