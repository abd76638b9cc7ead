/**
 * Live migration of a real guest (qemu, TCG) between two compute hosts on this machine, each a
 * network namespace with its own libvirtd, state directory and agent (./namespace-hosts): the
 * test guest boots on the first, prints a numbered tick every second from its user data, and
 * is live-migrated (block migration: its root overlay copied into the one the destination made
 * on its own cached base) to the second. It must end ACTIVE there, gone from the first host's
 * libvirt, its allocation moved, and its console must show it went on counting without booting
 * again. Root only; run under `flock /tmp/nimbus-real-guest.lock` beside other real-guest runs.
 */
import { loadavg } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { signedInClient, startStack, waitFor, type Stack } from "./harness";
import { namespaceCloud, type NamespaceCloud } from "./namespace-hosts";
import { buildTestGuest, uploadTestGuest } from "./test-guest";

/** Counts on the serial port, once a second, from boot: the count goes on only if the guest never restarts. */
const TICKER = `#!/bin/sh
n=0
while :; do n=$((n + 1)); echo "NIMBUS-TICK $n"; sleep 1; done
`;

const lastTick = (text: string) => Math.max(0, ...[...text.matchAll(/NIMBUS-TICK (\d+)/g)].map((m) => Number(m[1])));

describe("live migration of a real guest between two qemu hosts (namespaces, TCG)", () => {
  let cloud: NamespaceCloud;
  let stack: Stack;
  let api: Awaited<ReturnType<typeof signedInClient>>;
  let instanceId = "";

  beforeAll(async () => {
    buildTestGuest();
    cloud = namespaceCloud(["lm-a", "lm-b"], { guests: "qemu" });
    stack = await startStack("postgres", {
      HOST: cloud.serverAddress,
      NIMBUS_ACTION_TIMEOUT_SECONDS: "300",
      NIMBUS_AGENT_ACK_TIMEOUT_MS: "5000",
    });
    await cloud.start(stack.server.url);
    api = await signedInClient(stack.server.url);
    await waitFor(
      "both hosts up with their tunnel addresses",
      async () => (await api.client.hosts.list.query()).filter((h) => h.state === "up").length === 2,
      120_000,
    );
  }, 300_000);

  afterAll(async () => {
    if (instanceId) {
      await api.client.instances.delete.mutate({ id: instanceId }).catch(() => undefined);
      await waitFor(
        "the guest deleted",
        async () =>
          (await stack.server.database.db.select().from(schema.instances).where(eq(schema.instances.id, instanceId)))[0]?.vmState === "deleted",
        120_000,
      ).catch(() => undefined);
    }
    await cloud?.close();
    await stack?.stop();
  }, 180_000);

  const consoleText = async () => (await api.client.instances.console.query({ id: instanceId })).text;
  const domainsOn = (index: number) =>
    cloud.hosts[index]!.exec("virsh", "-c", cloud.hosts[index]!.libvirtUri, "list", "--all", "--uuid")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
  async function usage(hostname: string) {
    const host = (await api.client.hosts.list.query()).find((h) => h.hostname === hostname)!;
    return { vcpus: host.vcpus.used, memoryMb: host.memoryMb.used };
  }

  it("moves the running guest to the other host: ACTIVE there, gone from its source, still counting, never rebooted", async () => {
    const guest = await uploadTestGuest(stack.server.url, api, "live-guest");
    const [flavors, networks, hosts] = await Promise.all([
      api.client.catalog.flavors.query(),
      api.client.catalog.networks.query(),
      api.client.hosts.list.query(),
    ]);
    // Launched on lm-a: lm-b is disabled meanwhile.
    const hostB = hosts.find((h) => h.hostname === "lm-b")!;
    const db = stack.server.database.db;
    await db.update(schema.computeHosts).set({ enabled: false }).where(eq(schema.computeHosts.id, hostB.id));
    try {
      instanceId = (
        await api.client.instances.launch.mutate({
          name: "roamer",
          count: 1,
          imageId: guest.imageId,
          flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
          networkId: networks.find((n) => n.name === "shared-net")!.id,
          userData: TICKER,
        })
      ).instanceIds[0]!;
      await waitFor("the guest booted on lm-a", async () => (await consoleText()).includes("NIMBUS-GUEST booted"), 300_000);
    } finally {
      await db.update(schema.computeHosts).set({ enabled: true }).where(eq(schema.computeHosts.id, hostB.id));
    }
    expect((await api.client.instances.get.query({ id: instanceId })).instance.hostname).toBe("lm-a");
    await waitFor("the guest counting", async () => lastTick(await consoleText()) >= 3, 120_000);
    const before = await consoleText();
    expect(before.match(/NIMBUS-GUEST booted/g)).toHaveLength(1);
    const a = await usage("lm-a");
    const b = await usage("lm-b");
    expect(domainsOn(0)).toContain(instanceId);

    // The scheduler picks lm-b (the only other host); the disk is copied along ("auto").
    const started = performance.now();
    await api.client.instances.liveMigrate.mutate({ instanceId });
    const progress = new Set<number>();
    const moved = await waitFor(
      "the live migration to finish",
      async () => {
        const { instance } = await api.client.instances.get.query({ id: instanceId });
        if (instance.taskState === "migrating") progress.add(instance.progress);
        return instance.taskState === null ? instance : null;
      },
      300_000,
    );
    const seconds = (performance.now() - started) / 1000;
    // The source agent's own figure: libvirt's migration of memory and disk alone (virsh migrate).
    const line = cloud.hosts[0]!.agentOutput()
      .split("\n")
      .find((l) => l.includes("guest live-migrated away"));
    const libvirtMs = line ? Number(/"ms":(\d+)/.exec(line)?.[1]) : Number.NaN;
    console.log(
      `live migration of the TCG test guest (m1.tiny, block migration): ${seconds.toFixed(1)} s end to end, ` +
        `${(libvirtMs / 1000).toFixed(1)} s in virsh migrate; progress seen: ${[...progress].join(", ")}; load ${loadavg()[0]!.toFixed(1)}`,
    );
    expect(moved.fault).toBeNull();
    expect(moved).toMatchObject({ status: "ACTIVE", hostname: "lm-b", powerState: "running" });

    // The domain left lm-a's libvirt (UNDEFINE_SOURCE) and is defined, persistent, on lm-b's.
    expect(domainsOn(0)).not.toContain(instanceId);
    expect(domainsOn(1)).toContain(instanceId);
    // Allocations moved: lm-a's freed, lm-b's held.
    expect(await usage("lm-a")).toEqual({ vcpus: a.vcpus - 1, memoryMb: a.memoryMb - 512 });
    expect(await usage("lm-b")).toEqual({ vcpus: b.vcpus + 1, memoryMb: b.memoryMb + 512 });
    expect((await api.client.migrations.list.query({ instanceId }))[0]).toMatchObject({
      migrationType: "live-migration",
      status: "completed",
      sourceHost: "lm-a",
      destHost: "lm-b",
    });

    // The guest went on: its console on lm-b shows the count carrying on past where it was, and no boot.
    const beforeTick = lastTick(before);
    await waitFor("the guest counting on lm-b", async () => lastTick(await consoleText()) > beforeTick + 2, 120_000);
    const after = await consoleText();
    expect(after).not.toContain("NIMBUS-GUEST booted");
    expect(after).not.toMatch(/NIMBUS-TICK 1\n/);
  }, 900_000);
});
