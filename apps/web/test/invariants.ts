import { expect } from "vitest";
import { schema, type Database } from "@nimbus/db";
import { ne } from "@nimbus/db/orm";
import { usageByHost } from "@nimbus/core/placement";
import { computeUsage } from "@nimbus/core/quota";

/**
 * What must hold after any fault: every instance ended ACTIVE or ERROR (with a fault), ports
 * are ACTIVE exactly on running instances, no allocation is left for a deleted, failed or
 * moved instance, every host's usage counters equal its allocations, and quota usage equals
 * what exists.
 */
export async function assertInvariants(db: Database): Promise<void> {
  const instances = await db.select().from(schema.instances).where(ne(schema.instances.vmState, "deleted"));
  for (const i of instances) {
    expect(["active", "error"], `instance ${i.name} is ${i.vmState}/${i.taskState}`).toContain(i.vmState);
    expect(i.taskState, `instance ${i.name} still has a task`).toBeNull();
    if (i.vmState === "error") expect(i.fault?.message, `instance ${i.name} has no fault`).toBeTruthy();
  }
  // A port is ACTIVE exactly while its instance runs (the Ports table shows it).
  const live = new Map(instances.map((i) => [i.id, i]));
  for (const port of await db.select().from(schema.ports)) {
    const owner = port.instanceId ? live.get(port.instanceId) : undefined;
    if (owner) expect(port.status, `port ${port.ipAddress} of ${owner.name} (${owner.vmState})`).toBe(owner.vmState === "active" ? "ACTIVE" : "DOWN");
  }
  const allocations = await db.select().from(schema.allocations);
  for (const a of allocations) {
    const owner = live.get(a.instanceId);
    expect(owner, `allocation of a deleted instance on host ${a.hostId}`).toBeDefined();
    expect(owner!.vmState, `allocation held by ${owner!.name} in ERROR`).toBe("active");
    expect(owner!.hostId, `allocation of ${owner!.name} on a host it is not on`).toBe(a.hostId);
  }
  const truth = await usageByHost(db);
  for (const host of await db.select().from(schema.computeHosts)) {
    const sums = truth.get(host.id) ?? {};
    expect({ vcpus: host.vcpusUsed, ram: host.memoryMbUsed, disk: host.diskGbUsed }, `usage counters of ${host.hostname}`).toEqual({
      vcpus: sums.VCPU ?? 0,
      ram: sums.MEMORY_MB ?? 0,
      disk: sums.DISK_GB ?? 0,
    });
  }
  // Quota is counted from the instances themselves, so it frees itself with them.
  for (const projectId of new Set(instances.map((i) => i.projectId))) {
    const mine = instances.filter((i) => i.projectId === projectId);
    expect(await computeUsage(db, projectId)).toEqual({
      instances: mine.length,
      cores: mine.reduce((n, i) => n + i.vcpus, 0),
      ram: mine.reduce((n, i) => n + i.memoryMb, 0),
    });
  }
}
