import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@nimbus/db";
import { instanceEventSchema } from "@nimbus/core/protocol/browser";
import { freshDatabase, onAnnouncement, signedInClient, startAgent, waitFor, type AgentProcess } from "./harness";
import { assertInvariants } from "./invariants";
import { freePort, openTestDatabase, startWebProcess, type WebProcess } from "./processes";

/**
 * Two web processes on different ports share one PostgreSQL; realtime fan-out goes through
 * socket.io's Postgres adapter and build requests are claimed with SKIP LOCKED. Agents enrol
 * with one-time join tokens and their own host credential.
 */
describe("scale-out and agent enrolment (two web processes, real PostgreSQL)", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let handle: DatabaseHandle;
  let a: WebProcess;
  let b: WebProcess;
  const agents: AgentProcess[] = [];
  // Like Glance's shared backend: every web process serves images from one store.
  const imageStore = mkdtempSync(path.join(tmpdir(), "nimbus-images-"));
  const env = { NIMBUS_HOST_DOWN_AFTER_SECONDS: "3", NIMBUS_CONDUCTOR_LEASE_SECONDS: "2", NIMBUS_IMAGE_STORE: imageStore };

  beforeAll(async () => {
    database = await freshDatabase();
    a = await startWebProcess({ port: await freePort(), databaseUrl: database.url, env });
    b = await startWebProcess({ port: await freePort(), databaseUrl: database.url, env });
    handle = await openTestDatabase(database.url);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(agents.map((x) => x.stop("SIGKILL")));
    await a?.kill();
    await b?.kill();
    await handle?.close();
    await database?.drop();
    rmSync(imageStore, { recursive: true, force: true });
  });

  it("enrols an agent with a one-time join token, then cuts it off at once when its credential is revoked", async () => {
    const admin = (await signedInClient(a.url)).client;
    const { token } = await admin.agents.createJoinToken.mutate({ hostname: "node-x", ttlMinutes: 10 });
    await expect(admin.agents.createJoinToken.mutate({ hostname: null, ttlMinutes: 120 })).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    // Both servers are listed: the agent fails over if one goes away.
    const enrolled = startAgent(`${b.url},${a.url}`, { hostname: "node-x", secret: "", env: { NIMBUS_AGENT_SECRET: "", NIMBUS_JOIN_TOKEN: token } });
    agents.push(enrolled);
    await waitFor("node-x up", async () => (await admin.hosts.list.query()).find((h) => h.hostname === "node-x")?.state === "up");
    expect(enrolled.output()).not.toContain(token);

    // The token was spent: a second agent with it is refused and exits.
    const again = startAgent(a.url, { hostname: "node-y", secret: "", env: { NIMBUS_AGENT_SECRET: "", NIMBUS_JOIN_TOKEN: token } });
    agents.push(again);
    expect(await new Promise((resolve) => again.child.once("exit", resolve))).toBe(1);
    expect(again.output()).toMatch(/join token is not valid/);

    const access = await admin.agents.list.query();
    expect(access.credentials.map((c) => c.hostname)).toEqual(["node-x"]);
    await admin.agents.revoke.mutate({ hostname: "node-x" });
    await waitFor("node-x down at once", async () => (await admin.hosts.list.query()).find((h) => h.hostname === "node-x")?.state === "down", 5_000);
  });

  it("a browser on one process sees live progress of a build whose agent talks to the other", async () => {
    const agent = startAgent(b.url, { hostname: "node-b" });
    agents.push(agent);
    const onA = await signedInClient(a.url);
    await waitFor("node-b up", async () => (await onA.client.hosts.list.query()).find((h) => h.hostname === "node-b")?.state === "up");
    const socket = io(a.url, { extraHeaders: { cookie: onA.cookie()! }, transports: ["websocket"] });
    const phases: string[] = [];
    onAnnouncement(socket, "instance.event", (payload) => phases.push(instanceEventSchema.parse(payload).event));
    await waitFor("browser socket on A", () => socket.connected);

    const [flavors, images, networks] = await Promise.all([
      onA.client.catalog.flavors.query(),
      onA.client.catalog.images.query(),
      onA.client.catalog.networks.query(),
    ]);
    const input = { count: 1, imageId: images[0]!.id, flavorId: flavors[0]!.id, networkId: networks[0]!.id };
    const { instanceIds } = await onA.client.instances.launch.mutate({ ...input, name: "across" });
    await waitFor("ACTIVE", async () => (await onA.client.instances.get.query({ id: instanceIds[0]! })).instance.status === "ACTIVE");
    await waitFor("the active event on A's socket", () => phases.includes("active"));
    expect(phases).toEqual(expect.arrayContaining(["networking", "block_device_mapping", "spawning", "active"]));
    socket.close();
  });

  it("a spawn is acknowledged at once whichever process dispatches it, the agent's own or the other", async () => {
    const agent = startAgent(b.url, { hostname: "node-ack" });
    agents.push(agent);
    const onA = await signedInClient(a.url);
    const onB = await signedInClient(b.url);
    await waitFor("node-ack up", async () => (await onA.client.hosts.list.query()).find((h) => h.hostname === "node-ack")?.state === "up");
    const [flavors, images, networks] = await Promise.all([
      onA.client.catalog.flavors.query(),
      onA.client.catalog.images.query(),
      onA.client.catalog.networks.query(),
    ]);
    const input = { count: 3, imageId: images[0]!.id, flavorId: flavors[0]!.id, networkId: networks[0]!.id };
    // Each process's conductor is woken by the launches it accepts; both dispatch to node-ack on B.
    const launched = await Promise.all([
      onA.client.instances.launch.mutate({ ...input, name: "ack-a" }),
      onB.client.instances.launch.mutate({ ...input, name: "ack-b" }),
    ]);
    const ids = launched.flatMap((l) => l.instanceIds);
    await waitFor("every instance ACTIVE", async () =>
      (await onA.client.instances.list.query()).filter((i) => ids.includes(i.id)).every((i) => i.status === "ACTIVE"),
    );
    const requests = await handle.db.query.buildRequests.findMany({ where: (r, { inArray }) => inArray(r.instanceId, ids) });
    expect(requests).toHaveLength(6);
    for (const request of requests) {
      expect(request.commandAckedAt, `the spawn of ${request.instanceId} was acknowledged`).not.toBeNull();
      expect(request.commandAckedAt!.getTime() - request.dispatchedAt!.getTime()).toBeLessThan(2_000);
    }
    expect(a.output() + b.output()).not.toContain("spawn not acknowledged");
    for (const id of ids) await onA.client.instances.delete.mutate({ id });
    await waitFor("the instances to go", async () => !(await onA.client.instances.list.query()).some((i) => ids.includes(i.id)));
  });

  it("a launch accepted by one process completes when that process dies at once", async () => {
    const onA = await signedInClient(a.url);
    const [flavors, images, networks] = await Promise.all([
      onA.client.catalog.flavors.query(),
      onA.client.catalog.images.query(),
      onA.client.catalog.networks.query(),
    ]);
    const { instanceIds } = await onA.client.instances.launch.mutate({
      name: "orphaned",
      count: 4,
      imageId: images[0]!.id,
      flavorId: flavors[0]!.id,
      networkId: networks[0]!.id,
    });
    await a.kill("SIGKILL");
    const onB = (await signedInClient(b.url)).client;
    const done = await waitFor(
      "every build to end on B",
      async () => {
        const list = (await onB.instances.list.query()).filter((i) => instanceIds.includes(i.id));
        return list.length === 4 && list.every((i) => i.status === "ACTIVE" || i.status === "ERROR") ? list : null;
      },
      45_000,
    );
    expect(done.every((i) => i.status === "ACTIVE")).toBe(true);
    await assertInvariants(handle.db);
  });
});
