import { schema } from "@nimbus/db";
import { and, asc, eq, isNotNull, ne } from "@nimbus/db/orm";
import { displayStatus, type TaskState, type VmState } from "../instance/state-machine";
import { DEFAULT_AVAILABILITY_ZONE } from "../scheduler/filters";
import type { CoreContext } from "../context";
import { authorize } from "../policy";
import { inventoriesOf, instanceCountByHost, isUp } from "../placement/usage";
import { capacity } from "../scheduler/capacity";
import type { ResourceClass } from "../scheduler/types";

/** The admin host inventory: state, capacity after ratios and reserved, usage, instance count. */
export async function listHosts({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "hosts.list");
  const [hosts, counts, aggregates, placed] = await Promise.all([
    ctx.db.select().from(schema.computeHosts).orderBy(asc(schema.computeHosts.hostname)),
    instanceCountByHost(ctx.db),
    ctx.db
      .select({
        hostId: schema.aggregateHosts.hostId,
        id: schema.aggregates.id,
        name: schema.aggregates.name,
        availabilityZone: schema.aggregates.availabilityZone,
      })
      .from(schema.aggregateHosts)
      .innerJoin(schema.aggregates, eq(schema.aggregates.id, schema.aggregateHosts.aggregateId)),
    ctx.db
      .select({
        hostId: schema.instances.hostId,
        id: schema.instances.id,
        name: schema.instances.name,
        vmState: schema.instances.vmState,
        taskState: schema.instances.taskState,
        projectName: schema.projects.name,
      })
      .from(schema.instances)
      .innerJoin(schema.projects, eq(schema.projects.id, schema.instances.projectId))
      .where(and(isNotNull(schema.instances.hostId), ne(schema.instances.vmState, "deleted")))
      .orderBy(asc(schema.instances.name)),
  ]);
  const now = Date.now();
  return hosts.map((h) => {
    const inventories = inventoriesOf(h);
    const resource = (rc: ResourceClass) => ({
      total: inventories[rc].total,
      reserved: inventories[rc].reserved,
      allocationRatio: inventories[rc].allocationRatio,
      capacity: capacity(inventories[rc]),
      used: inventories[rc].used,
    });
    const hostAggregates = aggregates.filter((a) => a.hostId === h.id).map(({ hostId: _, ...a }) => a);
    return {
      id: h.id,
      /** The number Nova's compute API names the host's service and hypervisor by below microversion 2.53. */
      number: h.number,
      hostname: h.hostname,
      availabilityZone: hostAggregates.find((a) => a.availabilityZone)?.availabilityZone ?? DEFAULT_AVAILABILITY_ZONE,
      aggregates: hostAggregates.map(({ id, name }) => ({ id, name })),
      failedBuilds: h.failedBuilds,
      instances: placed
        .filter((i) => i.hostId === h.id)
        .map((i) => ({
          id: i.id,
          name: i.name,
          projectName: i.projectName,
          status: displayStatus(i.vmState as VmState, i.taskState as TaskState | null),
        })),
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
