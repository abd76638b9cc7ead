import { schema } from "@nimbus/db";
import { and, asc, eq } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { aggregatesByHost } from "../scheduler/host-states";
import { availabilityZonesOf, DEFAULT_AVAILABILITY_ZONE } from "../scheduler/filters";
import { eachOnce, text } from "../validation";

const zoneName = text("Availability zone")
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Use letters, digits, '.', '_' and '-'.");

export const createAggregateInput = z.object({
  name: text("Name").trim().min(1, "Enter a name.").max(64),
  availabilityZone: zoneName.nullable().default(null),
  tenantProjectIds: z.array(z.uuid()).max(100).refine(eachOnce(), "Name each project once.").default([]),
});
export const aggregateHostInput = z.object({ aggregateId: z.uuid(), hostId: z.uuid() });
export const aggregateIdInput = z.object({ id: z.uuid() });

export async function listAggregates({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "aggregates.list");
  const rows = await ctx.db.query.aggregates.findMany({ orderBy: asc(schema.aggregates.name), with: { hosts: { with: { host: true } } } });
  return rows.map((a) => ({
    id: a.id,
    name: a.name,
    availabilityZone: a.availabilityZone,
    tenantProjectIds: a.tenantProjectIds,
    hosts: a.hosts.map((h) => ({ id: h.host.id, hostname: h.host.hostname })),
  }));
}

export async function createAggregate({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createAggregateInput> }) {
  authorize(ctx.principal, "aggregates.create");
  const value = parseInput(createAggregateInput, input);
  const [row] = await ctx.db.insert(schema.aggregates).values(value).onConflictDoNothing().returning();
  if (!row) throw NimbusError.conflict(`An aggregate named ${value.name} already exists.`);
  return row;
}

export async function deleteAggregate({ ctx, input }: { ctx: CoreContext; input: z.input<typeof aggregateIdInput> }) {
  authorize(ctx.principal, "aggregates.delete");
  const { id } = parseInput(aggregateIdInput, input);
  const rows = await ctx.db.delete(schema.aggregates).where(eq(schema.aggregates.id, id)).returning({ id: schema.aggregates.id });
  if (rows.length === 0) throw NimbusError.notFound("Aggregate", id);
  return { id: id };
}

export async function addHostToAggregate({ ctx, input }: { ctx: CoreContext; input: z.input<typeof aggregateHostInput> }) {
  authorize(ctx.principal, "aggregates.addHost");
  const { aggregateId, hostId } = parseInput(aggregateHostInput, input);
  const [aggregate, host] = await Promise.all([
    ctx.db.query.aggregates.findFirst({ where: eq(schema.aggregates.id, aggregateId) }),
    ctx.db.query.computeHosts.findFirst({ where: eq(schema.computeHosts.id, hostId) }),
  ]);
  if (!aggregate) throw NimbusError.notFound("Aggregate", aggregateId);
  if (!host) throw NimbusError.notFound("Host", hostId);
  if (aggregate.availabilityZone) {
    // As Nova: a host sits in at most one availability zone.
    const zones = await ctx.db
      .select({ zone: schema.aggregates.availabilityZone })
      .from(schema.aggregateHosts)
      .innerJoin(schema.aggregates, eq(schema.aggregates.id, schema.aggregateHosts.aggregateId))
      .where(eq(schema.aggregateHosts.hostId, hostId));
    const other = zones.find((z) => z.zone && z.zone !== aggregate.availabilityZone);
    if (other) throw NimbusError.conflict(`Host ${host.hostname} is already in availability zone ${other.zone}.`);
  }
  await ctx.db.insert(schema.aggregateHosts).values({ aggregateId, hostId }).onConflictDoNothing();
  ctx.publisher.hostChanged({ hostId });
  return { aggregateId, hostId };
}

export async function removeHostFromAggregate({ ctx, input }: { ctx: CoreContext; input: z.input<typeof aggregateHostInput> }) {
  authorize(ctx.principal, "aggregates.removeHost");
  const { aggregateId, hostId } = parseInput(aggregateHostInput, input);
  await ctx.db.delete(schema.aggregateHosts).where(and(eq(schema.aggregateHosts.aggregateId, aggregateId), eq(schema.aggregateHosts.hostId, hostId)));
  ctx.publisher.hostChanged({ hostId });
  return { aggregateId, hostId };
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
