import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { and, eq, isNotNull } from "@nimbus/db/orm";
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

/**
 * Resize (confirm, revert, auto-confirm, quota), cold migrate and evacuate on real PostgreSQL
 * with two real agent processes on libvirt's test driver; delete during a move and an agent
 * frozen mid-move. Each host is a test driver opened from its own node file (16 vCPUs, 16 GiB),
 * so a host that comes back can come back with the domain it had (the evacuation's cleanup).
 */
describe("instance moves: resize, migrate, evacuate", () => {
  let stack: Stack;
  const agents = new Map<string, AgentProcess>();
  let api: Awaited<ReturnType<typeof signedInClient>>;
  const nodeDir = mkdtempSync(path.join(tmpdir(), "nimbus-move-nodes-"));
  const agentEnv = { NIMBUS_POWER_SYNC_SECONDS: "1" };

  /** A test-driver node file: 16 vCPUs, 16 GiB, and the given domains already defined and running. */
  function nodeUri(hostname: string, domains: string[] = []): string {
    const file = path.join(nodeDir, `${hostname}-${Date.now()}.xml`);
    const domainXml = domains.map(
      (id) =>
        `<domain type="test"><name>nimbus-${id}</name><uuid>${id}</uuid><memory>524288</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`,
    );
    writeFileSync(
      file,
      [
        "<node>",
        "<cpu><mhz>2400</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>16</cores><threads>1</threads></cpu>",
        `<memory>${16 * 1024 * 1024}</memory>`,
        ...domainXml,
        "</node>",
      ].join("\n"),
    );
    return `test://${file}`;
  }

  function boot(hostname: string, domains: string[] = []): AgentProcess {
    const agent = startAgent(stack.server.url, { hostname, env: { ...agentEnv, NIMBUS_LIBVIRT_URI: nodeUri(hostname, domains) } });
    agents.set(hostname, agent);
    return agent;
  }

  async function hostUp(hostname: string) {
    return waitFor(`host ${hostname} to be up`, async () =>
      (await api.client.hosts.list.query()).find((h) => h.hostname === hostname && h.state === "up"),
    );
  }

  beforeAll(async () => {
    stack = await startStack("postgres", {
      NIMBUS_ACTION_TIMEOUT_SECONDS: "5",
      NIMBUS_SHUTDOWN_TIMEOUT_SECONDS: "1",
      NIMBUS_AGENT_ACK_TIMEOUT_MS: "1000",
      NIMBUS_HOST_RECONNECT_GRACE_SECONDS: "1",
      // The auto-confirm test moves a migration's finish back past the window rather than wait.
      NIMBUS_RESIZE_CONFIRM_WINDOW_SECONDS: "3600",
    });
    api = await signedInClient(stack.server.url);
    boot("move-a");
    boot("move-b");
    await hostUp("move-a");
    await hostUp("move-b");
  }, 60_000);

  afterAll(async () => {
    for (const agent of agents.values()) await agent.stop("SIGKILL");
    await stack?.stop();
    rmSync(nodeDir, { recursive: true, force: true });
  });

  const db = () => stack.server.database.db;

  async function flavorId(name: string) {
    return (await api.client.catalog.flavors.query()).find((f) => f.name === name)!.id;
  }

  /** Runs `call` while every host but `hostname` is disabled (the scheduler can only pick that one). */
  async function onlyOn<T>(hostname: string, call: () => Promise<T>): Promise<T> {
    const hosts = await api.client.hosts.list.query();
    const others = hosts.filter((h) => h.hostname !== hostname).map((h) => h.id);
    for (const id of others) await db().update(schema.computeHosts).set({ enabled: false }).where(eq(schema.computeHosts.id, id));
    try {
      return await call();
    } finally {
      for (const id of others) await db().update(schema.computeHosts).set({ enabled: true }).where(eq(schema.computeHosts.id, id));
    }
  }

  /** Launches an m1.tiny on `hostname`. */
  async function launch(name: string, hostname: string, client = api.client): Promise<string> {
    // A host frozen by an earlier test may still be finding its way back.
    await hostUp(hostname);
    return onlyOn(hostname, async () => {
      const [images, networks] = await Promise.all([client.catalog.images.query(), client.catalog.networks.query()]);
      const { instanceIds } = await client.instances.launch.mutate({
        name,
        count: 1,
        imageId: images[0]!.id,
        flavorId: await flavorId("m1.tiny"),
        networkId: networks[0]!.id,
      });
      await settled(instanceIds[0]!, "ACTIVE", client);
      return instanceIds[0]!;
    });
  }

  /** A resize the scheduler can only place on the instance's own host. */
  async function resizeInPlace(id: string, hostname: string, flavor: string) {
    const fid = await flavorId(flavor);
    return onlyOn(hostname, () => api.client.instances.resize.mutate({ id, flavorId: fid }));
  }

  async function settled(id: string, status: string, client = api.client, timeoutMs = 20_000) {
    return waitFor(
      `instance ${id} to be ${status} with no task`,
      async () => {
        const { instance } = await client.instances.get.query({ id });
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

  async function allocationsOf(instanceId: string) {
    return db().select().from(schema.allocations).where(eq(schema.allocations.instanceId, instanceId));
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

  it("resizes to a bigger flavor on its own host, holds both allocations in VERIFY_RESIZE, and frees the old one on confirm", async () => {
    const id = await launch("grow-1", "move-a");
    const before = await usage("move-a");
    const started = await resizeInPlace(id, "move-a", "m1.small");
    expect(started.taskState).toBe("resize_prep");
    expect(await refusal(api.client.instances.stop.mutate({ id }), "CONFLICT")).toMatch(/^Instance grow-1 is busy \(/);

    const verify = await settled(id, "VERIFY_RESIZE");
    expect(verify.vmState).toBe("resized");
    expect(verify.hostname).toBe("move-a");
    expect(verify.flavorName).toBe("m1.small");
    // Both flavors are held on the host until the user decides: m1.tiny by the migration, m1.small by the instance.
    expect(await usage("move-a")).toEqual({ vcpus: before.vcpus + 1, memoryMb: before.memoryMb + 2048 });
    const held = await allocationsOf(id);
    expect(held.filter((a) => a.migrationId !== null).map((a) => [a.resourceClass, a.used])).toContainEqual(["MEMORY_MB", 512]);
    expect(held.filter((a) => a.migrationId === null).map((a) => [a.resourceClass, a.used])).toContainEqual(["MEMORY_MB", 2048]);
    expect(await refusal(api.client.instances.reboot.mutate({ id, type: "HARD" }), "CONFLICT")).toBe(
      "Instance grow-1 is waiting for its resize or migration to be confirmed or reverted (VERIFY_RESIZE): confirm or revert it first.",
    );
    expect(await refusal(api.client.instances.resize.mutate({ id, flavorId: await flavorId("m1.medium") }), "CONFLICT")).toMatch(/VERIFY_RESIZE/);

    await api.client.instances.confirmResize.mutate({ id });
    const confirmed = await settled(id, "ACTIVE");
    expect(confirmed.flavorName).toBe("m1.small");
    expect(await usage("move-a")).toEqual({ vcpus: before.vcpus, memoryMb: before.memoryMb - 512 + 2048 });
    expect((await migrationOf(id)).status).toBe("confirmed");
    expect(await refusal(api.client.instances.confirmResize.mutate({ id }), "CONFLICT")).toBe(
      "Instance grow-1 is not waiting for a resize or migration to be confirmed or reverted (ACTIVE): nothing to confirm.",
    );

    // What `openstack server event list` shows: the resize and its confirm, each with its events.
    const { actions } = await api.client.instances.get.query({ id });
    const resize = actions.find((a) => a.action === "resize")!;
    expect(resize.events.map((e) => [e.event, e.result])).toEqual([
      ["compute_resize_instance", "Success"],
      ["compute_finish_resize", "Success"],
    ]);
    expect(actions.find((a) => a.action === "confirmResize")!.events.map((e) => [e.event, e.result])).toEqual([
      ["compute_confirm_resize", "Success"],
    ]);
    await assertInvariants(db());
    await remove(id);
  }, 60_000);

  it("refuses a resize to the same flavor, to a smaller disk, and one the project's quota cannot take, in plain words", async () => {
    const id = await launch("grow-2", "move-a");
    expect(await refusal(api.client.instances.resize.mutate({ id, flavorId: await flavorId("m1.tiny") }), "BAD_REQUEST")).toBe(
      "Instance grow-2 already has flavor m1.tiny: choose another flavor to resize to.",
    );
    await resizeInPlace(id, "move-a", "m1.small");
    await settled(id, "VERIFY_RESIZE");
    await api.client.instances.confirmResize.mutate({ id });
    await settled(id, "ACTIVE");
    // m1.small has 20 GB of disk; m1.tiny's 1 GB would shrink it.
    expect(await refusal(api.client.instances.resize.mutate({ id, flavorId: await flavorId("m1.tiny") }), "BAD_REQUEST")).toBe(
      "Flavor m1.tiny has a 1 GB disk, smaller than instance grow-2's 20 GB: a disk cannot shrink.",
    );

    const projectId = (await db().select().from(schema.instances).where(eq(schema.instances.id, id)))[0]!.projectId;
    const { used } = await api.client.quotas.get.query({ projectId });
    const cores = { inUse: used.cores ?? 0 };
    await api.client.quotas.set.mutate({ projectId, limits: { cores: cores.inUse } });
    try {
      const message = await refusal(api.client.instances.resize.mutate({ id, flavorId: await flavorId("m1.medium") }), "FORBIDDEN");
      expect(message).toBe(`Quota exceeded for vCPUs: requested 1, already used ${cores.inUse} of ${cores.inUse}.`);
      // Nothing was begun: no task, no migration, the allocation as it was.
      const after = await settled(id, "ACTIVE");
      expect(after.flavorName).toBe("m1.small");
      expect((await migrationOf(id)).status).toBe("confirmed");
    } finally {
      await api.client.quotas.set.mutate({ projectId, limits: { cores: -1 } });
    }
    await assertInvariants(db());
    await remove(id);
  }, 60_000);

  it("reverts a resize: the new flavor's allocation freed, the old flavor back, the guest running", async () => {
    const id = await launch("back-1", "move-a");
    const before = await usage("move-a");
    await resizeInPlace(id, "move-a", "m1.small");
    await settled(id, "VERIFY_RESIZE");
    const started = await api.client.instances.revertResize.mutate({ id });
    expect(started.taskState).toBe("resize_reverting");
    const reverted = await settled(id, "ACTIVE");
    expect(reverted.flavorName).toBe("m1.tiny");
    expect(reverted.powerState).toBe("running");
    expect(await usage("move-a")).toEqual(before);
    expect((await migrationOf(id)).status).toBe("reverted");
    const { actions } = await api.client.instances.get.query({ id });
    expect(actions.find((a) => a.action === "revertResize")!.events.map((e) => e.event)).toEqual(["compute_revert_resize"]);
    await assertInvariants(db());
    await remove(id);
  }, 60_000);

  it("confirms a resize left in VERIFY_RESIZE past the confirm window by itself (no user in the action log)", async () => {
    const id = await launch("auto-1", "move-a");
    await api.client.instances.resize.mutate({ id, flavorId: await flavorId("m1.small") });
    await settled(id, "VERIFY_RESIZE");
    const migration = await migrationOf(id);
    await db()
      .update(schema.migrations)
      .set({ finishedAt: new Date(Date.now() - 3_601_000) })
      .where(eq(schema.migrations.id, migration.id));
    await settled(id, "ACTIVE");
    expect((await migrationOf(id)).status).toBe("confirmed");
    const rows = await db()
      .select()
      .from(schema.instanceActions)
      .where(and(eq(schema.instanceActions.instanceId, id), eq(schema.instanceActions.action, "confirmResize")));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.userId).toBeNull();
    expect(await allocationsOf(id).then((a) => a.filter((x) => x.migrationId !== null))).toEqual([]);
    await assertInvariants(db());
    await remove(id);
  }, 60_000);

  it("migrates to the other host (cloud admins only), holds the source until confirm, and removes the old guest there on confirm", async () => {
    await addUser(stack, { name: "mover", project: "demo", role: "member" });
    const member = await signedInClient(stack.server.url, "mover", PERSONA_PASSWORD);
    const id = await launch("roam-1", "move-a");
    await hostUp("move-b");
    expect(await refusal(member.client.instances.migrate.mutate({ id }), "FORBIDDEN")).toBeTruthy();
    // A member may resize their project's instance, not migrate it.
    const a = await usage("move-a");
    const b = await usage("move-b");
    expect((await api.client.instances.migrate.mutate({ id })).taskState).toBe("resize_prep");
    const verify = await settled(id, "VERIFY_RESIZE");
    expect(verify.hostname).toBe("move-b");
    expect(verify.flavorName).toBe("m1.tiny");
    // The source keeps the old allocation (the migration's) until confirm; the destination has the instance's.
    expect(await usage("move-a")).toEqual(a);
    expect(await usage("move-b")).toEqual({ vcpus: b.vcpus + 1, memoryMb: b.memoryMb + 512 });
    expect(await member.client.instances.confirmResize.mutate({ id })).toMatchObject({ taskState: "resize_confirming" });
    const active = await settled(id, "ACTIVE");
    expect(active.hostname).toBe("move-b");
    expect(await usage("move-a")).toEqual({ vcpus: a.vcpus - 1, memoryMb: a.memoryMb - 512 });
    // What `openstack server migration list` shows (cloud admins only).
    expect((await api.client.migrations.list.query({ instanceId: id }))[0]).toMatchObject({
      instanceName: "roam-1",
      migrationType: "migration",
      status: "confirmed",
      sourceHost: "move-a",
      destHost: "move-b",
    });
    expect(await refusal(member.client.migrations.list.query({}), "FORBIDDEN")).toBeTruthy();
    await waitFor("the old guest to be removed from move-a", () =>
      agents.get("move-a")!.output().includes(`"instanceId":"${id}","msg":"guest removed from this host after a move"`),
    );
    const { actions } = await api.client.instances.get.query({ id });
    expect(actions.find((x) => x.action === "migrate")!.events.map((e) => [e.event, e.host])).toEqual([
      ["compute_resize_instance", "move-a"],
      ["compute_finish_resize", "move-b"],
    ]);
    // Named host: it must pass the filters (its own host does not).
    expect(await refusal(api.client.instances.migrate.mutate({ id, host: "move-b" }), "CONFLICT")).toMatch(/No host can take instance roam-1/);
    await api.client.instances.migrate.mutate({ id, host: "move-a" });
    expect((await settled(id, "VERIFY_RESIZE")).hostname).toBe("move-a");
    await api.client.instances.revertResize.mutate({ id });
    const back = await settled(id, "ACTIVE");
    expect(back.hostname).toBe("move-b");
    expect(back.powerState).toBe("running");
    await assertInvariants(db());
    await remove(id);
    await assertInvariants(db());
  }, 90_000);

  it("two moves at once: one wins, the others are refused with a conflict, and nothing is held twice", async () => {
    const id = await launch("race-1", "move-a");
    const small = await flavorId("m1.small");
    const medium = await flavorId("m1.medium");
    const results = await Promise.allSettled([
      api.client.instances.resize.mutate({ id, flavorId: small }),
      api.client.instances.resize.mutate({ id, flavorId: medium }),
      api.client.instances.migrate.mutate({ id }),
      api.client.instances.stop.mutate({ id }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect((r.reason as { data?: { code?: string } }).data?.code).toBe("CONFLICT");
    }
    await waitFor("the winner to finish", async () => (await api.client.instances.get.query({ id })).instance.taskState === null);
    const { instance } = await api.client.instances.get.query({ id });
    if (instance.status === "VERIFY_RESIZE") {
      expect((await db().select().from(schema.migrations).where(eq(schema.migrations.instanceId, id))).length).toBe(1);
      await api.client.instances.confirmResize.mutate({ id });
      await settled(id, "ACTIVE");
    }
    await assertInvariants(db());
    await remove(id);
  }, 60_000);

  it("policy: a reader cannot resize, another project's member finds no such instance, only cloud admins migrate and evacuate", async () => {
    await addUser(stack, { name: "move-reader", project: "demo", role: "reader" });
    await addUser(stack, { name: "move-stranger", project: "elsewhere", role: "member" });
    const reader = await signedInClient(stack.server.url, "move-reader", PERSONA_PASSWORD);
    const stranger = await signedInClient(stack.server.url, "move-stranger", PERSONA_PASSWORD);
    const id = await launch("guarded-1", "move-a");
    const small = await flavorId("m1.small");
    expect(await refusal(reader.client.instances.resize.mutate({ id, flavorId: small }), "FORBIDDEN")).toBeTruthy();
    expect(await refusal(reader.client.instances.confirmResize.mutate({ id }), "FORBIDDEN")).toBeTruthy();
    expect(await refusal(stranger.client.instances.resize.mutate({ id, flavorId: small }), "NOT_FOUND")).toBe(`Instance ${id} could not be found.`);
    expect(await refusal(stranger.client.instances.revertResize.mutate({ id }), "NOT_FOUND")).toBeTruthy();
    expect(await refusal(stranger.client.instances.evacuate.mutate({ id }), "FORBIDDEN")).toBeTruthy();
    const hostA = (await api.client.hosts.list.query()).find((h) => h.hostname === "move-a")!;
    expect(await refusal(stranger.client.hosts.evacuate.mutate({ hostId: hostA.id }), "FORBIDDEN")).toBeTruthy();
    expect(await refusal(api.client.hosts.evacuate.mutate({ hostId: hostA.id }), "CONFLICT")).toBe(
      "Host move-a is up: only a host that is down can be evacuated.",
    );
    expect((await api.client.instances.get.query({ id })).instance).toMatchObject({ status: "ACTIVE", taskState: null });
    await remove(id);
  }, 60_000);

  it("deletes an instance in the middle of a migration: both allocations freed, both hosts told", async () => {
    const id = await launch("gone-1", "move-a");
    await hostUp("move-b");
    const a = await usage("move-a");
    const b = await usage("move-b");
    const dest = agents.get("move-b")!;
    dest.child.kill("SIGSTOP"); // the destination takes the finish step only later
    try {
      await api.client.instances.migrate.mutate({ id, host: "move-b" });
      await waitFor(
        "the move to wait on the destination",
        async () => (await api.client.instances.get.query({ id })).instance.taskState === "resize_migrated",
      );
      await api.client.instances.delete.mutate({ id });
      await waitFor(
        "the instance to be deleted",
        async () => (await db().select().from(schema.instances).where(eq(schema.instances.id, id)))[0]?.vmState === "deleted",
      );
    } finally {
      dest.child.kill("SIGCONT");
    }
    expect(await allocationsOf(id)).toEqual([]);
    expect(await usage("move-a")).toEqual({ vcpus: a.vcpus - 1, memoryMb: a.memoryMb - 512 });
    expect(await usage("move-b")).toEqual(b);
    expect((await migrationOf(id)).status).toBe("error");
    await assertInvariants(db());
  }, 60_000);

  it("a destination that never finishes: the migration rolls back, the guest running again on its source, with a fault", async () => {
    const id = await launch("home-1", "move-a");
    await hostUp("move-b");
    const a = await usage("move-a");
    const b = await usage("move-b");
    const dest = agents.get("move-b")!;
    dest.child.kill("SIGSTOP");
    try {
      await api.client.instances.migrate.mutate({ id, host: "move-b" });
      const back = await waitFor(
        "the migration to roll back",
        async () => {
          const { instance } = await api.client.instances.get.query({ id });
          return instance.taskState === null ? instance : null;
        },
        30_000,
      );
      expect(back).toMatchObject({ status: "ACTIVE", hostname: "move-a", powerState: "running", flavorName: "m1.tiny" });
      expect(["ActionTimeout", "HostDown"]).toContain(back.fault?.code);
      expect(await usage("move-a")).toEqual(a);
      expect(await usage("move-b")).toEqual(b);
      expect((await migrationOf(id)).status).toBe("error");
      const { actions } = await api.client.instances.get.query({ id });
      expect(actions.find((x) => x.action === "migrate")!.events.map((e) => [e.event, e.result])).toEqual([
        ["compute_resize_instance", "Success"],
        ["compute_finish_resize", "Error"],
        ["compute_finish_revert_resize", "Success"],
      ]);
      await assertInvariants(db());
    } finally {
      dest.child.kill("SIGCONT");
    }
    await remove(id);
  }, 60_000);

  it("an agent killed in the middle of a migration: back on the source, running, with a fault; the host comes back empty", async () => {
    const id = await launch("killed-1", "move-a");
    await hostUp("move-b");
    const a = await usage("move-a");
    const dest = agents.get("move-b")!;
    dest.child.kill("SIGSTOP");
    try {
      await api.client.instances.migrate.mutate({ id, host: "move-b" });
      await waitFor(
        "the move to wait on the destination",
        async () => (await api.client.instances.get.query({ id })).instance.taskState === "resize_migrated",
      );
    } finally {
      await dest.stop("SIGKILL");
    }
    const back = await waitFor(
      "the migration to roll back",
      async () => {
        const { instance } = await api.client.instances.get.query({ id });
        return instance.taskState === null ? instance : null;
      },
      30_000,
    );
    expect(back).toMatchObject({ status: "ACTIVE", hostname: "move-a", powerState: "running", flavorName: "m1.tiny" });
    expect(["ActionTimeout", "HostDown"]).toContain(back.fault?.code);
    expect(await usage("move-a")).toEqual(a);
    await assertInvariants(db());
    boot("move-b");
    await hostUp("move-b");
    expect((await api.client.instances.get.query({ id })).instance).toMatchObject({ status: "ACTIVE", hostname: "move-a", taskState: null });
    await assertInvariants(db());
    await remove(id);
  }, 60_000);

  it("an agent frozen during a resize: the resize fails back to the instance as it was, with a fault, nothing leaked", async () => {
    const id = await launch("stuck-1", "move-b");
    const before = await usage("move-b");
    const agent = agents.get("move-b")!;
    agent.child.kill("SIGSTOP");
    try {
      await resizeInPlace(id, "move-b", "m1.small");
      const failed = await waitFor(
        "the resize to fail back",
        async () => {
          const { instance } = await api.client.instances.get.query({ id });
          return instance.taskState === null ? instance : null;
        },
        20_000,
      );
      expect(["ActionTimeout", "HostDown"]).toContain(failed.fault?.code);
      expect(failed.status).toBe("ACTIVE");
      expect(failed.flavorName).toBe("m1.tiny");
      expect(await usage("move-b")).toEqual(before);
      expect((await migrationOf(id)).status).toBe("error");
      await assertInvariants(db());
    } finally {
      agent.child.kill("SIGCONT");
    }
    await settled(id, "ACTIVE");
    await remove(id);
  }, 60_000);

  it("evacuates the instances of a host that is down, and destroys the leftover domain when the host comes back", async () => {
    const id = await launch("rescue-1", "move-a");
    expect(await refusal(api.client.instances.evacuate.mutate({ id }), "CONFLICT")).toBe(
      "Host move-a is up: only the instances of a host that is down can be evacuated (migrate instance rescue-1 instead).",
    );
    const ports = await db().select().from(schema.ports).where(eq(schema.ports.instanceId, id));
    const a = agents.get("move-a")!;
    await a.stop("SIGKILL");
    await waitFor(
      "move-a to be down",
      async () => (await api.client.hosts.list.query()).find((h) => h.hostname === "move-a" && h.state === "down"),
      30_000,
    );
    const hostA = (await api.client.hosts.list.query()).find((h) => h.hostname === "move-a")!;
    const result = await api.client.hosts.evacuate.mutate({ hostId: hostA.id });
    expect(result).toMatchObject({ hostname: "move-a", refused: [] });
    expect(result.started.map((i) => i.name)).toContain("rescue-1");
    const rebuilt = await settled(id, "ACTIVE");
    expect(rebuilt.hostname).toBe("move-b");
    // Same ports, same addresses.
    const after = await db().select().from(schema.ports).where(eq(schema.ports.instanceId, id));
    expect(after.map((p) => [p.id, p.ipAddress, p.macAddress])).toEqual(ports.map((p) => [p.id, p.ipAddress, p.macAddress]));
    expect((await allocationsOf(id)).every((x) => x.hostId !== hostA.id && x.migrationId === null)).toBe(true);
    const { actions } = await api.client.instances.get.query({ id });
    expect(actions.find((x) => x.action === "evacuate")!.events.map((e) => [e.event, e.result, e.host])).toEqual([
      ["compute_rebuild_instance", "Success", "move-b"],
    ]);
    expect((await migrationOf(id)).status).toBe("done");
    await assertInvariants(db());

    // The host comes back with the domain it had: it is destroyed at once.
    const back = boot("move-a", [id]);
    await hostUp("move-a");
    await waitFor(
      "the evacuated guest to be destroyed on move-a",
      () => back.output().includes(`"instanceId":"${id}","commandId"`) && back.output().includes("instance destroyed"),
    );
    expect((await migrationOf(id)).status).toBe("completed");
    const stillThere = await settled(id, "ACTIVE");
    expect(stillThere.hostname).toBe("move-b");
    await assertInvariants(db());
    expect(await db().select().from(schema.allocations).where(isNotNull(schema.allocations.migrationId))).toEqual([]);
    await remove(id);
  }, 90_000);
});
