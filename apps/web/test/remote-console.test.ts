/**
 * The graphical console's tokens and who may have them, on real PostgreSQL: a console token is
 * good for one connection, for ten minutes, for its own project's members, and for as long as
 * the credential that asked for it stands; a simulated host has no screen to give, and says so.
 *
 * The qemu host here is a protocol peer (it answers the agent protocol as the test says, and
 * names a port where no display listens), so the proxy's exchange of a token can be watched
 * without a guest: the first connection gets as far as the display ("could not be reached"),
 * a second one with the same token gets nowhere. A real guest's screen through the proxy, and
 * a live console cut off at sign-out, are test/remote-console-guest.test.ts.
 */
import { createServer, type AddressInfo } from "node:net";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { and, eq } from "@nimbus/db/orm";
import { redeemConsoleToken } from "@nimbus/core/compute";
import { REMOTE_CONSOLE_CLOSE, REMOTE_CONSOLE_WEBSOCKET_PATH } from "@nimbus/core/protocol/http";
import { openConsoleSocket, tokenClient } from "./console-socket";
import {
  addUser,
  PERSONA_PASSWORD,
  protocolPeer,
  reportSender,
  signedInClient,
  startAgent,
  startStack,
  waitFor,
  type AgentProcess,
  type Stack,
} from "./harness";

type Api = Awaited<ReturnType<typeof signedInClient>>;

/** A TCP port where nothing listens (taken, then given back). */
async function vacantPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("graphical console tokens (real PostgreSQL)", () => {
  let stack: Stack;
  let url: string;
  let peer: Socket;
  let sim: AgentProcess | undefined;
  let member: Api;
  let reader: Api;
  let outsider: Api;
  let admin: Api;
  let displayPort: number;
  const vncAsked: string[] = [];
  let instanceId: string;
  let launchBase: { count: number; imageId: string; flavorId: string; networkId: string };

  beforeAll(async () => {
    stack = await startStack("postgres");
    url = stack.server.url;
    displayPort = await vacantPort();
    // A qemu host that builds whatever it is sent and says its guests' displays are at `displayPort`.
    peer = await protocolPeer(url, "qemu-peer", { hypervisorType: "qemu", heartbeat: true });
    const reports = reportSender(peer);
    const report = (instanceId: string, commandId: string, seq: number, phase: string) =>
      reports.report({ instanceId, commandId, seq, phase, powerState: phase === "active" ? "running" : "nostate", at: new Date().toISOString() });
    peer.on("instance.spawn", (command: { commandId: string; instance: { id: string } }, ack: (r: unknown) => void) => {
      ack({ ok: true });
      void (async () => {
        for (const [seq, phase] of ["networking", "block_device_mapping", "spawning", "active"].entries())
          await report(command.instance.id, command.commandId, seq, phase);
      })();
    });
    peer.on("instance.destroy", (command: { commandId: string; instanceId: string }, ack: (r: unknown) => void) => {
      ack({ ok: true });
      void report(command.instanceId, command.commandId, 100, "deleted");
    });
    peer.on("instance.vnc", (command: { instanceId: string }, ack: (r: unknown) => void) => {
      vncAsked.push(command.instanceId);
      ack({ ok: true, host: "127.0.0.1", port: displayPort });
    });

    await addUser(stack, { name: "member", project: "demo", role: "member" });
    await addUser(stack, { name: "reader", project: "demo", role: "reader" });
    await addUser(stack, { name: "outsider", project: "other", role: "member" });
    [member, reader, outsider, admin] = await Promise.all([
      signedInClient(url, "member", PERSONA_PASSWORD),
      signedInClient(url, "reader", PERSONA_PASSWORD),
      signedInClient(url, "outsider", PERSONA_PASSWORD),
      signedInClient(url),
    ]);
    const [flavors, images, networks] = await Promise.all([
      member.client.catalog.flavors.query(),
      member.client.catalog.images.query(),
      member.client.catalog.networks.query(),
    ]);
    launchBase = { count: 1, imageId: images[0]!.id, flavorId: flavors.find((f) => f.name === "m1.tiny")!.id, networkId: networks[0]!.id };
    // The peer is the only host: the member's instance lands there.
    instanceId = (await member.client.instances.launch.mutate({ ...launchBase, name: "vm" })).instanceIds[0]!;
    await waitFor("the instance ACTIVE", async () => (await member.client.instances.get.query({ id: instanceId })).instance.status === "ACTIVE");
  });
  afterAll(async () => {
    peer?.close();
    await sim?.stop();
    await stack?.stop();
  });

  const openConsole = (api: Api) => api.client.instances.remoteConsole.mutate({ id: instanceId, protocol: "vnc", type: "novnc" });

  it("a member gets a token for the guest's screen, good for one connection: the second one with it is refused", async () => {
    expect((await member.client.instances.get.query({ id: instanceId })).graphicalConsole).toEqual({ available: true });
    const before = Date.now();
    const console = await openConsole(member);
    expect(console).toMatchObject({ protocol: "vnc", type: "novnc", path: `/remote-console?token=${console.token}` });
    expect(console.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Ten minutes, as Nova's consoleauth token_ttl.
    expect(console.expiresAt.getTime() - before).toBeGreaterThanOrEqual(600_000 - 1_000);
    expect(console.expiresAt.getTime() - before).toBeLessThanOrEqual(600_000 + 5_000);
    expect(vncAsked).toContain(instanceId);

    // The proxy took the token and went for the display the host named (nothing listens there).
    const first = openConsoleSocket(url, console.token);
    expect(await first.opened).toBeNull();
    expect(await first.closed).toEqual({ code: REMOTE_CONSOLE_CLOSE.display, reason: "The guest's display could not be reached." });
    // Spent: the same token again gets no further than the exchange.
    const second = openConsoleSocket(url, console.token);
    expect(await second.opened).toBeNull();
    expect(await second.closed).toEqual({
      code: REMOTE_CONSOLE_CLOSE.tokenRefused,
      reason: "This console link was used already or is not valid: open the console again from the instance page.",
    });
    // And the row is gone: nothing a later request could exchange.
    const rows = await stack.server.database.db.select().from(schema.consoleAuthTokens).where(eq(schema.consoleAuthTokens.instanceId, instanceId));
    expect(rows).toEqual([]);
  });

  it("two connections racing with one token: exactly one is let through", async () => {
    const { token } = await openConsole(member);
    const racers = Array.from({ length: 8 }, () => openConsoleSocket(url, token));
    const closes = await Promise.all(racers.map((r) => r.closed));
    expect(closes.filter((c) => c.code === REMOTE_CONSOLE_CLOSE.display)).toHaveLength(1);
    expect(closes.filter((c) => c.code === REMOTE_CONSOLE_CLOSE.tokenRefused)).toHaveLength(7);
  });

  it("a token unused for ten minutes opens nothing", async () => {
    const { token, expiresAt } = await openConsole(member);
    const services = stack.server.services;
    expect(await redeemConsoleToken(services, token, new Date(expiresAt.getTime() + 1))).toEqual({
      ok: false,
      reason: "This console link expired: open the console again from the instance page.",
    });
    // Spent by the attempt, too: nothing left to try.
    expect(await redeemConsoleToken(services, token)).toMatchObject({ ok: false });
    // One just inside its time is good.
    const fresh = await openConsole(member);
    expect(await redeemConsoleToken(services, fresh.token, new Date(fresh.expiresAt.getTime() - 1))).toMatchObject({
      ok: true,
      target: { instanceId, host: "127.0.0.1", port: displayPort },
    });
  });

  it("only the instance's project's members get one: a reader is refused, another project's member is told there is no such instance", async () => {
    await expect(openConsole(reader)).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(openConsole(outsider)).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    // The reader still sees why: the page offers the screen, their role does not.
    expect((await reader.client.instances.get.query({ id: instanceId })).graphicalConsole).toEqual({ available: true });
    // Only vnc through noVNC is offered, named by the field.
    await expect(member.client.instances.remoteConsole.mutate({ id: instanceId, protocol: "spice" as "vnc", type: "novnc" })).rejects.toMatchObject({
      data: { code: "BAD_REQUEST", fieldErrors: { protocol: ["Only vnc consoles are offered."] } },
    });
  });

  it("a token whose session ended (signed out) opens nothing, nor one whose user now works in another project", async () => {
    const leaving = await signedInClient(url, "member", PERSONA_PASSWORD);
    const { token } = await openConsole(leaving);
    await leaving.client.auth.signOut.mutate();
    const socket = openConsoleSocket(url, token);
    expect(await socket.closed).toEqual({
      code: REMOTE_CONSOLE_CLOSE.tokenRefused,
      reason: "Your session ended (signed out, expired or revoked), and the console with it.",
    });

    // A member of two projects asks in demo, then switches the session to the other one.
    const { userId } = await addUser(stack, { name: "two-projects", project: "demo", role: "member" });
    const other = (await stack.server.database.db.query.projects.findFirst({ where: eq(schema.projects.name, "other") }))!;
    await stack.server.database.db.insert(schema.roleAssignments).values({ userId, projectId: other.id, role: "member" });
    const both = await signedInClient(url, "two-projects", PERSONA_PASSWORD);
    const moved = await both.client.instances.remoteConsole.mutate({ id: instanceId });
    await both.client.auth.switchProject.mutate({ projectId: other.id });
    expect(await openConsoleSocket(url, moved.token).closed).toEqual({
      code: REMOTE_CONSOLE_CLOSE.tokenRefused,
      reason: "You now work in another project: this instance's console is closed.",
    });
  });

  it("a script's API token may ask for one; once the API token is revoked, the console token opens nothing", async () => {
    const { token: apiToken, id } = await member.client.tokens.create.mutate({ name: "console-script" });
    const script = tokenClient(url, apiToken);
    const { token } = await script.instances.remoteConsole.mutate({ id: instanceId });
    const row = await stack.server.database.db.query.consoleAuthTokens.findFirst({
      where: and(eq(schema.consoleAuthTokens.instanceId, instanceId), eq(schema.consoleAuthTokens.apiTokenId, id)),
    });
    expect(row).toMatchObject({ credentialKind: "api_token", sessionTokenHash: null });
    await member.client.tokens.revoke.mutate({ id });
    expect((await openConsoleSocket(url, token).closed).reason).toBe("Your session ended (signed out, expired or revoked), and the console with it.");
  });

  it("the console's WebSocket refuses another origin's page and a plain request, and says why to a bad token", async () => {
    const { token } = await openConsole(member);
    expect(await openConsoleSocket(url, token, { origin: "http://evil.example" }).opened).toBe(403);
    // The refused handshake did not spend it.
    expect((await openConsoleSocket(url, token).closed).code).toBe(REMOTE_CONSOLE_CLOSE.display);
    expect((await openConsoleSocket(url, "not-a-token").closed).code).toBe(REMOTE_CONSOLE_CLOSE.tokenRefused);
    expect((await openConsoleSocket(url, "x".repeat(10_000)).closed).code).toBe(REMOTE_CONSOLE_CLOSE.tokenRefused);
    const plain = await fetch(`${url}${REMOTE_CONSOLE_WEBSOCKET_PATH}?token=${token}`);
    expect(plain.status).toBe(426);
    expect(plain.headers.get("upgrade")).toBe("websocket");
  });

  it("records who opened a console in the audit trail", async () => {
    const events = await admin.client.audit.list.query({ action: "instance.remote_console" });
    expect(events.find((e) => e.action === "instance.remote_console" && e.targetId === instanceId)).toMatchObject({
      actorName: "member",
      outcome: "success",
    });
  });

  it("an instance on libvirt's simulated hypervisor has no screen, and the page and the API say so in the same words", async () => {
    sim = startAgent(url, { hostname: "sim-1" });
    await waitFor("sim-1 registered", async () => (await admin.client.hosts.list.query()).some((h) => h.hostname === "sim-1" && h.state === "up"));
    const demo = (await stack.server.database.db.query.projects.findFirst({ where: eq(schema.projects.name, "demo") }))!;
    await admin.client.auth.switchProject.mutate({ projectId: demo.id });
    const simulated = (await admin.client.instances.launch.mutate({ ...launchBase, name: "sim-vm", availabilityZone: ":sim-1" })).instanceIds[0]!;
    await waitFor(
      "the simulated instance ACTIVE",
      async () => (await member.client.instances.get.query({ id: simulated })).instance.status === "ACTIVE",
    );
    const says = "No screen: sim-1 is simulated (libvirt's test driver), so its guests have no display to show.";
    expect((await member.client.instances.get.query({ id: simulated })).graphicalConsole).toEqual({ available: false, says });
    await expect(member.client.instances.remoteConsole.mutate({ id: simulated })).rejects.toMatchObject({
      data: { code: "CONFLICT" },
      message: says,
    });
  });

  it("the whole serial log downloads as a file for whoever may read the console, and for nobody else", async () => {
    // The guest prints 300 chunks: more than the instance page loads at once.
    let printed = "";
    for (let n = 0; n < 300; n++) {
      const data = `line ${n}\n`;
      expect(await peer.timeout(5000).emitWithAck("instance.console", { instanceId, offset: printed.length, data })).toEqual({ ok: true });
      printed += data;
    }
    const download = (cookie: string | null) => fetch(`${url}/api/instances/${instanceId}/console-log`, { headers: cookie ? { cookie } : {} });
    for (const who of [member, reader]) {
      const response = await download(who.cookie());
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(response.headers.get("content-disposition")).toBe('attachment; filename="vm-console.log"');
      expect(await response.text()).toBe(printed);
    }
    expect((await member.client.instances.console.query({ id: instanceId })).text).not.toContain("line 0\n");
    const outside = await download(outsider.cookie());
    expect(outside.status).toBe(404);
    expect(await outside.json()).toEqual({ error: { code: "NotFound", message: `Instance ${instanceId} could not be found.` } });
    expect((await download(null)).status).toBe(401);
  });

  it("a deleted instance's console token opens nothing", async () => {
    const { token } = await openConsole(member);
    await member.client.instances.delete.mutate({ id: instanceId });
    expect((await openConsoleSocket(url, token).closed).reason).toBe("The instance is being deleted: its console is closed.");
    await waitFor("the instance gone", async () => !(await member.client.instances.list.query()).some((i) => i.id === instanceId));
    await expect(openConsole(member)).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
  });
});
