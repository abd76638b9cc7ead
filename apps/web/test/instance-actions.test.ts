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
 * The lifecycle actions on real PostgreSQL with real agent processes on libvirt's test driver:
 * stop, start, soft and hard reboot, pause, unpause, suspend, resume, each refused in plain
 * words when the state does not allow it, recorded in the action log, pushed live; races (two
 * actions at once; delete during a stop) and agents frozen or killed mid-action, after which
 * every instance ends in a true state with a fault and nothing leaks.
 */
describe("instance lifecycle actions", () => {
  let stack: Stack;
  let agent: AgentProcess;
  let api: Awaited<ReturnType<typeof signedInClient>>;
  const agentEnv = ACTION_AGENT_ENV;

  beforeAll(async () => {
    ({ stack, agent, api } = await startActionStack("life-1"));
  });

  afterAll(async () => {
    await agent?.stop("SIGKILL");
    await stack?.stop();
  });

  async function launch(name: string, client = api.client): Promise<string> {
    const [flavors, images, networks] = await Promise.all([
      client.catalog.flavors.query(),
      client.catalog.images.query(),
      client.catalog.networks.query(),
    ]);
    const { instanceIds } = await client.instances.launch.mutate({
      name,
      count: 1,
      imageId: images[0]!.id,
      flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
      networkId: networks[0]!.id,
    });
    const id = instanceIds[0]!;
    await settled(id, "ACTIVE", client);
    return id;
  }

  async function settled(id: string, status: string, client = api.client) {
    return waitFor(`instance ${id} to be ${status} with no task`, async () => {
      const { instance } = await client.instances.get.query({ id });
      return instance.status === status && instance.taskState === null ? instance : null;
    });
  }

  async function conflict(call: Promise<unknown>): Promise<string> {
    const error = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error, "the call should have been refused").toBeInstanceOf(TRPCClientError);
    expect((error as { data?: { code?: string } }).data?.code).toBe("CONFLICT");
    return (error as Error).message;
  }

  /** Deletes an instance whatever its state and waits until it is gone (the test host has 3 GiB: room for six m1.tiny). */
  async function remove(id: string) {
    await api.client.instances.delete.mutate({ id });
    const db = stack.server.database.db;
    await waitFor(
      "the instance to be deleted",
      async () => (await db.select().from(schema.instances).where(eq(schema.instances.id, id)))[0]?.vmState === "deleted",
    );
    await assertInvariants(db);
  }

  async function hostUsage() {
    const host = (await api.client.hosts.list.query()).find((h) => h.hostname === "life-1")!;
    return host.vcpus.used;
  }

  it("stops an instance (pushed live, Powering off… then SHUTOFF), keeps its allocation, and refuses to stop it twice", async () => {
    const id = await launch("web-1");
    const used = await hostUsage();
    const { socket, received } = browserSocket(stack.server.url, api.cookie()!);
    await waitFor("the browser socket to connect", () => socket.connected);

    const started = await api.client.instances.stop.mutate({ id });
    expect(started.taskState).toBe("powering-off");
    const instance = await settled(id, "SHUTOFF");
    expect(instance.vmState).toBe("stopped");
    expect(instance.powerState).toBe("shutdown");
    // Nova keeps a stopped instance's allocation: it can always start again on its host.
    expect(await hostUsage()).toBe(used);

    const changes = received.filter((m) => m.event === "instance.changed").map((m) => instanceChangedSchema.parse(m.payload));
    const mine = changes.filter((c) => c.id === id);
    expect(mine.map((c) => c.taskState)).toContain("powering-off");
    expect(mine.at(-1)).toMatchObject({ status: "SHUTOFF", taskState: null });
    const events = received.filter((m) => m.event === "instance.event").map((m) => m.payload as { event: string; result: string | null });
    expect(events.some((e) => e.event === "compute_stop_instance" && e.result === "Success")).toBe(true);
    socket.close();

    const { actions } = await api.client.instances.get.query({ id });
    const stop = actions.find((a) => a.action === "stop")!;
    expect(stop.finishTime).not.toBeNull();
    expect(stop.events.map((e) => [e.event, e.result])).toEqual([["compute_stop_instance", "Success"]]);

    expect(await conflict(api.client.instances.stop.mutate({ id }))).toBe("Instance web-1 is already stopped (SHUTOFF): nothing to stop.");
    expect(await conflict(api.client.instances.pause.mutate({ id }))).toBe("Instance web-1 is SHUTOFF: it cannot be paused now.");
    await remove(id);
    await assertInvariants(stack.server.database.db);
  });

  it("starts a stopped instance, and refuses to start a running one", async () => {
    const id = await launch("web-2");
    expect(await conflict(api.client.instances.start.mutate({ id }))).toBe("Instance web-2 is already running (ACTIVE): nothing to start.");
    await api.client.instances.stop.mutate({ id });
    await settled(id, "SHUTOFF");
    expect((await api.client.instances.start.mutate({ id })).taskState).toBe("powering-on");
    const instance = await settled(id, "ACTIVE");
    expect(instance.powerState).toBe("running");
    const { actions, ports } = await api.client.instances.get.query({ id });
    expect(actions.map((a) => a.action)).toEqual(["create", "stop", "start"]);
    expect(ports.every((p) => p.status === "ACTIVE")).toBe(true);
    await remove(id);
    await assertInvariants(stack.server.database.db);
  });

  it("soft reboots through reboot_pending and reboot_started, and hard reboots a stopped instance back to ACTIVE", async () => {
    const id = await launch("web-3");
    const seen: string[] = [];
    const { socket } = browserSocket(stack.server.url, api.cookie()!);
    socket.onAny((event: string, payload: { changes?: { id: string; taskState: string | null }[] }) => {
      if (event === "instance.updates") for (const c of payload.changes ?? []) if (c.id === id && c.taskState) seen.push(c.taskState);
    });
    await waitFor("the browser socket to connect", () => socket.connected);
    await api.client.instances.reboot.mutate({ id, type: "SOFT" });
    await settled(id, "ACTIVE");
    await waitFor("the reboot's steps to be pushed", () => seen.includes("reboot_started"));
    expect(seen[0]).toBe("rebooting");
    socket.close();

    await api.client.instances.stop.mutate({ id });
    await settled(id, "SHUTOFF");
    expect(await conflict(api.client.instances.reboot.mutate({ id, type: "SOFT" }))).toMatch(
      /is not running \(SHUTOFF\): a soft reboot needs a running guest/,
    );
    expect((await api.client.instances.reboot.mutate({ id, type: "HARD" })).taskState).toBe("rebooting_hard");
    await settled(id, "ACTIVE");
    const { actions } = await api.client.instances.get.query({ id });
    expect(actions.filter((a) => a.action === "reboot").map((a) => a.events.map((e) => e.result))).toEqual([["Success"], ["Success"]]);
    await remove(id);
    await assertInvariants(stack.server.database.db);
  });

  it("pauses and unpauses, suspends and resumes", async () => {
    const id = await launch("web-4");
    await api.client.instances.pause.mutate({ id });
    expect((await settled(id, "PAUSED")).powerState).toBe("paused");
    expect(await conflict(api.client.instances.suspend.mutate({ id }))).toBe("Instance web-4 is PAUSED: it cannot be suspended now.");
    expect(await conflict(api.client.instances.start.mutate({ id }))).toBe("Instance web-4 is paused (PAUSED): unpause it rather than start it.");
    await api.client.instances.unpause.mutate({ id });
    await settled(id, "ACTIVE");
    await api.client.instances.suspend.mutate({ id });
    const suspended = await settled(id, "SUSPENDED");
    expect(suspended.powerState).toBe("suspended");
    expect(await conflict(api.client.instances.unpause.mutate({ id }))).toBe("Instance web-4 is not paused (SUSPENDED): nothing to unpause.");
    // A suspended guest's NIC is gone from the host: its port is DOWN until it resumes.
    expect((await api.client.instances.get.query({ id })).ports.every((p) => p.status === "DOWN")).toBe(true);
    await api.client.instances.resume.mutate({ id });
    await settled(id, "ACTIVE");
    const { actions } = await api.client.instances.get.query({ id });
    expect(actions.map((a) => a.action)).toEqual(["create", "pause", "unpause", "suspend", "resume"]);
    await remove(id);
    await assertInvariants(stack.server.database.db);
  });

  it("two actions at once: one wins, the other gets a conflict", async () => {
    const id = await launch("web-5");
    const results = await Promise.allSettled([api.client.instances.stop.mutate({ id }), api.client.instances.pause.mutate({ id })]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as { data?: { code?: string } }).data?.code).toBe("CONFLICT");
    expect((lost[0]!.reason as Error).message).toMatch(/^Instance web-5 is (busy|SHUTOFF|PAUSED)/);
    await waitFor("the winner to finish", async () => (await api.client.instances.get.query({ id })).instance.taskState === null);
    await remove(id);
    await assertInvariants(stack.server.database.db);
  });

  it("readers may not act; another project's members get not found", async () => {
    const id = await launch("web-6");
    await addUser(stack, { name: "life-reader", project: "admin", role: "reader" });
    await addUser(stack, { name: "life-other", project: "elsewhere", role: "member" });
    const reader = await signedInClient(stack.server.url, "life-reader", PERSONA_PASSWORD);
    const other = await signedInClient(stack.server.url, "life-other", PERSONA_PASSWORD);
    await expect(reader.client.instances.stop.mutate({ id })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(other.client.instances.stop.mutate({ id })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    await expect(api.client.instances.reboot.mutate({ id, type: "SIDEWAYS" as "HARD" })).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    await remove(id);
  });

  it("delete during a stop wins: the stop is interrupted, its late report ignored, nothing leaks", async () => {
    const id = await launch("web-7");
    agent.child.kill("SIGSTOP"); // frozen: the stop reaches it but is not acknowledged
    try {
      await api.client.instances.stop.mutate({ id });
      expect((await api.client.instances.get.query({ id })).instance.taskState).toBe("powering-off");
      await api.client.instances.delete.mutate({ id });
    } finally {
      agent.child.kill("SIGCONT");
    }
    const db = stack.server.database.db;
    await waitFor(
      "the instance to be deleted",
      async () => (await db.select().from(schema.instances).where(eq(schema.instances.id, id)))[0]?.vmState === "deleted",
    );
    const actions = await db.select().from(schema.instanceActions).where(eq(schema.instanceActions.instanceId, id));
    expect(actions.find((a) => a.action === "stop")?.message).toBe("Interrupted: the instance was deleted.");
    // The thawed agent runs the stop, then the destroy: the stop's report changes nothing.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const [row] = await db.select().from(schema.instances).where(eq(schema.instances.id, id));
    expect(row?.vmState).toBe("deleted");
    await assertInvariants(db);
  });

  it("an agent frozen mid-stop: the stop fails back with a fault, then the thawed host's report sets the true state", async () => {
    const id = await launch("web-8");
    agent.child.kill("SIGSTOP");
    try {
      await api.client.instances.stop.mutate({ id });
      const failed = await waitFor("the stop to time out", async () => {
        const { instance } = await api.client.instances.get.query({ id });
        return instance.taskState === null ? instance : null;
      });
      expect(failed.status).toBe("ACTIVE");
      expect(failed.fault?.code).toBe("ActionTimeout");
      const { actions } = await api.client.instances.get.query({ id });
      expect(actions.find((a) => a.action === "stop")?.message).toMatch(/did not take the stop within 3 s/);
    } finally {
      agent.child.kill("SIGCONT");
    }
    // The host wakes, runs the stop it had received and reports it: the instance follows its guest.
    const truth = await settled(id, "SHUTOFF");
    expect(truth.powerState).toBe("shutdown");
    const { actions } = await api.client.instances.get.query({ id });
    expect(actions.at(-1)?.action).toBe("power_sync");
    await assertInvariants(stack.server.database.db);
  });

  it("an agent killed mid-action: the instance ends in a true state with a fault, never in a task", async () => {
    const killed = startAgent(stack.server.url, { hostname: "life-2", env: agentEnv });
    await waitFor("the second host to be up", async () =>
      (await api.client.hosts.list.query()).find((h) => h.hostname === "life-2" && h.state === "up"),
    );
    // Only life-2 takes the next launch.
    const hosts = await api.client.hosts.list.query();
    const life1 = hosts.find((h) => h.hostname === "life-1")!;
    await stack.server.database.db.update(schema.computeHosts).set({ enabled: false }).where(eq(schema.computeHosts.id, life1.id));
    let id: string;
    try {
      id = await launch("web-9");
    } finally {
      await stack.server.database.db.update(schema.computeHosts).set({ enabled: true }).where(eq(schema.computeHosts.id, life1.id));
    }
    killed.child.kill("SIGSTOP");
    await api.client.instances.reboot.mutate({ id, type: "HARD" });
    await killed.stop("SIGKILL");
    const failed = await waitFor(
      "the reboot to fail back",
      async () => {
        const { instance } = await api.client.instances.get.query({ id });
        return instance.taskState === null ? instance : null;
      },
      15_000,
    );
    expect(["HostDown", "ActionTimeout"]).toContain(failed.fault?.code);
    // The agent comes back on a fresh test driver: the domain died with it, and the instance says so.
    const back = startAgent(stack.server.url, { hostname: "life-2", env: agentEnv });
    try {
      const truth = await settled(id, "ERROR");
      expect(truth.fault?.code).toBe("DomainMissing");
      await assertInvariants(stack.server.database.db);
    } finally {
      await back.stop("SIGKILL");
    }
  }, 60_000);
});
