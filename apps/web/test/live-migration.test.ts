import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { eq, isNotNull } from "@nimbus/db/orm";
import {
  addUser,
  PERSONA_PASSWORD,
  signedInClient,
  startAgent,
  startStack,
  TRPCClientError,
  waitFor,
  type AgentProcess,
  type Stack,
} from "./harness";
import { assertInvariants } from "./invariants";
import { openstackCli } from "./openstack/cli";

/**
 * Live migration (Nova's os-migrateLive) on real PostgreSQL with two real agent processes on
 * libvirt's test driver, whose guests are simulated (the destination defines the guest that
 * "arrives", the source removes its own): the steps, the allocations, the refusals, a
 * destination that never answers, delete during a live migration, and two actions at once.
 * The real guest's live migration between two qemu hosts is ./live-migration-guest.test.ts.
 */
describe("live migration (simulated hosts)", () => {
  let stack: Stack;
  const agents = new Map<string, AgentProcess>();
  let api: Awaited<ReturnType<typeof signedInClient>>;
  const nodeDir = mkdtempSync(path.join(tmpdir(), "nimbus-live-nodes-"));

  function boot(hostname: string): AgentProcess {
    const file = path.join(nodeDir, `${hostname}-${Date.now()}.xml`);
    writeFileSync(
      file,
      "<node><cpu><mhz>2400</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>16</cores><threads>1</threads></cpu>" +
        `<memory>${16 * 1024 * 1024}</memory></node>`,
    );
    const agent = startAgent(stack.server.url, { hostname, env: { NIMBUS_POWER_SYNC_SECONDS: "1", NIMBUS_LIBVIRT_URI: `test://${file}` } });
    agents.set(hostname, agent);
    return agent;
  }

  async function hostUp(hostname: string) {
    return waitFor(
      `host ${hostname} to be up`,
      async () => (await api.client.hosts.list.query()).find((h) => h.hostname === hostname && h.state === "up"),
      60_000,
    );
  }

  beforeAll(async () => {
    stack = await startStack("postgres", {
      // Each step has this long once acknowledged (the machine may be busy); a frozen host is down sooner.
      NIMBUS_ACTION_TIMEOUT_SECONDS: "20",
      NIMBUS_SHUTDOWN_TIMEOUT_SECONDS: "1",
      NIMBUS_AGENT_ACK_TIMEOUT_MS: "1000",
      NIMBUS_HOST_RECONNECT_GRACE_SECONDS: "1",
    });
    api = await signedInClient(stack.server.url);
    boot("live-a");
    boot("live-b");
    await hostUp("live-a");
    await hostUp("live-b");
  }, 120_000);

  afterAll(async () => {
    for (const agent of agents.values()) await agent.stop("SIGKILL");
    await stack?.stop();
    rmSync(nodeDir, { recursive: true, force: true });
  });

  const db = () => stack.server.database.db;

  /** Launches an m1.tiny on `hostname` (the other host disabled meanwhile). */
  async function launch(name: string, hostname: string): Promise<string> {
    await hostUp(hostname);
    const others = (await api.client.hosts.list.query()).filter((h) => h.hostname !== hostname).map((h) => h.id);
    for (const id of others) await db().update(schema.computeHosts).set({ enabled: false }).where(eq(schema.computeHosts.id, id));
    try {
      const [images, networks, flavors] = await Promise.all([
        api.client.catalog.images.query(),
        api.client.catalog.networks.query(),
        api.client.catalog.flavors.query(),
      ]);
      const { instanceIds } = await api.client.instances.launch.mutate({
        name,
        count: 1,
        imageId: images[0]!.id,
        flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
        networkId: networks[0]!.id,
      });
      await settled(instanceIds[0]!, "ACTIVE");
      return instanceIds[0]!;
    } finally {
      for (const id of others) await db().update(schema.computeHosts).set({ enabled: true }).where(eq(schema.computeHosts.id, id));
    }
  }

  async function settled(id: string, status: string, timeoutMs = 40_000) {
    return waitFor(
      `instance ${id} to be ${status} with no task`,
      async () => {
        const { instance } = await api.client.instances.get.query({ id });
        return instance.status === status && instance.taskState === null ? instance : null;
      },
      timeoutMs,
    );
  }

  async function refusal(call: Promise<unknown>, code: string): Promise<string> {
    const error = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error, "the call should have been refused").toBeInstanceOf(TRPCClientError);
    expect((error as { data?: { code?: string } }).data?.code).toBe(code);
    return (error as Error).message;
  }

  async function usage(hostname: string) {
    const host = (await api.client.hosts.list.query()).find((h) => h.hostname === hostname)!;
    return { vcpus: host.vcpus.used, memoryMb: host.memoryMb.used };
  }

  async function migrationOf(instanceId: string) {
    const rows = await db().select().from(schema.migrations).where(eq(schema.migrations.instanceId, instanceId));
    return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).at(-1)!;
  }

  async function remove(id: string) {
    await api.client.instances.delete.mutate({ id });
    await waitFor(
      "the instance to be deleted",
      async () => (await db().select().from(schema.instances).where(eq(schema.instances.id, id)))[0]?.vmState === "deleted",
    );
  }

  it("moves a running instance to the host the scheduler picks: ACTIVE there, the source's allocation freed, every step in the action log", async () => {
    const id = await launch("live-1", "live-a");
    await hostUp("live-b");
    const a = await usage("live-a");
    const b = await usage("live-b");
    const started = await api.client.instances.liveMigrate.mutate({ instanceId: id });
    expect(started.taskState).toBe("migrating");
    // While it runs, the source keeps the migration's allocation and the destination holds the instance's.
    const during = await api.client.instances.get.query({ id });
    if (during.instance.taskState === "migrating") {
      expect(during.instance.status).toBe("MIGRATING");
      expect(await usage("live-b")).toEqual({ vcpus: b.vcpus + 1, memoryMb: b.memoryMb + 512 });
    }
    const moved = await settled(id, "ACTIVE");
    expect(moved.fault).toBeNull();
    expect(moved).toMatchObject({ hostname: "live-b", powerState: "running", flavorName: "m1.tiny", progress: 100 });
    expect(await usage("live-a")).toEqual({ vcpus: a.vcpus - 1, memoryMb: a.memoryMb - 512 });
    expect(await usage("live-b")).toEqual({ vcpus: b.vcpus + 1, memoryMb: b.memoryMb + 512 });
    expect((await api.client.migrations.list.query({ instanceId: id }))[0]).toMatchObject({
      instanceName: "live-1",
      migrationType: "live-migration",
      status: "completed",
      sourceHost: "live-a",
      destHost: "live-b",
    });
    const { actions } = await api.client.instances.get.query({ id });
    expect(actions.find((x) => x.action === "live-migration")!.events.map((e) => [e.event, e.result, e.host])).toEqual([
      ["compute_pre_live_migration", "Success", "live-b"],
      ["compute_live_migration", "Success", "live-a"],
      ["compute_post_live_migration_at_destination", "Success", "live-b"],
    ]);
    // The guest is gone from the source, and runs on the destination (its agent's power reports are the instance's).
    await waitFor("the guest's leftovers removed from live-a", () =>
      agents.get("live-a")!.output().includes(`"instanceId":"${id}","msg":"guest removed from this host after a move"`),
    );
    await assertInvariants(db());
    expect(await db().select().from(schema.allocations).where(isNotNull(schema.allocations.migrationId))).toEqual([]);

    // Back, named: a PAUSED guest stays paused.
    await api.client.instances.pause.mutate({ id });
    await settled(id, "PAUSED");
    await api.client.instances.liveMigrate.mutate({ instanceId: id, host: "live-a", blockMigration: true });
    const back = await settled(id, "PAUSED");
    expect(back).toMatchObject({ hostname: "live-a", powerState: "paused" });
    await assertInvariants(db());
    await remove(id);
  }, 90_000);

  it("a destination that never answers: the instance stays ACTIVE on its source with a fault, nothing leaked", async () => {
    const id = await launch("stay-1", "live-a");
    await hostUp("live-b");
    const a = await usage("live-a");
    const b = await usage("live-b");
    const dest = agents.get("live-b")!;
    dest.child.kill("SIGSTOP");
    try {
      await api.client.instances.liveMigrate.mutate({ instanceId: id, host: "live-b" });
      const back = await waitFor(
        "the live migration to fail back",
        async () => {
          const { instance } = await api.client.instances.get.query({ id });
          return instance.taskState === null ? instance : null;
        },
        30_000,
      );
      expect(back).toMatchObject({ status: "ACTIVE", hostname: "live-a", powerState: "running" });
      expect(["ActionTimeout", "HostDown"]).toContain(back.fault?.code);
      expect(back.fault?.message).toMatch(/^Live migration failed: /);
      expect(await usage("live-a")).toEqual(a);
      expect(await usage("live-b")).toEqual(b);
      expect((await migrationOf(id)).status).toBe("error");
      const { actions } = await api.client.instances.get.query({ id });
      const action = actions.find((x) => x.action === "live-migration")!;
      expect(action.events.map((e) => [e.event, e.result])).toEqual([["compute_pre_live_migration", "Error"]]);
      expect(action.message).toMatch(/^Live migration failed: /);
      await assertInvariants(db());
    } finally {
      dest.child.kill("SIGCONT");
    }
    await remove(id);
  }, 60_000);

  it("a named host that is down is refused; delete during a live migration wins and frees both sides", async () => {
    const id = await launch("gone-1", "live-a");
    // Up again after the frozen destination of the test before (it may still be marked down).
    await hostUp("live-b");
    const a = await usage("live-a");
    const b = await usage("live-b");
    const dest = agents.get("live-b")!;
    dest.child.kill("SIGSTOP");
    try {
      await api.client.instances.liveMigrate.mutate({ instanceId: id, host: "live-b" });
      expect((await api.client.instances.get.query({ id })).instance.taskState).toBe("migrating");
      await api.client.instances.delete.mutate({ id });
      await waitFor(
        "the instance to be deleted",
        async () => (await db().select().from(schema.instances).where(eq(schema.instances.id, id)))[0]?.vmState === "deleted",
      );
      expect(await db().select().from(schema.allocations).where(eq(schema.allocations.instanceId, id))).toEqual([]);
      expect(await usage("live-a")).toEqual({ vcpus: a.vcpus - 1, memoryMb: a.memoryMb - 512 });
      expect(await usage("live-b")).toEqual(b);
      expect((await migrationOf(id)).status).toBe("error");
      await assertInvariants(db());

      await waitFor(
        "live-b to be down",
        async () => (await api.client.hosts.list.query()).find((h) => h.hostname === "live-b" && h.state === "down"),
        30_000,
      );
      const other = await launch("gone-2", "live-a");
      expect(await refusal(api.client.instances.liveMigrate.mutate({ instanceId: other, host: "live-b", force: true }), "CONFLICT")).toBe(
        "Host live-b is down: it cannot take instance gone-2.",
      );
      expect(await refusal(api.client.instances.liveMigrate.mutate({ instanceId: other, host: "live-b" }), "CONFLICT")).toMatch(
        /No host can take instance gone-2/,
      );
      await remove(other);
    } finally {
      dest.child.kill("SIGCONT");
    }
    await hostUp("live-b");
    await assertInvariants(db());
  }, 90_000);

  it("refuses in plain words: a SHUTOFF instance, its own host, a host that does not exist, a member; one of two actions at once wins", async () => {
    await addUser(stack, { name: "live-member", project: "demo", role: "member" });
    const member = await signedInClient(stack.server.url, "live-member", PERSONA_PASSWORD);
    const id = await launch("still-1", "live-a");
    expect(await refusal(member.client.instances.liveMigrate.mutate({ instanceId: id }), "FORBIDDEN")).toBeTruthy();
    expect(await refusal(api.client.instances.liveMigrate.mutate({ instanceId: id, host: "live-a" }), "CONFLICT")).toMatch(
      /No host can take instance still-1 for this live-migrate .*the instance's own host/,
    );
    expect(await refusal(api.client.instances.liveMigrate.mutate({ instanceId: id, host: "live-a", force: true }), "CONFLICT")).toBe(
      "Host live-a is instance still-1's own host: name another.",
    );
    expect(await refusal(api.client.instances.liveMigrate.mutate({ instanceId: id, host: "nowhere", force: true }), "BAD_REQUEST")).toBe(
      "There is no compute host named nowhere.",
    );
    const results = await Promise.allSettled([
      api.client.instances.liveMigrate.mutate({ instanceId: id }),
      api.client.instances.stop.mutate({ id }),
      api.client.instances.migrate.mutate({ id }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect((r.reason as { data?: { code?: string } }).data?.code).toBe("CONFLICT");
    await waitFor("the winner to finish", async () => (await api.client.instances.get.query({ id })).instance.taskState === null);
    const { instance } = await api.client.instances.get.query({ id });
    if (instance.status === "VERIFY_RESIZE") {
      await api.client.instances.confirmResize.mutate({ id });
      await settled(id, "ACTIVE");
    }
    if ((await api.client.instances.get.query({ id })).instance.status !== "SHUTOFF") {
      await api.client.instances.stop.mutate({ id });
      await settled(id, "SHUTOFF");
    }
    expect(await refusal(api.client.instances.liveMigrate.mutate({ instanceId: id }), "CONFLICT")).toBe(
      "Instance still-1 is SHUTOFF: only an ACTIVE or PAUSED instance can be live-migrated (a SHUTOFF one can be migrated cold).",
    );
    await assertInvariants(db());
    await remove(id);
  }, 90_000);

  it("the stock openstack CLI live-migrates and waits (os-migrateLive at 2.1), and gets Nova's 409 for a SHUTOFF server", async () => {
    const cli = openstackCli(stack.server.url);
    const id = await launch("cli-1", "live-a");
    await hostUp("live-b");
    const result = await cli.run(["server", "migrate", "--live-migration", "--block-migration", "--wait", id], { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Complete");
    const moved = await settled(id, "ACTIVE");
    expect(moved.hostname).toBe("live-b");
    expect((await api.client.migrations.list.query({ instanceId: id }))[0]).toMatchObject({ migrationType: "live-migration", status: "completed" });
    await api.client.instances.stop.mutate({ id });
    await settled(id, "SHUTOFF");
    const refused = await cli.run(["server", "migrate", "--live-migration", id]);
    expect(refused.code).not.toBe(0);
    expect(`${refused.stderr}${refused.stdout}`).toMatch(/HTTP 409/);
    await assertInvariants(db());
    await remove(id);
  }, 180_000);
});
