import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usageByHost } from "@nimbus/core/placement";
import { schema } from "@nimbus/db";
import type { AppRouter } from "../src/server/trpc/router";
import { signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "./harness";

/**
 * Placement never over-commits, whatever the concurrency: 500 launches at once against two
 * hosts with room for exactly 100 end with 100 ACTIVE and 400 ERROR, each with an explained
 * NoValidHost, and no host's usage above its capacity. Real PostgreSQL, real agents.
 */
describe("placement under concurrency (real PostgreSQL)", () => {
  let stack: Stack;
  let agents: AgentProcess[];

  beforeAll(async () => {
    stack = await startStack("postgres");
    agents = [startAgent(stack.server.url, { hostname: "node-c1" }), startAgent(stack.server.url, { hostname: "node-c2" })];
  });
  afterAll(async () => {
    await Promise.all((agents ?? []).map((a) => a.stop()));
    await stack?.stop();
  });

  it("500 launches at once onto room for 100: 100 ACTIVE, 400 explained NoValidHost, no host over capacity", async () => {
    const admin = await signedInClient(stack.server.url);
    const hosts = await waitFor("both hosts up", async () => {
      const list = await admin.client.hosts.list.query();
      return list.filter((h) => h.state === "up").length === 2 ? list : null;
    });
    // 16 vCPUs x 3.125 = exactly 50 instances of one vCPU per host.
    for (const host of hosts) await admin.client.hosts.update.mutate({ id: host.id, cpuAllocationRatio: 3.125 });
    const { db } = stack.server.database;
    const demo = (await db.query.projects.findFirst({ where: (p, { eq }) => eq(p.name, "demo") }))!;
    await db.insert(schema.quotaLimits).values(["instances", "cores", "ram"].map((resource) => ({ projectId: demo.id, resource, hardLimit: -1 })));
    const [flavor] = await db.insert(schema.flavors).values({ name: "c1.nano", vcpus: 1, memoryMb: 16, rootGb: 0 }).returning();
    const images = await admin.client.catalog.images.query();
    // Room for every launch's address: the seeded /24 holds 253.
    const network = await admin.client.networks.create.mutate({ name: "wide", subnet: { name: "wide-v4", cidr: "10.64.0.0/20" } });

    // One HTTP request per launch, all at once, as 500 scripts would.
    const client = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${stack.server.url}/api/trpc`, transformer: superjson, headers: { cookie: admin.cookie()! } })],
    });
    const launches = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        client.instances.launch.mutate({ name: `c-${i}`, count: 1, imageId: images[0]!.id, flavorId: flavor!.id, networkId: network.id }),
      ),
    );
    expect(launches).toHaveLength(500);

    const settled = await waitFor(
      "every instance to settle",
      async () => {
        const list = await admin.client.instances.list.query();
        return list.every((i) => i.status === "ACTIVE" || i.status === "ERROR") ? list : null;
      },
      120_000,
    );
    const active = settled.filter((i) => i.status === "ACTIVE");
    const failed = settled.filter((i) => i.status === "ERROR");
    expect(active).toHaveLength(100);
    expect(failed).toHaveLength(400);
    for (const instance of failed) {
      expect(instance.fault?.message).toMatch(
        /^No valid host was found\. 2 hosts considered: 2 lacked vCPUs \(needed 1 vCPU, most free 0 vCPUs\)\.$/,
      );
    }
    const after = await admin.client.hosts.list.query();
    const allocated = await usageByHost(db);
    for (const host of after) {
      expect(host.vcpus.capacity).toBe(50);
      expect(host.vcpus.used).toBe(50);
      expect(host.instanceCount).toBe(50);
      // The provider's usage counters agree with the allocations they summarise.
      expect(allocated.get(host.id)).toEqual({ VCPU: 50, MEMORY_MB: 50 * 16 });
      expect(host.memoryMb.used).toBe(50 * 16);
    }
  }, 180_000);
});
