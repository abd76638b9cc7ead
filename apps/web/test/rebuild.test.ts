import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instanceChangedSchema } from "@nimbus/core/protocol/browser";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import {
  addUser,
  browserSocket,
  PERSONA_PASSWORD,
  signedInClient,
  startAgent,
  TRPCClientError,
  waitFor,
  type AgentProcess,
  type Stack,
} from "./harness";
import { ACTION_AGENT_ENV, startActionStack } from "./action-stack";
import { assertInvariants } from "./invariants";

/**
 * Nova's rebuild on real PostgreSQL with real agent processes on libvirt's test driver: with a
 * new image (same ports and addresses, new image, name and metadata), of a stopped instance
 * (stays stopped), refused in plain words (building, too big an image, an image the host cannot
 * run), races (with a stop; with a delete, which wins) and an agent killed mid-rebuild (ERROR
 * with a fault, never stuck in a task), with the invariants holding after each.
 */
describe("instance rebuild", () => {
  let stack: Stack;
  let agent: AgentProcess;
  let api: Awaited<ReturnType<typeof signedInClient>>;
  const agentEnv = ACTION_AGENT_ENV;
  let baseImageId: string;
  let otherImageId: string;

  const db = () => stack.server.database.db;

  beforeAll(async () => {
    ({ stack, agent, api } = await startActionStack("rebuild-1"));
    const base = (await api.client.catalog.images.query())[0]!;
    baseImageId = base.id;
    otherImageId = await addImage("rebuild-other", { minDiskGb: 1 });
  });

  afterAll(async () => {
    await agent?.stop("SIGKILL");
    await stack?.stop();
  });

  async function hostUp(hostname: string) {
    return waitFor(`host ${hostname} to be up`, async () =>
      (await api.client.hosts.list.query()).find((h) => h.hostname === hostname && h.state === "up"),
    );
  }

  /**
   * An active public image beside the seeded one, with the seeded image's bits in the image store
   * (the hosts download it into their cache), or with none when `bits` is false.
   */
  async function addImage(name: string, extra: Partial<typeof schema.images.$inferInsert> = {}, { bits = true } = {}): Promise<string> {
    const [base] = await db().select().from(schema.images).where(eq(schema.images.id, baseImageId));
    const [row] = await db()
      .insert(schema.images)
      .values({
        name,
        status: "active",
        visibility: "public",
        diskFormat: base!.diskFormat,
        sizeBytes: base!.sizeBytes,
        virtualSizeBytes: base!.virtualSizeBytes,
        checksumSha256: base!.checksumSha256,
        ...extra,
      })
      .returning();
    const store = path.join(stack.dataDir, "images");
    if (bits) copyFileSync(path.join(store, baseImageId.toLowerCase()), path.join(store, row!.id.toLowerCase()));
    return row!.id;
  }

  async function launch(name: string, client = api.client): Promise<string> {
    const [flavors, networks] = await Promise.all([client.catalog.flavors.query(), client.catalog.networks.query()]);
    const { instanceIds } = await client.instances.launch.mutate({
      name,
      count: 1,
      imageId: baseImageId,
      flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
      networkId: networks[0]!.id,
      metadata: { role: "old" },
    });
    await settled(instanceIds[0]!, "ACTIVE", client);
    return instanceIds[0]!;
  }

  async function settled(id: string, status: string, client = api.client) {
    return waitFor(`instance ${id} to be ${status} with no task`, async () => {
      const { instance } = await client.instances.get.query({ id });
      return instance.status === status && instance.taskState === null ? instance : null;
    });
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

  async function remove(id: string, client = api.client) {
    await client.instances.delete.mutate({ id });
    await waitFor(
      "the instance to be deleted",
      async () => (await db().select().from(schema.instances).where(eq(schema.instances.id, id)))[0]?.vmState === "deleted",
    );
    await assertInvariants(db());
  }

  async function hostVcpusUsed(hostname = "rebuild-1") {
    return (await api.client.hosts.list.query()).find((h) => h.hostname === hostname)!.vcpus.used;
  }

  it("rebuilds an ACTIVE instance from a new image: same ports, MAC and addresses, new image, name and metadata, pushed live", async () => {
    const id = await launch("rb-1");
    const before = await api.client.instances.get.query({ id });
    const used = await hostVcpusUsed();
    const { socket, received } = browserSocket(stack.server.url, api.cookie()!);
    await waitFor("the browser socket to connect", () => socket.connected);

    const started = await api.client.instances.rebuild.mutate({ instanceId: id, imageId: otherImageId, name: "rb-1-new", metadata: { role: "new" } });
    expect(started.taskState).toBe("rebuilding");
    const after = await settled(id, "ACTIVE");
    expect(after.imageId).toBe(otherImageId);
    expect(after.imageName).toBe("rebuild-other");
    expect(after.name).toBe("rb-1-new");
    expect(after.powerState).toBe("running");
    expect(after.fault).toBeNull();
    const detail = await api.client.instances.get.query({ id });
    expect(detail.instance.metadata).toEqual({ role: "new" });
    expect(detail.ports.map((p) => [p.id, p.macAddress, p.ipAddress, p.status])).toEqual(
      before.ports.map((p) => [p.id, p.macAddress, p.ipAddress, "ACTIVE"]),
    );
    expect(detail.instance.hostId).toBe(before.instance.hostId);
    // Same flavor, same host: the allocation is as it was.
    expect(await hostVcpusUsed()).toBe(used);

    // Live: REBUILD with Nova's task states in Nova's order, then ACTIVE.
    const mine = received
      .filter((m) => m.event === "instance.changed")
      .map((m) => instanceChangedSchema.parse(m.payload))
      .filter((c) => c.id === id);
    const order = ["rebuilding", "rebuild_block_device_mapping", "rebuild_spawning"];
    const seen = mine.map((c) => c.taskState).filter((t): t is string => t !== null);
    expect(seen[0]).toBe("rebuilding");
    expect(seen.map((t) => order.indexOf(t))).toEqual([...seen.map((t) => order.indexOf(t))].sort());
    expect(mine.find((c) => c.taskState === "rebuilding")?.status).toBe("REBUILD");
    expect(mine.at(-1)).toMatchObject({ status: "ACTIVE", taskState: null });
    socket.close();

    const rebuild = detail.actions.find((a) => a.action === "rebuild")!;
    expect(rebuild.finishTime).not.toBeNull();
    expect(rebuild.events.map((e) => [e.event, e.result])).toEqual([["compute_rebuild_instance", "Success"]]);
    await assertInvariants(db());
    await remove(id);
  });

  it("rebuilds a SHUTOFF instance and leaves it SHUTOFF (as Nova keeps a stopped instance's power state)", async () => {
    const id = await launch("rb-2");
    await api.client.instances.stop.mutate({ id });
    await settled(id, "SHUTOFF");
    await api.client.instances.rebuild.mutate({ instanceId: id, imageId: otherImageId });
    const after = await settled(id, "SHUTOFF");
    expect(after.imageId).toBe(otherImageId);
    expect(after.powerState).toBe("shutdown");
    const { ports, actions } = await api.client.instances.get.query({ id });
    expect(ports.every((p) => p.status === "DOWN")).toBe(true);
    expect(actions.find((a) => a.action === "rebuild")?.events.at(-1)?.result).toBe("Success");
    await assertInvariants(db());
    // It starts again from its new disk.
    await api.client.instances.start.mutate({ id });
    await settled(id, "ACTIVE");
    await remove(id);
  });

  it("refuses a rebuild while the instance is being built, and one that an image too big or foreign to the host would make, leaving it untouched", async () => {
    agent.child.kill("SIGSTOP"); // the spawn reaches the host but is not run: the instance stays BUILD
    let id: string;
    try {
      const [flavors, networks] = await Promise.all([api.client.catalog.flavors.query(), api.client.catalog.networks.query()]);
      const { instanceIds } = await api.client.instances.launch.mutate({
        name: "rb-3",
        count: 1,
        imageId: baseImageId,
        flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
        networkId: networks[0]!.id,
      });
      id = instanceIds[0]!;
      expect(await refusal(api.client.instances.rebuild.mutate({ instanceId: id, imageId: otherImageId }), "CONFLICT")).toBe(
        "Instance rb-3 is still being built (BUILD): wait until it is ACTIVE.",
      );
    } finally {
      agent.child.kill("SIGCONT");
    }
    await settled(id, "ACTIVE");

    const huge = await addImage("rebuild-huge", { minDiskGb: 100 });
    expect(await refusal(api.client.instances.rebuild.mutate({ instanceId: id, imageId: huge }), "BAD_REQUEST")).toMatch(
      /^Instance rb-3's flavor has a 1 GB disk; image rebuild-huge needs at least 100 GB\.$/,
    );
    const hungry = await addImage("rebuild-hungry", { minRamMb: 65_536 });
    expect(await refusal(api.client.instances.rebuild.mutate({ instanceId: id, imageId: hungry }), "BAD_REQUEST")).toMatch(
      /image rebuild-hungry needs at least 65536 MB/,
    );
    const arm = await addImage("rebuild-arm", { properties: { architecture: "aarch64" } });
    expect(await refusal(api.client.instances.rebuild.mutate({ instanceId: id, imageId: arm }), "BAD_REQUEST")).toMatch(
      /^Image rebuild-arm cannot run on host rebuild-1 of instance rb-3: the host had architecture \S+ \(image needs aarch64\) \(ImagePropertiesFilter\)\.$/,
    );
    const queued = await addImage("rebuild-queued", { status: "queued" });
    expect(await refusal(api.client.instances.rebuild.mutate({ instanceId: id, imageId: queued }), "BAD_REQUEST")).toMatch(/is queued, not active/);

    const { instance, actions } = await api.client.instances.get.query({ id });
    expect(instance).toMatchObject({ status: "ACTIVE", taskState: null, imageId: baseImageId, name: "rb-3" });
    expect(actions.some((a) => a.action === "rebuild")).toBe(false);
    await remove(id);
  });

  it("an image the host cannot fetch: ERROR with the host's reason, ports and addresses kept, nothing leaked", async () => {
    const id = await launch("rb-8");
    const before = await api.client.instances.get.query({ id });
    const missing = await addImage("rebuild-missing-bits", {}, { bits: false });
    await api.client.instances.rebuild.mutate({ instanceId: id, imageId: missing });
    const failed = await settled(id, "ERROR");
    expect(failed.fault?.code).toBe("ActionFailed");
    expect(failed.fault?.message).toMatch(/^Image rebuild-missing-bits could not be downloaded/);
    expect(failed.powerState).toBe("nostate");
    const { ports, actions } = await api.client.instances.get.query({ id });
    expect(ports.map((p) => [p.id, p.macAddress, p.ipAddress, p.status])).toEqual(before.ports.map((p) => [p.id, p.macAddress, p.ipAddress, "DOWN"]));
    expect(actions.find((a) => a.action === "rebuild")?.events.map((e) => [e.event, e.result])).toEqual([["compute_rebuild_instance", "Error"]]);
    await assertInvariants(db());
    // Rebuilt again from an image it can fetch, it is back.
    await api.client.instances.rebuild.mutate({ instanceId: id, imageId: otherImageId });
    expect((await settled(id, "ACTIVE")).fault).toBeNull();
    await assertInvariants(db());
    await remove(id);
  });

  it("a rebuild and a stop at once: one wins, the other is a conflict", async () => {
    const id = await launch("rb-4");
    const results = await Promise.allSettled([
      api.client.instances.rebuild.mutate({ instanceId: id, imageId: otherImageId }),
      api.client.instances.stop.mutate({ id }),
    ]);
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as { data?: { code?: string } }).data?.code).toBe("CONFLICT");
    expect((lost[0]!.reason as Error).message).toMatch(/^Instance rb-4 is (busy|SHUTOFF)/);
    await waitFor("the winner to finish", async () => (await api.client.instances.get.query({ id })).instance.taskState === null);
    await assertInvariants(db());
    await remove(id);
  });

  it("delete during a rebuild wins: the rebuild is interrupted, nothing is left behind", async () => {
    const id = await launch("rb-5");
    agent.child.kill("SIGSTOP");
    try {
      await api.client.instances.rebuild.mutate({ instanceId: id, imageId: otherImageId });
      expect((await api.client.instances.get.query({ id })).instance.taskState).toBe("rebuilding");
      expect(await refusal(api.client.instances.stop.mutate({ id }), "CONFLICT")).toBe(
        "Instance rb-5 is busy (rebuilding, task rebuilding): wait for it to finish, then try again.",
      );
      await api.client.instances.delete.mutate({ id });
    } finally {
      agent.child.kill("SIGCONT");
    }
    await waitFor(
      "the instance to be deleted",
      async () => (await db().select().from(schema.instances).where(eq(schema.instances.id, id)))[0]?.vmState === "deleted",
    );
    const actions = await db().select().from(schema.instanceActions).where(eq(schema.instanceActions.instanceId, id));
    expect(actions.find((a) => a.action === "rebuild")?.message).toBe("Interrupted: the instance was deleted.");
    // The thawed host runs the rebuild, then the destroy: no domain is left on it, no port, no allocation.
    await waitFor("the host's allocation to be freed", async () => (await hostVcpusUsed()) === 0);
    expect(await db().select().from(schema.ports).where(eq(schema.ports.instanceId, id))).toEqual([]);
    await assertInvariants(db());
  });

  it("an agent killed mid-rebuild: ERROR with a fault, never stuck in a task, nothing leaked; a rebuild from ERROR brings it back", async () => {
    // Its own state dir, kept across the kill: the agent that comes back numbers its reports after
    // the killed one's (a new epoch), as an agent restarted on its host does.
    const stateDir = mkdtempSync(path.join(tmpdir(), "nimbus-rebuild-2-"));
    const env = { ...agentEnv, NIMBUS_STATE_DIR: stateDir };
    const killed = startAgent(stack.server.url, { hostname: "rebuild-2", env });
    await hostUp("rebuild-2");
    const hosts = await api.client.hosts.list.query();
    const first = hosts.find((h) => h.hostname === "rebuild-1")!;
    await db().update(schema.computeHosts).set({ enabled: false }).where(eq(schema.computeHosts.id, first.id));
    let id: string;
    try {
      id = await launch("rb-6");
    } finally {
      await db().update(schema.computeHosts).set({ enabled: true }).where(eq(schema.computeHosts.id, first.id));
    }
    const before = await api.client.instances.get.query({ id });
    killed.child.kill("SIGSTOP");
    await api.client.instances.rebuild.mutate({ instanceId: id, imageId: otherImageId });
    await killed.stop("SIGKILL");
    const failed = await waitFor(
      "the rebuild to fail",
      async () => {
        const { instance } = await api.client.instances.get.query({ id });
        return instance.taskState === null ? instance : null;
      },
      15_000,
    );
    expect(failed.status).toBe("ERROR");
    expect(["HostDown", "ActionTimeout"]).toContain(failed.fault?.code);
    expect(failed.fault?.message).toMatch(/rebuild/);
    const { actions, ports } = await api.client.instances.get.query({ id });
    expect(actions.find((a) => a.action === "rebuild")?.events.at(-1)?.result).toBe("Error");
    // The ports stay the instance's (DOWN), with their addresses; ERROR holds no allocation.
    expect(ports.map((p) => [p.id, p.ipAddress, p.status])).toEqual(before.ports.map((p) => [p.id, p.ipAddress, "DOWN"]));
    await assertInvariants(db());

    // The host comes back (a fresh test driver: no guest); a rebuild from ERROR makes it again there.
    const back = startAgent(stack.server.url, { hostname: "rebuild-2", env });
    try {
      await hostUp("rebuild-2");
      await api.client.instances.rebuild.mutate({ instanceId: id, imageId: otherImageId });
      const rebuilt = await settled(id, "ACTIVE");
      expect(rebuilt.fault).toBeNull();
      expect(rebuilt.imageId).toBe(otherImageId);
      expect((await api.client.instances.get.query({ id })).ports.map((p) => p.ipAddress)).toEqual(before.ports.map((p) => p.ipAddress));
      expect(await hostVcpusUsed("rebuild-2")).toBe(1);
      await assertInvariants(db());
      await remove(id);
    } finally {
      await back.stop("SIGKILL");
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("policy: a reader may not rebuild; another project's instance, and an image the project cannot see, are not found", async () => {
    await addUser(stack, { name: "rb-member", project: "admin", role: "member" });
    await addUser(stack, { name: "rb-reader", project: "admin", role: "reader" });
    await addUser(stack, { name: "rb-other", project: "rb-elsewhere", role: "member" });
    const member = await signedInClient(stack.server.url, "rb-member", PERSONA_PASSWORD);
    const reader = await signedInClient(stack.server.url, "rb-reader", PERSONA_PASSWORD);
    const other = await signedInClient(stack.server.url, "rb-other", PERSONA_PASSWORD);
    const id = await launch("rb-7", member.client);
    const [elsewhere] = await db().select().from(schema.projects).where(eq(schema.projects.name, "rb-elsewhere"));
    const foreign = await addImage("rebuild-foreign", { visibility: "private", ownerProjectId: elsewhere!.id });

    await refusal(reader.client.instances.rebuild.mutate({ instanceId: id, imageId: otherImageId }), "FORBIDDEN");
    await refusal(other.client.instances.rebuild.mutate({ instanceId: id, imageId: otherImageId }), "NOT_FOUND");
    expect(await refusal(member.client.instances.rebuild.mutate({ instanceId: id, imageId: foreign }), "NOT_FOUND")).toBe(
      `Image ${foreign} could not be found.`,
    );
    await refusal(member.client.instances.rebuild.mutate({ instanceId: id, imageId: "not-an-id" }), "BAD_REQUEST");
    // The member's own rebuild goes through.
    await member.client.instances.rebuild.mutate({ instanceId: id, imageId: otherImageId });
    await settled(id, "ACTIVE", member.client);
    expect((await member.client.instances.get.query({ id })).instance.imageId).toBe(otherImageId);
    await remove(id, member.client);
  });
});
