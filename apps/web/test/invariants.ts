import { expect } from "vitest";
import { schema, type Database } from "@nimbus/db";
import { ne } from "@nimbus/db/orm";
import { usageByHost } from "@nimbus/core/placement";
import { computeUsage } from "@nimbus/core/quota";
import { portStatusFor, SETTLED_VM_STATES, type VmState } from "@nimbus/core/instance-state";

/**
 * What must hold after any fault: every instance ended settled on its host (ACTIVE, SHUTOFF,
 * PAUSED, SUSPENDED) or in ERROR (with a fault), never in a task; ports are ACTIVE exactly
 * while the guest has its NICs (running or paused); no allocation is left for a deleted, failed
 * or moved instance (a stopped one keeps its own, as in Nova); every host's usage counters
 * equal its allocations, and quota usage equals what exists; no action task row is left over.
 */
export async function assertInvariants(db: Database): Promise<void> {
  const instances = await db.select().from(schema.instances).where(ne(schema.instances.vmState, "deleted"));
  for (const i of instances) {
    expect([...SETTLED_VM_STATES, "error"], `instance ${i.name} is ${i.vmState}/${i.taskState}`).toContain(i.vmState);
    expect(i.taskState, `instance ${i.name} still has a task`).toBeNull();
    if (i.vmState === "error") expect(i.fault?.message, `instance ${i.name} has no fault`).toBeTruthy();
  }
  // A port is ACTIVE exactly while its instance runs (the Ports table shows it).
  const live = new Map(instances.map((i) => [i.id, i]));
  for (const port of await db.select().from(schema.ports)) {
    const owner = port.instanceId ? live.get(port.instanceId) : undefined;
    if (owner) expect(port.status, `port ${port.ipAddress} of ${owner.name} (${owner.vmState})`).toBe(portStatusFor(owner.vmState as VmState));
  }
  const allocations = await db.select().from(schema.allocations);
  for (const a of allocations) {
    const owner = live.get(a.instanceId);
    expect(owner, `allocation of a deleted instance on host ${a.hostId}`).toBeDefined();
    // A migration holds the old flavor only while its move waits in VERIFY_RESIZE (every other move is over).
    expect(a.migrationId, `allocation of ${owner!.name} left with its migration`).toBeNull();
    expect(SETTLED_VM_STATES, `allocation held by ${owner!.name} in ${owner!.vmState}`).toContain(owner!.vmState);
    expect(owner!.hostId, `allocation of ${owner!.name} on a host it is not on`).toBe(a.hostId);
  }
  expect(await db.select().from(schema.instanceTasks), "action tasks left over").toEqual([]);
  const truth = await usageByHost(db);
  for (const host of await db.select().from(schema.computeHosts)) {
    const sums = truth.get(host.id) ?? {};
    expect({ vcpus: host.vcpusUsed, ram: host.memoryMbUsed, disk: host.diskGbUsed }, `usage counters of ${host.hostname}`).toEqual({
      vcpus: sums.VCPU ?? 0,
      ram: sums.MEMORY_MB ?? 0,
      disk: sums.DISK_GB ?? 0,
    });
  }
  // The quota counters (quota_usages, kept by the database) equal what exists: they never drift.
  for (const projectId of new Set(instances.map((i) => i.projectId))) {
    const mine = instances.filter((i) => i.projectId === projectId);
    expect(await computeUsage(db, projectId)).toEqual({
      instances: mine.length,
      cores: mine.reduce((n, i) => n + i.vcpus, 0),
      ram: mine.reduce((n, i) => n + i.memoryMb, 0),
    });
  }
}
