/**
 * The graphical console of a real guest, end to end: two web processes share one PostgreSQL, a
 * compute agent on qemu:///system (TCG) boots the test guest, and a console opened through
 * either process's proxy speaks to the guest's own VNC server (QEMU's: its RFB greeting, its
 * desktop named after the domain, its framebuffer). A console ends with the credential that
 * opened it, on whichever process holds it: sign-out on one process closes the console on the
 * other at once (not at the next re-check, which is a minute away here), as does revoking the
 * API token it was opened with, or a password change that ends the user's other sessions;
 * another session's console stays open. Deleting the instance closes its console.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema, type DatabaseHandle } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { hashPassword } from "@nimbus/core/identity";
import { REMOTE_CONSOLE_CLOSE } from "@nimbus/core/protocol/http";
import { openConsoleSocket, rfbHandshake, tokenClient, type ConsoleSocket } from "./console-socket";
import { freshDatabase, PERSONA_PASSWORD, signedInClient, waitFor, type AgentProcess } from "./harness";
import { freePort, openTestDatabase, startWebProcess, type WebProcess } from "./processes";
import { prepareRealHypervisor, startQemuAgent, uploadTestGuest } from "./test-guest";

type Api = Awaited<ReturnType<typeof signedInClient>>;

describe("graphical console of a real guest (qemu, two web processes, real PostgreSQL)", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let handle: DatabaseHandle;
  let a: WebProcess;
  let b: WebProcess;
  let agent: Pick<AgentProcess, "child" | "stateDir" | "output"> | undefined;
  let instanceId: string;
  const imageStore = mkdtempSync(path.join(tmpdir(), "nimbus-images-"));
  // The re-check is a minute away: a console that closes sooner was cut off, not re-checked.
  const env = { NIMBUS_IMAGE_STORE: imageStore, NIMBUS_SOCKET_RECHECK_SECONDS: "60", NIMBUS_HOST_DOWN_AFTER_SECONDS: "10" };
  const sockets: ConsoleSocket[] = [];

  /** A member of demo, straight in the database, signed in on `url`. */
  async function member(name: string, url: string): Promise<Api> {
    const demo = (await handle.db.query.projects.findFirst({ where: eq(schema.projects.name, "demo") }))!;
    const existing = await handle.db.query.users.findFirst({ where: eq(schema.users.name, name) });
    if (!existing) {
      const [user] = await handle.db
        .insert(schema.users)
        .values({ name, passwordHash: await hashPassword(PERSONA_PASSWORD), defaultProjectId: demo.id })
        .returning();
      await handle.db.insert(schema.roleAssignments).values({ userId: user!.id, projectId: demo.id, role: "member" });
    }
    return signedInClient(url, name, PERSONA_PASSWORD);
  }

  /** A console of the instance opened by `api` and connected through `url`'s proxy, past the RFB handshake. */
  async function liveConsole(api: { instances: Api["client"]["instances"] }, url: string) {
    const { token } = await api.instances.remoteConsole.mutate({ id: instanceId });
    const socket = openConsoleSocket(url, token);
    sockets.push(socket);
    const handshake = await rfbHandshake(socket);
    return { socket, handshake };
  }

  beforeAll(async () => {
    prepareRealHypervisor();
    database = await freshDatabase();
    // One after the other: the first applies the migrations.
    a = await startWebProcess({ port: await freePort(), databaseUrl: database.url, env });
    b = await startWebProcess({ port: await freePort(), databaseUrl: database.url, env });
    handle = await openTestDatabase(database.url);
    agent = startQemuAgent(a.url, "qemu-console");
    const admin = await signedInClient(a.url);
    await waitFor(
      "the qemu host up",
      async () => (await admin.client.hosts.list.query()).find((h) => h.hostname === "qemu-console")?.state === "up",
      60_000,
    );
    // The guest belongs to demo: the admin works there to upload and launch it.
    const demo = (await handle.db.query.projects.findFirst({ where: eq(schema.projects.name, "demo") }))!;
    await admin.client.auth.switchProject.mutate({ projectId: demo.id });
    const { imageId } = await uploadTestGuest(a.url, admin, "console-guest");
    const [flavors, networks] = await Promise.all([admin.client.catalog.flavors.query(), admin.client.catalog.networks.query()]);
    instanceId = (
      await admin.client.instances.launch.mutate({
        name: "console-guest",
        count: 1,
        imageId,
        flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
        networkId: networks.find((n) => n.name === "shared-net")!.id,
      })
    ).instanceIds[0]!;
    await waitFor("the guest ACTIVE", async () => (await admin.client.instances.get.query({ id: instanceId })).instance.status === "ACTIVE", 180_000);
  }, 300_000);

  afterAll(async () => {
    for (const { socket } of sockets) socket.terminate();
    if (agent && agent.child.exitCode === null) {
      agent.child.kill("SIGTERM");
      await new Promise((resolve) => agent!.child.once("exit", resolve));
    }
    if (agent) rmSync(agent.stateDir, { recursive: true, force: true });
    await a?.kill();
    await b?.kill();
    await handle?.close();
    await database?.drop();
    rmSync(imageStore, { recursive: true, force: true });
  });

  it("through either web process, the console is the guest's own display: QEMU's greeting, a desktop named after the domain, its screen", async () => {
    const ann = await member("ann", a.url);
    for (const url of [a.url, b.url]) {
      const { socket, handshake } = await liveConsole(ann.client, url);
      expect(handshake).toMatchObject({ version: "RFB 003.008\n", updateType: 0 });
      expect(handshake.name).toContain(`nimbus-${instanceId}`);
      expect(handshake.width).toBeGreaterThan(0);
      expect(handshake.height).toBeGreaterThan(0);
      socket.socket.close();
      await socket.closed;
    }
  });

  it("signing out on one process closes the console open on the other at once; another session's console stays open", async () => {
    const ann = await member("ann", a.url);
    const bob = await member("bob", a.url);
    const anns = await liveConsole(ann.client, b.url);
    const bobs = await liveConsole(bob.client, b.url);

    const started = Date.now();
    await ann.client.auth.signOut.mutate();
    expect(await anns.socket.closed).toEqual({
      code: REMOTE_CONSOLE_CLOSE.cutOff,
      reason: "You signed out, and the console closed with your session.",
    });
    // Well before the re-check a minute away.
    expect(Date.now() - started).toBeLessThan(10_000);

    // Bob's console still carries the screen: ask for the whole of it again, and more arrives.
    const before = bobs.socket.received().length;
    const request = Buffer.from([3, 0, 0, 0, 0, 0, 0, 8, 0, 8]);
    bobs.socket.socket.send(request);
    await bobs.socket.bytes(before + 1);
    expect(bobs.socket.socket.readyState).toBe(bobs.socket.socket.OPEN);
    bobs.socket.socket.close();
    await bobs.socket.closed;
  });

  it("revoking the API token a console was opened with closes it, on the other process", async () => {
    const ann = await member("ann", a.url);
    const { token: apiToken, id } = await ann.client.tokens.create.mutate({ name: "console" });
    const { socket } = await liveConsole(tokenClient(a.url, apiToken), b.url);
    await ann.client.tokens.revoke.mutate({ id });
    expect(await socket.closed).toEqual({ code: REMOTE_CONSOLE_CLOSE.cutOff, reason: "The API token this console was opened with was revoked." });
  });

  it("a password change closes the consoles of the user's other sessions, not the one that changed it", async () => {
    const laptop = await member("cat", a.url);
    const desktop = await member("cat", a.url);
    const onLaptop = await liveConsole(laptop.client, b.url);
    const onDesktop = await liveConsole(desktop.client, a.url);
    await desktop.client.auth.changePassword.mutate({ currentPassword: PERSONA_PASSWORD, newPassword: "a-new-password-for-cat" });
    expect(await onLaptop.socket.closed).toEqual({
      code: REMOTE_CONSOLE_CLOSE.cutOff,
      reason: "Your session ended (signed out, expired or revoked), and the console with it.",
    });
    const before = onDesktop.socket.received().length;
    onDesktop.socket.socket.send(Buffer.from([3, 0, 0, 0, 0, 0, 0, 8, 0, 8]));
    await onDesktop.socket.bytes(before + 1);
    expect(onDesktop.socket.socket.readyState).toBe(onDesktop.socket.socket.OPEN);
    onDesktop.socket.socket.close();
    await onDesktop.socket.closed;
  });

  it("deleting the instance closes its console: the guest's display goes away", async () => {
    const ann = await member("ann", a.url);
    const { socket } = await liveConsole(ann.client, b.url);
    await ann.client.instances.delete.mutate({ id: instanceId });
    expect(await socket.closed).toEqual({ code: REMOTE_CONSOLE_CLOSE.display, reason: "The guest's display closed the connection." });
    // The host reports the delete once the domain, its files and its network plumbing are gone.
    await waitFor("the instance gone", async () => !(await ann.client.instances.list.query()).some((i) => i.id === instanceId), 60_000);
  });
});
