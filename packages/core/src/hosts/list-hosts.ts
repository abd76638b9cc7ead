import { schema } from "@nimbus/db";
import { asc } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import { authorize } from "../identity/policy";
import { inventoriesOf, instanceCountByHost, isUp, usageByHost } from "../placement/usage";
import { capacity } from "../scheduler/capacity";
import type { ResourceClass } from "../scheduler/types";

/** The admin host inventory: state, capacity after ratios and reserved, usage, instance count. */
export async function listHosts({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "hosts.list");
  const [hosts, usage, counts] = await Promise.all([
    ctx.db.select().from(schema.computeHosts).orderBy(asc(schema.computeHosts.hostname)),
    usageByHost(ctx.db),
    instanceCountByHost(ctx.db),
  ]);
  const now = Date.now();
  return hosts.map((h) => {
    const inventories = inventoriesOf(h, usage.get(h.id) ?? {});
    const resource = (rc: ResourceClass) => ({
      total: inventories[rc].total,
      reserved: inventories[rc].reserved,
      allocationRatio: inventories[rc].allocationRatio,
      capacity: capacity(inventories[rc]),
      used: inventories[rc].used,
    });
    return {
      id: h.id,
      hostname: h.hostname,
      hypervisorType: h.hypervisorType,
      hypervisorUri: h.hypervisorUri,
      cpuModel: h.cpuModel,
      enabled: h.enabled,
      disabledReason: h.disabledReason,
      state: isUp(h, ctx.hostDownAfterMs, now) ? ("up" as const) : ("down" as const),
      lastHeartbeatAt: h.lastHeartbeatAt?.toISOString() ?? null,
      agentVersion: h.agentVersion,
      instanceCount: counts.get(h.id) ?? 0,
      vcpus: resource("VCPU"),
      memoryMb: resource("MEMORY_MB"),
      diskGb: resource("DISK_GB"),
    };
  });
}
