import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instanceChangedSchema } from "@nimbus/core/protocol/browser";
import { ADMIN_PASSWORD, addUser, apiClient, onAnnouncement, PERSONA_PASSWORD, signedInClient, startStack, waitFor, type Stack } from "./harness";

async function rawPost(url: string, body: string, headers: Record<string, string>) {
  return fetch(url, { method: "POST", body, headers });
}

function connect(baseUrl: string, cookie: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(baseUrl, { extraHeaders: { cookie }, transports: ["websocket"], reconnection: false });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

describe("sessions, lockout, tokens and isolation", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack("postgres", {
      NIMBUS_SESSION_IDLE_MINUTES: "0.05",
      NIMBUS_SESSION_ABSOLUTE_HOURS: "0.001",
      NIMBUS_LOCKOUT_MAX_FAILURES: "3",
    });
    await addUser(stack, { name: "carol", project: "alpha", role: "member" });
    await addUser(stack, { name: "dave", project: "beta", role: "member" });
    await addUser(stack, { name: "erin", project: "alpha", role: "reader" });
  });
  afterAll(async () => stack?.stop());

  it("issues a new session token at every sign-in (no fixation) and revokes it at sign-out", async () => {
    const first = await signedInClient(stack.server.url, "carol", PERSONA_PASSWORD);
    const second = await signedInClient(stack.server.url, "carol", PERSONA_PASSWORD);
    expect(first.cookie()).not.toBe(second.cookie());
    expect(first.cookie()).toMatch(/^nimbus_session=[A-Za-z0-9_-]{43}$/);

    const socket = await connect(stack.server.url, first.cookie()!);
    const stolen = first.cookie()!;
    await first.client.auth.signOut.mutate();
    await waitFor("the signed-out session's socket to be dropped", () => socket.disconnected);
    const replay = apiClient(stack.server.url);
    const response = await fetch(`${stack.server.url}/api/trpc/auth.whoami`, { headers: { cookie: stolen } });
    expect(await response.json()).toMatchObject({ result: { data: { json: null } } });
    await expect(replay.client.instances.list.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    expect(await second.client.auth.whoami.query()).toMatchObject({ userName: "carol" });
  });

  it("expires idle sessions and sessions past their absolute lifetime", async () => {
    const idle = await signedInClient(stack.server.url, "carol", PERSONA_PASSWORD);
    expect(await idle.client.auth.whoami.query()).not.toBeNull();
    // idle timeout is 3 s and absolute 3.6 s here: past both, the session is gone.
    await waitFor("the session to expire", async () => (await idle.client.auth.whoami.query()) === null, 10_000);
  });

  it("locks a user name after repeated failures, the same way whether or not it exists, until an admin unlocks it", async () => {
    const anonymous = apiClient(stack.server.url).client;
    for (const name of ["dave", "nobody-here"]) {
      for (let i = 0; i < 3; i++) {
        await expect(anonymous.auth.signIn.mutate({ name, password: "wrong-password" })).rejects.toThrow("Invalid user name or password.");
      }
      await expect(anonymous.auth.signIn.mutate({ name, password: PERSONA_PASSWORD })).rejects.toMatchObject({
        message: expect.stringMatching(/^Too many failed sign-ins for this account\. Try again in 15 minutes/),
        data: { code: "TOO_MANY_REQUESTS" },
      });
    }
    const admin = (await signedInClient(stack.server.url, "admin", ADMIN_PASSWORD)).client;
    const dave = (await admin.users.list.query()).find((u) => u.name === "dave")!;
    await admin.users.unlock.mutate({ id: dave.id });
    expect(await (await signedInClient(stack.server.url, "dave", PERSONA_PASSWORD)).client.auth.whoami.query()).toMatchObject({ userName: "dave" });
    const trail = await admin.audit.list.query({ action: "auth.sign_in" });
    expect(trail.filter((e) => e.actorName === "nobody-here" && e.outcome === "failure")).toHaveLength(3);
  });

  it("cuts a disabled user off at once: sessions, API tokens and live sockets", async () => {
    await addUser(stack, { name: "frank", project: "alpha", role: "member" });
    const frank = await signedInClient(stack.server.url, "frank", PERSONA_PASSWORD);
    const { token } = await frank.client.tokens.create.mutate({ name: "ci" });
    const socket = await connect(stack.server.url, frank.cookie()!);
    const admin = (await signedInClient(stack.server.url, "admin", ADMIN_PASSWORD)).client;
    const id = (await admin.users.list.query()).find((u) => u.name === "frank")!.id;
    await admin.users.setEnabled.mutate({ id, enabled: false });
    await waitFor("frank's socket to be dropped", () => socket.disconnected);
    expect(await frank.client.auth.whoami.query()).toBeNull();
    const byToken = await fetch(`${stack.server.url}/api/trpc/instances.list`, { headers: { authorization: `Bearer ${token}` } });
    expect(byToken.status).toBe(401);
    await expect(signedInClient(stack.server.url, "frank", PERSONA_PASSWORD)).rejects.toThrow("Invalid user name or password.");
  });

  it("accepts project-scoped API tokens in a header until they are revoked", async () => {
    const carol = await signedInClient(stack.server.url, "carol", PERSONA_PASSWORD);
    const created = await carol.client.tokens.create.mutate({ name: "script" });
    expect(created.token).toMatch(/^nimbus_/);
    expect(new Date(created.expiresAt).getTime() - Date.now()).toBeGreaterThan(59 * 60_000);
    const headerSets: Record<string, string>[] = [{ authorization: `Bearer ${created.token}` }, { "x-auth-token": created.token }];
    for (const headers of headerSets) {
      const response = await fetch(`${stack.server.url}/api/trpc/auth.whoami`, { headers });
      expect(await response.json()).toMatchObject({ result: { data: { json: { userName: "carol", projectName: "alpha" } } } });
    }
    expect((await carol.client.tokens.list.query()).find((t) => t.id === created.id)?.state).toBe("active");
    await carol.client.tokens.revoke.mutate({ id: created.id });
    const after = await fetch(`${stack.server.url}/api/trpc/instances.list`, { headers: { authorization: `Bearer ${created.token}` } });
    expect(after.status).toBe(401);
  });

  it("refuses mutations that are not JSON or come from another origin", async () => {
    const carol = await signedInClient(stack.server.url, "carol", PERSONA_PASSWORD);
    const url = `${stack.server.url}/api/trpc/tokens.create`;
    const before = (await carol.client.tokens.list.query()).length;
    const form = await rawPost(url, "name=x", { cookie: carol.cookie()!, "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    const crossSite = await rawPost(url, JSON.stringify({ json: { name: "x" } }), {
      cookie: carol.cookie()!,
      "content-type": "application/json",
      origin: "https://evil.example",
    });
    expect(crossSite.status).toBe(403);
    const viaGet = await fetch(`${url}?input=${encodeURIComponent(JSON.stringify({ json: { name: "x" } }))}`, {
      headers: { cookie: carol.cookie()! },
    });
    expect(viaGet.status).toBe(405);
    expect(await carol.client.tokens.list.query()).toHaveLength(before);
  });

  it("sends a browser only the events of its own project, and a cloud admin every project's instance states", async () => {
    const carol = await signedInClient(stack.server.url, "carol", PERSONA_PASSWORD);
    const dave = await signedInClient(stack.server.url, "dave", PERSONA_PASSWORD);
    const admin = await signedInClient(stack.server.url, "admin", ADMIN_PASSWORD);
    const seen: Record<string, string[]> = { carol: [], dave: [], admin: [] };
    let adminEvents = 0;
    const sockets = await Promise.all([carol, dave, admin].map((user) => connect(stack.server.url, user.cookie()!)));
    onAnnouncement(sockets[0]!, "instance.changed", (p) => seen.carol!.push(instanceChangedSchema.parse(p).id));
    onAnnouncement(sockets[1]!, "instance.changed", (p) => seen.dave!.push(instanceChangedSchema.parse(p).id));
    onAnnouncement(sockets[2]!, "instance.changed", (p) => seen.admin!.push(instanceChangedSchema.parse(p).id));
    onAnnouncement(sockets[2]!, "instance.event", () => adminEvents++);
    const [flavors, images, networks] = await Promise.all([
      carol.client.catalog.flavors.query(),
      carol.client.catalog.images.query(),
      carol.client.catalog.networks.query(),
    ]);
    const input = { count: 1, imageId: images[0]!.id, flavorId: flavors[0]!.id, networkId: networks[0]!.id };
    const a = await carol.client.instances.launch.mutate({ ...input, name: "alpha-vm" });
    const b = await dave.client.instances.launch.mutate({ ...input, name: "beta-vm" });
    await waitFor("both to see their own instance reach ERROR (no hosts here)", () => seen.carol!.length >= 2 && seen.dave!.length >= 2);
    expect(new Set(seen.carol)).toEqual(new Set(a.instanceIds));
    expect(new Set(seen.dave)).toEqual(new Set(b.instanceIds));
    // The admin (scoped to neither project) gets each state change once, and no project's events.
    await waitFor("the admin to see every change", () => seen.admin!.length === seen.carol!.length + seen.dave!.length);
    expect([...seen.admin!].sort()).toEqual([...seen.carol!, ...seen.dave!].sort());
    expect(adminEvents).toBe(0);
    await expect(dave.client.instances.get.query({ id: a.instanceIds[0]! })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    for (const s of sockets) s.close();
  });

  it("lets a user switch project only to one they belong to, and change their own password", async () => {
    const admin = (await signedInClient(stack.server.url, "admin", ADMIN_PASSWORD)).client;
    const users = await admin.users.list.query();
    const projects = await admin.projects.list.query();
    const carolId = users.find((u) => u.name === "carol")!.id;
    const beta = projects.find((p) => p.name === "beta")!;
    const carol = await signedInClient(stack.server.url, "carol", PERSONA_PASSWORD);
    await expect(carol.client.auth.switchProject.mutate({ projectId: beta.id })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    await admin.roles.assign.mutate({ userId: carolId, projectId: beta.id, role: "reader" });
    expect((await carol.client.auth.projects.query()).map((p) => `${p.name}:${p.role}`).sort()).toEqual(["alpha:member", "beta:reader"]);
    await carol.client.auth.switchProject.mutate({ projectId: beta.id });
    expect(await carol.client.auth.whoami.query()).toMatchObject({ projectName: "beta", role: "reader" });

    await expect(carol.client.auth.changePassword.mutate({ currentPassword: "nope", newPassword: "a-long-new-password" })).rejects.toMatchObject({
      data: { code: "BAD_REQUEST" },
    });
    await carol.client.auth.changePassword.mutate({ currentPassword: PERSONA_PASSWORD, newPassword: "a-long-new-password" });
    expect(await carol.client.auth.whoami.query()).not.toBeNull();
    await expect(signedInClient(stack.server.url, "carol", PERSONA_PASSWORD)).rejects.toThrow("Invalid user name or password.");
    expect((await admin.audit.list.query({ action: "role.assign" }))[0]).toMatchObject({
      actorName: "admin",
      projectName: "beta",
      outcome: "success",
    });
  });

  it("lets admins override quotas, audited", async () => {
    const admin = (await signedInClient(stack.server.url, "admin", ADMIN_PASSWORD)).client;
    const alpha = (await admin.projects.list.query()).find((p) => p.name === "alpha")!;
    const updated = await admin.quotas.set.mutate({ projectId: alpha.id, limits: { instances: 2, cores: -1 } });
    expect(updated.limits).toMatchObject({ instances: 2, cores: -1, ram: 51_200 });
    await expect(admin.quotas.set.mutate({ projectId: alpha.id, limits: { instances: -5 } })).rejects.toMatchObject({
      data: { code: "BAD_REQUEST" },
    });
    expect((await admin.audit.list.query({ action: "quota.set" }))[0]?.details).toEqual({ limits: { instances: 2, cores: -1 } });
  });
});
