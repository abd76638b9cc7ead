/**
 * A provider's inventories and usage as placement keeps them on the compute host row, its
 * liveness, and usage summed from the allocations themselves.
 */
import { schema, type Executor } from "@nimbus/db";
import { and, inArray, isNotNull, ne, sql } from "@nimbus/db/orm";
import type { Inventory, ResourceClass } from "./types";

const h = schema.computeHosts;

type InventoryColumns = Pick<
  typeof h.$inferSelect,
  | "vcpusTotal"
  | "vcpusReserved"
  | "cpuAllocationRatio"
  | "vcpusUsed"
  | "memoryMbTotal"
  | "memoryMbReserved"
  | "ramAllocationRatio"
  | "memoryMbUsed"
  | "diskGbTotal"
  | "diskGbReserved"
  | "diskAllocationRatio"
  | "diskGbUsed"
>;

export function inventoriesOf(host: InventoryColumns): Record<ResourceClass, Inventory> {
  return {
    VCPU: { total: host.vcpusTotal, reserved: host.vcpusReserved, allocationRatio: host.cpuAllocationRatio, used: host.vcpusUsed },
    MEMORY_MB: { total: host.memoryMbTotal, reserved: host.memoryMbReserved, allocationRatio: host.ramAllocationRatio, used: host.memoryMbUsed },
    DISK_GB: { total: host.diskGbTotal, reserved: host.diskGbReserved, allocationRatio: host.diskAllocationRatio, used: host.diskGbUsed },
  };
}

export function isUp(host: { agentSessionId: string | null; lastHeartbeatAt: Date | null }, downAfterMs: number, now = Date.now()): boolean {
  return host.agentSessionId !== null && host.lastHeartbeatAt !== null && now - host.lastHeartbeatAt.getTime() <= downAfterMs;
}

/**
 * How long after its last heartbeat a host's builds are given up even while its connection
 * still looks open (a stopped process keeps its socket): twice the down time.
 */
export const hostGiveUpAfterMs = (hostDownAfterMs: number) => 2 * hostDownAfterMs;

/** Usage per host and resource class summed from the allocations themselves (the ground truth). */
export async function usageByHost(db: Executor, hostIds?: readonly string[]): Promise<Map<string, Partial<Record<ResourceClass, number>>>> {
  const rows = await db
    .select({ hostId: schema.allocations.hostId, rc: schema.allocations.resourceClass, used: sql<number>`sum(${schema.allocations.used})::int` })
    .from(schema.allocations)
    .where(hostIds ? inArray(schema.allocations.hostId, [...hostIds]) : undefined)
    .groupBy(schema.allocations.hostId, schema.allocations.resourceClass);
  const byHost = new Map<string, Partial<Record<ResourceClass, number>>>();
  for (const r of rows) byHost.set(r.hostId, { ...byHost.get(r.hostId), [r.rc]: r.used });
  return byHost;
}

export async function instanceCountByHost(db: Executor, hostIds?: readonly string[]): Promise<Map<string, number>> {
  const rows = await db
    .select({ hostId: schema.instances.hostId, n: sql<number>`count(*)::int` })
    .from(schema.instances)
    .where(
      and(ne(schema.instances.vmState, "deleted"), hostIds ? inArray(schema.instances.hostId, [...hostIds]) : isNotNull(schema.instances.hostId)),
    )
    .groupBy(schema.instances.hostId);
  return new Map(rows.map((r) => [r.hostId!, r.n]));
}
