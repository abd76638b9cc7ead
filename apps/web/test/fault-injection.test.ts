import { instanceEventSchema } from "@nimbus/core/protocol/browser";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@nimbus/db";
import { browserSocket, freshDatabase, protocolPeer, reportSender, signedInClient, startAgent, waitFor, type AgentProcess } from "./harness";
import { assertInvariants } from "./invariants";
import { freePort, openTestDatabase, startWebProcess, type WebProcess } from "./processes";

type Api = Awaited<ReturnType<typeof signedInClient>>["client"];

/**
 * Faults injected into real processes on real PostgreSQL: agents killed or frozen with builds in
 * flight, the web server killed mid-build, and a protocol peer that duplicates, reorders,
 * malforms and forges reports. After each, the invariants hold: every instance ACTIVE or ERROR
 * with a fault, no leaked allocation, usage counters equal to allocations, quota equal to what
 * exists.
 */
describe("fault injection (real PostgreSQL, real processes)", () => {
  let port: number;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let handle: DatabaseHandle;
  let web: WebProcess;
  const agents = new Map<string, AgentProcess>();
  let admin: Api;
  let adminCookie: () => string | null;

  const webEnv = { NIMBUS_HOST_DOWN_AFTER_SECONDS: "3", NIMBUS_CONDUCTOR_LEASE_SECONDS: "2", NIMBUS_BUILD_TIMEOUT_SECONDS: "30" };
  const agent = (hostname: string) => {
    const started = startAgent(web.url, { hostname });
    agents.set(hostname, started);
    return started;
  };
  const hosts = () => admin.hosts.list.query();
  const hostState = async (hostname: string) => (await hosts()).find((h) => h.hostname === hostname);

  async function launch(count: number, name: string, extra: Record<string, unknown> = {}) {
    const [flavors, images, networks] = await Promise.all([
      admin.catalog.flavors.query(),
      admin.catalog.images.query(),
      admin.catalog.networks.query(),
    ]);
    const flavor = flavors.find((f) => f.name === "m1.tiny")!;
    return (await admin.instances.launch.mutate({ name, count, imageId: images[0]!.id, flavorId: flavor.id, networkId: networks[0]!.id, ...extra }))
      .instanceIds;
  }
  async function settled(ids: string[], timeoutMs = 45_000) {
    return waitFor(
      "instances to settle",
      async () => {
        const list = await admin.instances.list.query();
        const mine = list.filter((i) => ids.includes(i.id));
        return mine.length === ids.length && mine.every((i) => i.status === "ACTIVE" || i.status === "ERROR") ? mine : null;
      },
      timeoutMs,
    );
  }
  async function deleteAll() {
    for (const i of await admin.instances.list.query()) await admin.instances.delete.mutate({ id: i.id });
    await waitFor("every instance deleted", async () => (await admin.instances.list.query()).length === 0, 20_000);
  }

  beforeAll(async () => {
    database = await freshDatabase();
    // One port for the whole file: the restarted web process comes back where agents left it.
    port = await freePort();
    web = await startWebProcess({ port, databaseUrl: database.url, env: webEnv });
    handle = await openTestDatabase(database.url);
    const session = await signedInClient(web.url);
    admin = session.client;
    adminCookie = session.cookie;
    // Each test leaves what it launched for the invariants; quota must not couple them.
    const demo = (await admin.projects.list.query()).find((p) => p.name === "demo")!;
    await admin.quotas.set.mutate({ projectId: demo.id, limits: { instances: -1, cores: -1, ram: -1 } });
    agent("node-f1");
    agent("node-f2");
    await waitFor("two hosts up", async () => (await hosts()).filter((h) => h.state === "up").length === 2);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...agents.values()].map((a) => a.stop("SIGKILL")));
    await web?.kill();
    await handle?.close();
    await database?.drop();
  });

  it("an agent killed with spawns in flight: its builds are rescheduled to the other host", async () => {
    const f2 = (await hostState("node-f2"))!;
    await admin.hosts.update.mutate({ id: f2.id, enabled: false, disabledReason: "test: keep builds on node-f1" });
    const f1 = agents.get("node-f1")!;
    f1.child.kill("SIGSTOP"); // frozen: it receives the spawn commands but cannot act on them
    const ids = await launch(3, "killed");
    await waitFor("the builds to be dispatched to node-f1", async () => {
      const list = await admin.instances.list.query();
      return list.filter((i) => i.hostname === "node-f1").length === 3;
    });
    await admin.hosts.update.mutate({ id: f2.id, enabled: true });
    await f1.stop("SIGKILL");
    const done = await settled(ids);
    expect(done.map((i) => `${i.status}@${i.hostname}`)).toEqual(["ACTIVE@node-f2", "ACTIVE@node-f2", "ACTIVE@node-f2"]);
    const details = await admin.instances.get.query({ id: ids[0]! });
    expect(details.actions.map((a) => a.action)).toContain("reschedule");
    expect(details.actions.find((a) => a.action === "reschedule")?.message).toMatch(/node-f1 went down/);
    expect((await hostState("node-f1"))!.vcpus.used).toBe(0);
    await assertInvariants(handle.db);
    agent("node-f1");
    await waitFor("node-f1 back up", async () => (await hostState("node-f1"))?.state === "up");
    await assertInvariants(handle.db);
  });

  it("a frozen agent (SIGSTOP) is marked down within 10 s; after SIGCONT it comes back and nothing is lost", async () => {
    const f2 = agents.get("node-f2")!;
    const before = (await admin.instances.list.query()).filter((i) => i.hostname === "node-f2").length;
    const stoppedAt = Date.now();
    f2.child.kill("SIGSTOP");
    await waitFor("node-f2 down", async () => (await hostState("node-f2"))?.state === "down", 12_000);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    const ids = await launch(2, "while-frozen");
    const placed = await settled(ids);
    expect(placed.every((i) => i.status === "ACTIVE" && i.hostname === "node-f1")).toBe(true);
    f2.child.kill("SIGCONT");
    await waitFor("node-f2 back up", async () => (await hostState("node-f2"))?.state === "up", 20_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nagent output:\n${f2.output().slice(-3000)}\nserver output:\n${web.output().slice(-3000)}`);
    });
    const still = (await admin.instances.list.query()).filter((i) => i.hostname === "node-f2");
    expect(still).toHaveLength(before);
    expect(still.every((i) => i.status === "ACTIVE")).toBe(true);
    await assertInvariants(handle.db);
    await deleteAll();
    await assertInvariants(handle.db);
  });

  it("the web server killed (SIGKILL) mid-build: after a restart every build ends ACTIVE or explained ERROR", async () => {
    const ids = await launch(6, "crash");
    await web.kill("SIGKILL");
    web = await startWebProcess({ port, databaseUrl: database.url, env: webEnv });
    const session = await signedInClient(web.url);
    admin = session.client;
    adminCookie = session.cookie;
    const done = await settled(ids, 60_000);
    expect(done.filter((i) => i.status === "ACTIVE").length + done.filter((i) => i.status === "ERROR" && i.fault).length).toBe(6);
    await assertInvariants(handle.db);
    await deleteAll();
  });

  it("instances deleted while they are scheduled, claimed and built leave nothing behind", async () => {
    // Deletes race the conductor's claims, host assignments and the agents' spawns.
    const batches = await Promise.all([launch(8, "doomed-a"), launch(8, "doomed-b"), launch(8, "doomed-c")]);
    await Promise.all(batches.flat().map((id) => admin.instances.delete.mutate({ id })));
    await waitFor("every doomed instance gone", async () => !(await admin.instances.list.query()).some((i) => i.name.startsWith("doomed")), 30_000);
    // A claim the conductor made for an instance deleted meanwhile is given back right after it:
    // wait for that, then nothing of them may be left.
    await waitFor("no claim left for a deleted instance", async () => {
      await assertInvariants(handle.db);
      return true;
    });
  });

  describe("a protocol peer that misbehaves", () => {
    let peer: Socket;
    let forger: Socket;
    let peerReports: ReturnType<typeof reportSender>;
    let forgerReports: ReturnType<typeof reportSender>;
    const commands: { commandId: string; instance: { id: string } }[] = [];

    const connectPeer = (hostname: string) => protocolPeer(web.url, hostname);
    const report = (sender: ReturnType<typeof reportSender>, instanceId: string, commandId: string, seq: number, phase: string) =>
      sender.report({ instanceId, commandId, seq, phase, powerState: phase === "active" ? "running" : "nostate", at: new Date().toISOString() });

    beforeAll(async () => {
      peer = await connectPeer("node-peer");
      peerReports = reportSender(peer);
      peer.on("instance.spawn", (command: { commandId: string; instance: { id: string } }, ack: (r: unknown) => void) => {
        commands.push(command);
        ack({ ok: true });
      });
      // Like a real agent: acknowledge the destroy, then report the domain gone.
      peer.on("instance.destroy", (command: { commandId: string; instanceId: string }, ack: (r: unknown) => void) => {
        ack({ ok: true });
        void report(peerReports, command.instanceId, command.commandId, 100, "deleted");
      });
      forger = await connectPeer("node-forger");
      forgerReports = reportSender(forger);
    });
    afterAll(() => {
      peer?.close();
      forger?.close();
    });

    it("duplicated and reordered reports are harmless; malformed and forged ones are refused and crash nothing", async () => {
      const [id] = await launch(1, "peer", { availabilityZone: ":node-peer" });
      await waitFor("the spawn command at the peer", () => commands.find((c) => c.instance.id === id));
      const { commandId } = commands.find((c) => c.instance.id === id)!;

      expect(await report(peerReports, id!, commandId, 0, "networking")).toEqual({ ok: true });
      expect(await report(peerReports, id!, commandId, 0, "networking")).toEqual({ ok: true }); // duplicate
      expect(await report(peerReports, id!, commandId, 2, "spawning")).toEqual({ ok: true }); // arrives before seq 1
      expect(await report(peerReports, id!, commandId, 1, "block_device_mapping")).toEqual({ ok: true }); // late: ignored
      expect((await admin.instances.get.query({ id: id! })).instance.taskState).toBe("spawning");

      expect(await peerReports.report({ instanceId: id, seq: "three" })).toEqual({
        ok: false,
        error: expect.stringMatching(/^malformed reports: .*reports\.0\.seq: Invalid input: expected number/),
      });
      expect(await report(forgerReports, id!, commandId, 3, "active")).toEqual({ ok: false, error: `Instance ${id} is not placed on this host.` });
      expect((await admin.instances.get.query({ id: id! })).instance.status).toBe("BUILD");

      expect(await report(peerReports, id!, commandId, 3, "active")).toEqual({ ok: true });
      const { instance, actions } = await admin.instances.get.query({ id: id! });
      expect(instance.status).toBe("ACTIVE");
      expect(actions[0]!.events.map((e) => e.event)).toEqual(["scheduling", "networking", "spawning", "active"]);
      expect(await web.child.exitCode).toBeNull();
      await admin.instances.delete.mutate({ id: id! });
      await waitFor("the peer's instance gone", async () => !(await admin.instances.list.query()).some((i) => i.id === id));
      await assertInvariants(handle.db);
    });

    it("reports that queued up arrive in one message: every phase is recorded and pushed in order, a forged one in it is refused alone", async () => {
      const ids = await launch(2, "queued", { availabilityZone: ":node-peer" });
      await waitFor("both spawn commands at the peer", () => ids.every((id) => commands.some((c) => c.instance.id === id)));
      const [a, b] = ids.map((id) => ({ id, commandId: commands.find((c) => c.instance.id === id)!.commandId }));
      const { socket, received } = browserSocket(web.url, adminCookie()!);
      await waitFor("the browser socket", () => socket.connected);
      const at = (phase: string) => ({ phase, powerState: phase === "active" ? "running" : "nostate", at: new Date().toISOString() });
      const phases = ["networking", "block_device_mapping", "spawning", "active"];
      // The peer's next numbered message on this connection.
      const ack = await peer.timeout(5000).emitWithAck("instance.reports", {
        n: peerReports.next(),
        reports: [
          ...phases.map((phase, seq) => ({ instanceId: a!.id, commandId: a!.commandId, seq, ...at(phase) })),
          { instanceId: a!.id, commandId: a!.commandId, seq: 1, ...at("block_device_mapping") }, // a resent one: a duplicate
          { instanceId: b!.id, commandId: b!.commandId, seq: 0, ...at("networking") },
        ],
      });
      expect(ack).toEqual({ ok: true, refused: [] });
      const forged = await forger.timeout(5000).emitWithAck("instance.reports", {
        n: forgerReports.next(),
        reports: [{ instanceId: b!.id, commandId: b!.commandId, seq: 1, ...at("active") }],
      });
      expect(forged).toEqual({ ok: true, refused: [{ instanceId: b!.id, seq: 1, error: `Instance ${b!.id} is not placed on this host.` }] });

      const first = await admin.instances.get.query({ id: a!.id });
      expect(first.instance.status).toBe("ACTIVE");
      expect(first.actions[0]!.events.map((e) => [e.event, e.result])).toEqual([["scheduling", "Success"], ...phases.map((p) => [p, "Success"])]);
      expect((await admin.instances.get.query({ id: b!.id })).instance.taskState).toBe("networking");
      // The progress view heard each phase, in the order the agent reported them.
      await waitFor("the active event pushed", () =>
        received.some((r) => r.event === "instance.event" && instanceEventSchema.parse(r.payload).event === "active"),
      );
      const pushed = received
        .filter((r) => r.event === "instance.event")
        .map((r) => instanceEventSchema.parse(r.payload))
        .filter((e) => e.instanceId === a!.id && e.reportedAt);
      expect(pushed.map((e) => e.event)).toEqual(phases);
      socket.close();

      // A malformed message is refused whole but keeps its number: the next one is not held back.
      expect(
        await peer.timeout(5000).emitWithAck("instance.reports", { n: peerReports.next(), reports: [{ instanceId: b!.id, seq: "one" }] }),
      ).toEqual({ ok: false, error: expect.stringMatching(/^malformed reports: /) });
      const next = await peer.timeout(5000).emitWithAck("instance.reports", {
        n: peerReports.next(),
        reports: [{ instanceId: b!.id, commandId: b!.commandId, seq: 1, ...at("active") }],
      });
      expect(next).toEqual({ ok: true, refused: [] });
      expect((await admin.instances.get.query({ id: b!.id })).instance.status).toBe("ACTIVE");
      for (const id of ids) await admin.instances.delete.mutate({ id });
      await waitFor("the peer's instances gone", async () => !(await admin.instances.list.query()).some((i) => ids.includes(i.id)));
      await assertInvariants(handle.db);
    });
  });
});
