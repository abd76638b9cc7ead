import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { protocolPeer, reportSender, signedInClient, startStack, waitFor, type Stack } from "./harness";

type Api = Awaited<ReturnType<typeof signedInClient>>["client"];
type SpawnCommand = { commandId: string; instance: { id: string } };

/**
 * What the instance page is told is true of a build: what it waits for on its host and until
 * when, why it failed when its host died (the host, the retry, the scheduler's count), that an
 * instance no host runs holds no address, and what its serial console can show. The hosts are
 * protocol peers, so each step (acknowledge, fall silent, report) happens when the test says.
 */
describe("truth on the instance page (real PostgreSQL)", () => {
  let stack: Stack;
  let admin: Api;
  const peers: Socket[] = [];
  let launchBase: { count: number; imageId: string; flavorId: string; networkId: string };

  beforeAll(async () => {
    stack = await startStack("postgres", {
      NIMBUS_HOST_DOWN_AFTER_SECONDS: "2",
      NIMBUS_HOST_RECONNECT_GRACE_SECONDS: "0",
      NIMBUS_BUILD_TIMEOUT_SECONDS: "60",
      NIMBUS_AGENT_ACK_TIMEOUT_MS: "1000",
    });
    admin = (await signedInClient(stack.server.url)).client;
    const [flavors, images, networks] = await Promise.all([
      admin.catalog.flavors.query(),
      admin.catalog.images.query(),
      admin.catalog.networks.query(),
    ]);
    launchBase = { count: 1, imageId: images[0]!.id, flavorId: flavors.find((f) => f.name === "m1.tiny")!.id, networkId: networks[0]!.id };
  });
  afterAll(async () => {
    for (const peer of peers) peer.close();
    await stack?.stop();
  });

  const peer = async (hostname: string, hypervisorType: "test" | "qemu" = "qemu") => {
    const socket = await protocolPeer(stack.server.url, hostname, { heartbeat: true, hypervisorType });
    peers.push(socket);
    return socket;
  };
  const launch = async (name: string, hostname?: string) =>
    (await admin.instances.launch.mutate({ ...launchBase, name, ...(hostname ? { availabilityZone: `:${hostname}` } : {}) })).instanceIds[0]!;
  const details = (id: string) => admin.instances.get.query({ id });
  const portsOf = async (id: string) => (await admin.ports.list.query({ networkId: launchBase.networkId })).filter((p) => p.instanceId === id);

  it("a host that dies mid-build: the wait is shown as it is, and the fault says the host went down, the build was not retried and why", async () => {
    const host = await peer("node-dies");
    const id = await launch("doomed");
    const instance = (await details(id)).instance;
    expect(instance.fixedIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await portsOf(id)).toHaveLength(1);

    // The spawn is sent, and not acknowledged: the page is told so, with when it times out.
    const unacknowledged = await waitFor("the wait for the acknowledgement", async () => (await details(id)).buildWait);
    expect(unacknowledged).toMatchObject({
      waitingFor: "acknowledgement",
      host: "node-dies",
      attempt: 1,
      maxAttempts: 3,
      acknowledgedAt: null,
      hostUp: true,
      hostDownSince: null,
      buildTimeoutSeconds: 60,
      hostDownAfterSeconds: 2,
      onHostDown: "reschedule",
    });
    expect(Date.parse(unacknowledged.timeoutAt) - Date.parse(unacknowledged.dispatchedAt)).toBe(60_000);

    // Acknowledged, then nothing: the page is told it waits for the first progress, until the build timeout.
    const spawned: SpawnCommand[] = [];
    host.on("instance.spawn", (command: SpawnCommand, ack: (r: unknown) => void) => {
      spawned.push(command);
      ack({ ok: true });
    });
    const acknowledged = await waitFor("the wait for the first progress", async () => {
      const wait = (await details(id)).buildWait;
      return wait?.waitingFor === "first_progress" ? wait : null;
    });
    expect(acknowledged.acknowledgedAt).not.toBeNull();
    expect(Date.parse(acknowledged.timeoutAt) - Date.parse(acknowledged.acknowledgedAt!)).toBeGreaterThanOrEqual(59_000);

    // The host's agent goes away: the page is told the host is down, since when, and what comes next.
    host.close();
    const down = await waitFor("the wait on a down host", async () => {
      const wait = (await details(id)).buildWait;
      return wait?.waitingFor === "host_down" ? wait : null;
    });
    expect(down).toMatchObject({ host: "node-dies", hostUp: false, onHostDown: "reschedule" });
    expect(down.hostDownSince).not.toBeNull();

    // No other host: the fault names what happened on node-dies, the retry and the scheduler's count (the down host counted as down).
    const failed = await waitFor("the build to fail", async () => {
      const d = await details(id);
      return d.instance.status === "ERROR" ? d : null;
    });
    const time = "(\\d\\d:\\d\\d:\\d\\d) UTC";
    expect(failed.instance.fault?.code).toBe("NoValidHost");
    expect(failed.instance.fault?.message).toMatch(
      new RegExp(
        `^Attempt 1 of 3, on node-dies, failed: compute host node-dies went down during the build \\(its compute agent stopped answering; down since ${time}\\)\\. ` +
          `It was not retried on another host: no valid host was found for attempt 2 of 3\\. ` +
          `1 host considered: 1 down \\(its compute agent stopped answering; down since ${time}\\)\\.$`,
      ),
    );
    // The host went down once: the attempt and the scheduler's count give the same time.
    const [wentDown, countedDown] = failed.instance.fault!.message.match(/\d\d:\d\d:\d\d UTC/g)!;
    expect(countedDown).toBe(wentDown);
    expect(failed.actions.find((a) => a.action === "reschedule")?.message).toMatch(/^Build on node-dies failed: compute host node-dies went down/);
    expect(failed.buildWait).toBeNull();

    // It runs nowhere: it holds no port, address or MAC any more.
    expect(failed.instance.fixedIp).toBeNull();
    expect(failed.instance.macAddress).toBeNull();
    expect(failed.ports).toEqual([]);
    expect(await portsOf(id)).toEqual([]);
    expect(failed.guestConsole).toEqual({ state: "no_guest", label: "No guest", says: "No console: the build failed before the guest started." });
  }, 60_000);

  it("an instance that finds no host at all gives its port back (the scheduler counts the down host as down)", async () => {
    const id = await launch("nowhere");
    const failed = await waitFor("NoValidHost", async () => {
      const d = await details(id);
      return d.instance.status === "ERROR" ? d : null;
    });
    expect(failed.instance.fault?.message).toMatch(
      /^No valid host was found\. 1 host considered: 1 down \(its compute agent stopped answering; down since \d\d:\d\d:\d\d UTC\)\.$/,
    );
    expect(failed.instance.fixedIp).toBeNull();
    expect(await portsOf(id)).toEqual([]);
    // The network counts no port for it.
    const network = (await admin.networks.list.query()).find((n) => n.id === launchBase.networkId)!;
    expect(network.portCount).toBe(0);
  });

  it("the serial console says what is true: no guest on a simulated host, one to wait for on a real one", async () => {
    const build = async (hostname: string, hypervisorType: "test" | "qemu") => {
      const host = await peer(hostname, hypervisorType);
      const sender = reportSender(host);
      host.on("instance.spawn", (command: SpawnCommand, ack: (r: unknown) => void) => {
        ack({ ok: true });
        void (async () => {
          for (const [seq, phase] of ["networking", "spawning", "active"].entries()) {
            const powerState = phase === "active" ? "running" : "nostate";
            await sender.report({
              instanceId: command.instance.id,
              commandId: command.commandId,
              seq,
              phase,
              powerState,
              at: new Date().toISOString(),
            });
          }
        })();
      });
      const id = await launch(`on-${hostname}`, hostname);
      return waitFor(`${hostname}'s instance ACTIVE`, async () => {
        const d = await details(id);
        return d.instance.status === "ACTIVE" ? d : null;
      });
    };
    const simulated = await build("node-sim", "test");
    expect(simulated.guestConsole).toEqual({
      state: "no_guest",
      label: "Simulated host",
      says: "No console: node-sim is simulated (libvirt's test driver), so there is no guest to print anything.",
    });
    const real = await build("node-kvm", "qemu");
    expect(real.guestConsole).toMatchObject({ state: "waiting", label: "Waiting for the guest" });
  });
});
