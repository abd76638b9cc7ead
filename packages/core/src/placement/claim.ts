import { schema, type Executor } from "@nimbus/db";
import { and, eq } from "@nimbus/db/orm";
import { free } from "../scheduler/capacity";
import type { RequestSpec, ResourceClass } from "../scheduler/types";
import { inventoriesOf, usageByHost } from "./usage";

export type ClaimOutcome = "claimed" | "conflict" | "insufficient";

/**
 * Writes the instance's allocations on a host, guarded by the host's generation
 * (compare-and-swap): if anyone claimed on that host since `generation` was read, nothing is
 * written and the caller re-reads and retries. Capacity is re-checked inside the transaction,
 * so a host is never over-committed whatever the interleaving.
 */
export async function claimResources(
  db: Executor,
  { hostId, generation, instanceId, spec }: { hostId: string; generation: number; instanceId: string; spec: RequestSpec },
): Promise<ClaimOutcome> {
  return db.transaction(async (tx) => {
    const [host] = await tx
      .update(schema.computeHosts)
      .set({ generation: generation + 1 })
      .where(and(eq(schema.computeHosts.id, hostId), eq(schema.computeHosts.generation, generation)))
      .returning();
    if (!host) return "conflict";
    const used = (await usageByHost(tx, [hostId])).get(hostId) ?? {};
    const inventories = inventoriesOf(host, used);
    const wanted: Record<ResourceClass, number> = { VCPU: spec.vcpus, MEMORY_MB: spec.memoryMb, DISK_GB: spec.diskGb };
    for (const rc of Object.keys(wanted) as ResourceClass[]) {
      if (wanted[rc] > free(inventories[rc])) {
        tx.rollback();
      }
    }
    const values = (Object.entries(wanted) as [ResourceClass, number][])
      .filter(([, amount]) => amount > 0)
      .map(([resourceClass, used]) => ({ instanceId, hostId, resourceClass, used }));
    if (values.length > 0) await tx.insert(schema.allocations).values(values);
    return "claimed" as const;
  }).catch((error: unknown) => {
    if (error instanceof Error && error.name === "TransactionRollbackError") return "insufficient" as const;
    throw error;
  });
}
