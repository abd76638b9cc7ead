import { schema, type Executor } from "@nimbus/db";
import { eq, ne, sql } from "@nimbus/db/orm";
import type { HostState, Inventory, ResourceClass } from "../scheduler/types";

type HostRow = typeof schema.computeHosts.$inferSelect;

export interface HostSnapshot extends HostState {
  generation: number;
}

export function inventoriesOf(host: HostRow, used: Partial<Record<ResourceClass, number>>): Record<ResourceClass, Inventory> {
  return {
    VCPU: { total: host.vcpusTotal, reserved: host.vcpusReserved, allocationRatio: host.cpuAllocationRatio, used: used.VCPU ?? 0 },
    MEMORY_MB: { total: host.memoryMbTotal, reserved: host.memoryMbReserved, allocationRatio: host.ramAllocationRatio, used: used.MEMORY_MB ?? 0 },
    DISK_GB: { total: host.diskGbTotal, reserved: host.diskGbReserved, allocationRatio: host.diskAllocationRatio, used: used.DISK_GB ?? 0 },
  };
}

export function isUp(host: Pick<HostRow, "agentSessionId" | "lastHeartbeatAt">, downAfterMs: number, now = Date.now()): boolean {
  return host.agentSessionId !== null && host.lastHeartbeatAt !== null && now - host.lastHeartbeatAt.getTime() <= downAfterMs;
}

/** Usage per host and resource class, from placement allocations. */
export async function usageByHost(db: Executor, hostId?: string): Promise<Map<string, Partial<Record<ResourceClass, number>>>> {
  const rows = await db
    .select({ hostId: schema.allocations.hostId, rc: schema.allocations.resourceClass, used: sql<number>`sum(${schema.allocations.used})::int` })
    .from(schema.allocations)
    .where(hostId ? eq(schema.allocations.hostId, hostId) : undefined)
    .groupBy(schema.allocations.hostId, schema.allocations.resourceClass);
  const byHost = new Map<string, Partial<Record<ResourceClass, number>>>();
  for (const r of rows) byHost.set(r.hostId, { ...byHost.get(r.hostId), [r.rc]: r.used });
  return byHost;
}

export async function instanceCountByHost(db: Executor): Promise<Map<string, number>> {
  const rows = await db
    .select({ hostId: schema.instances.hostId, n: sql<number>`count(*)::int` })
    .from(schema.instances)
    .where(ne(schema.instances.vmState, "deleted"))
    .groupBy(schema.instances.hostId);
  return new Map(rows.filter((r) => r.hostId !== null).map((r) => [r.hostId!, r.n]));
}

/** Everything the scheduler needs about every host, read in three queries. */
export async function loadHostSnapshots(db: Executor, downAfterMs: number): Promise<HostSnapshot[]> {
  const [hosts, usage, counts] = await Promise.all([db.select().from(schema.computeHosts), usageByHost(db), instanceCountByHost(db)]);
  const now = Date.now();
  return hosts.map((h) => ({
    id: h.id,
    hostname: h.hostname,
    enabled: h.enabled,
    disabledReason: h.disabledReason,
    up: isUp(h, downAfterMs, now),
    instanceCount: counts.get(h.id) ?? 0,
    inventories: inventoriesOf(h, usage.get(h.id) ?? {}),
    generation: h.generation,
  }));
}
