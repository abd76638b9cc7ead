import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { POLICY } from "@nimbus/core/policy";
import { instanceChangedSchema } from "@nimbus/core/protocol/browser";
import { ADMIN_PASSWORD, addUser, freshDatabase, onAnnouncement, PERSONA_PASSWORD, signedInClient, startStack, waitFor, type Stack } from "./harness";

/**
 * A credential's end ends everything it opened (issue 21): live sockets go when their session or
 * API token is revoked, replaced by a password change or expired; the socket.io handshake obeys
 * the same origin rule as mutations; a token cannot mint a token; the sign-in lockout counts
 * attempts before it checks passwords; the per-address limit keys on the real client and slows
 * it down. Real servers on real PostgreSQL.
 */

/**
 * How soon a dropped credential's sockets must go: a second, as the issue asks, and a second
 * more for a machine busy with other tests. The stacks that test the push paths re-check
 * credentials only every 60 s, so a drop this soon is the push, not the backstop.
 */
const PROMPTLY_MS = 2_000;

interface Connect {
  cookie?: string;
  token?: string;
  origin?: string;
}

/** A browser-like socket (its own connection, no reconnection); rejects when the handshake is refused. */
function connect(baseUrl: string, { cookie, token, origin }: Connect): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(baseUrl, {
      extraHeaders: { ...(cookie ? { cookie } : {}), ...(origin ? { origin } : {}) },
      ...(token ? { auth: { token } } : {}),
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** When the server drops `socket` (Date.now()), or a failure after `withinMs`. */
function dropped(socket: Socket, withinMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still connected after ${withinMs} ms`)), withinMs);
    socket.once("disconnect", (reason) => {
      clearTimeout(timer);
      if (reason === "io server disconnect" || reason === "transport close") resolve(Date.now());
      else reject(new Error(`socket closed for another reason: ${reason}`));
    });
  });
}

/** A single (unbatched) tRPC mutation over HTTP, as a script or another page would send it. */
function post(baseUrl: string, procedure: string, input: unknown, headers: Record<string, string> = {}) {
  return fetch(`${baseUrl}/api/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ json: input }),
  });
}

async function whoamiWith(baseUrl: string, headers: Record<string, string>): Promise<unknown> {
  const response = await fetch(`${baseUrl}/api/trpc/auth.whoami`, { headers });
  return ((await response.json()) as { result?: { data?: { json?: unknown } } }).result?.data?.json ?? null;
}

describe("sockets, tokens, origins and sign-in throttling (two web processes, one PostgreSQL)", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let main: Stack;
  let twin: Stack;
  // The test client is the proxy (127.0.0.1): X-Forwarded-For says which client each request is for.
  const env = {
    NIMBUS_SOCKET_RECHECK_SECONDS: "60",
    NIMBUS_TRUSTED_PROXIES: "127.0.0.1/32",
    NIMBUS_LOCKOUT_MAX_FAILURES: "5",
    NIMBUS_LOCKOUT_MAX_FAILURES_PER_ADDRESS: "3",
  };
  beforeAll(async () => {
    database = await freshDatabase();
    // Both on one database made here ("pglite" only means startStack makes none of its own).
    main = await startStack("pglite", { ...env, DATABASE_URL: database.url });
    twin = await startStack("pglite", { ...env, DATABASE_URL: database.url });
    for (const name of ["carol", "gina", "henry", "ivan", "jill"]) await addUser(main, { name, project: "alpha", role: "member" });
  }, 90_000);
  afterAll(async () => {
    await twin?.stop();
    await main?.stop();
    await database?.drop();
  });

  it("drops a socket opened with an API token as soon as the token is revoked, and only that socket", async () => {
    const carol = await signedInClient(main.server.url, "carol", PERSONA_PASSWORD);
    const { id, token } = await carol.client.tokens.create.mutate({ name: "watcher" });
    const byToken = await connect(main.server.url, { token });
    const bySession = await connect(main.server.url, { cookie: carol.cookie()! });

    const revokedAt = Date.now();
    const drop = dropped(byToken, PROMPTLY_MS);
    await carol.client.tokens.revoke.mutate({ id });
    expect((await drop) - revokedAt).toBeLessThan(PROMPTLY_MS);
    expect(bySession.connected).toBe(true);
    await expect(connect(main.server.url, { token })).rejects.toThrow("unauthenticated");
    bySession.close();
  });

  it("a password change drops the user's other sessions' and tokens' sockets on every web process, keeps this session's, and refuses them", async () => {
    const here = await signedInClient(main.server.url, "gina", PERSONA_PASSWORD);
    const elsewhere = await signedInClient(twin.server.url, "gina", PERSONA_PASSWORD);
    const { token } = await here.client.tokens.create.mutate({ name: "ci" });
    const sockets = {
      // This session's socket sits on the other process: kept there too.
      kept: await connect(twin.server.url, { cookie: here.cookie()! }),
      otherSessionOnMain: await connect(main.server.url, { cookie: elsewhere.cookie()! }),
      otherSessionOnTwin: await connect(twin.server.url, { cookie: elsewhere.cookie()! }),
      tokenOnTwin: await connect(twin.server.url, { token }),
      tokenOnMain: await connect(main.server.url, { token }),
    };
    const changedAt = Date.now();
    const drops = [sockets.otherSessionOnMain, sockets.otherSessionOnTwin, sockets.tokenOnTwin, sockets.tokenOnMain].map((s) =>
      dropped(s, PROMPTLY_MS),
    );
    await here.client.auth.changePassword.mutate({ currentPassword: PERSONA_PASSWORD, newPassword: "gina-second-password" });
    for (const at of await Promise.all(drops)) expect(at - changedAt).toBeLessThan(PROMPTLY_MS);
    expect(sockets.kept.connected).toBe(true);

    expect(await here.client.auth.whoami.query()).toMatchObject({ userName: "gina" });
    expect(await elsewhere.client.auth.whoami.query()).toBeNull();
    expect(await whoamiWith(main.server.url, { authorization: `Bearer ${token}` })).toBeNull();
    expect((await here.client.tokens.list.query()).map((t) => t.state)).toEqual(["revoked"]);
    await expect(connect(main.server.url, { token })).rejects.toThrow("unauthenticated");
    await expect(connect(main.server.url, { cookie: elsewhere.cookie()! })).rejects.toThrow("unauthenticated");
    await expect(signedInClient(main.server.url, "gina", PERSONA_PASSWORD)).rejects.toThrow("Invalid user name or password.");
    expect(await (await signedInClient(main.server.url, "gina", "gina-second-password")).client.auth.whoami.query()).toMatchObject({
      userName: "gina",
    });
    sockets.kept.close();
  });

  it("drops a session's sockets at sign-out, on the other process too", async () => {
    const carol = await signedInClient(main.server.url, "carol", PERSONA_PASSWORD);
    const onTwin = await connect(twin.server.url, { cookie: carol.cookie()! });
    const signedOutAt = Date.now();
    const drop = dropped(onTwin, PROMPTLY_MS);
    await carol.client.auth.signOut.mutate();
    expect((await drop) - signedOutAt).toBeLessThan(PROMPTLY_MS);
  });

  it("refuses a socket handshake from another origin (another port, or https on this http server) and accepts this one", async () => {
    const carol = await signedInClient(main.server.url, "carol", PERSONA_PASSWORD);
    const cookie = carol.cookie()!;
    const url = new URL(main.server.url);
    const otherPort = `http://${url.hostname}:${Number(url.port) === 65535 ? 1 : Number(url.port) + 1}`;
    const https = `https://${url.host}`;
    for (const origin of [otherPort, https, "http://evil.example", "null"]) {
      await expect(connect(main.server.url, { cookie, origin }), origin).rejects.toThrow();
      const mutation = await post(main.server.url, "auth.switchProject", { projectId: crypto.randomUUID() }, { cookie, origin });
      expect(mutation.status, origin).toBe(403);
    }
    const same = await connect(main.server.url, { cookie, origin: url.origin });
    expect(same.connected).toBe(true);
    same.close();
    // Scripts and agents send no Origin at all.
    const script = await connect(main.server.url, { cookie });
    script.close();
  });

  it("an API token cannot mint a token (or call anything that needs a browser session)", async () => {
    const carol = await signedInClient(main.server.url, "carol", PERSONA_PASSWORD);
    const { token } = await carol.client.tokens.create.mutate({ name: "short", ttlMinutes: 5 });
    const before = (await carol.client.tokens.list.query()).length;
    const minted = await post(main.server.url, "tokens.create", { name: "forever", ttlMinutes: 30 * 24 * 60 }, { authorization: `Bearer ${token}` });
    expect(minted.status).toBe(403);
    expect(await minted.text()).toContain("An API token cannot do that");
    expect(await carol.client.tokens.list.query()).toHaveLength(before);
    const sessionOnly = Object.entries(POLICY)
      .filter(([, rule]) => rule === "session")
      .map(([target]) => target);
    expect(sessionOnly).toContain("tokens.create");
    for (const target of sessionOnly) {
      expect((await post(main.server.url, target, {}, { "x-auth-token": token })).status, target).toBe(403);
    }
  });

  it("40 parallel wrong passwords for one user (from 40 addresses) check exactly 5, and lock the user", async () => {
    const attempts = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        post(main.server.url, "auth.signIn", { name: "henry", password: `wrong-${i}` }, { "x-forwarded-for": `198.51.100.${i + 1}` }),
      ),
    );
    const statuses = attempts.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
    // Each checked password left one audit entry and one counted attempt; refusals left none.
    const admin = (await signedInClient(main.server.url, "admin", ADMIN_PASSWORD)).client;
    const trail = await admin.audit.list.query({ action: "auth.sign_in", limit: 500 });
    expect(trail.filter((e) => e.actorName === "henry" && e.outcome === "failure")).toHaveLength(5);
    const counted = await main.server.database.db.select().from(schema.signInAttempts).where(eq(schema.signInAttempts.userName, "henry"));
    expect(counted).toHaveLength(5);
    expect(counted.every((a) => !a.succeeded)).toBe(true);

    const right = await post(main.server.url, "auth.signIn", { name: "henry", password: PERSONA_PASSWORD }, { "x-forwarded-for": "198.51.100.200" });
    expect(right.status).toBe(429);
    expect(await right.text()).toContain("Too many failed sign-ins for this account");
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(14 * 60);
  });

  it("takes the client address from X-Forwarded-For only when the peer is a trusted proxy, reading it from the right", async () => {
    const signIn = (forwardedFor: string) =>
      post(main.server.url, "auth.signIn", { name: "ivan", password: PERSONA_PASSWORD }, { "x-forwarded-for": forwardedFor });
    expect((await signIn("203.0.113.9")).status).toBe(200);
    // A client that writes its own X-Forwarded-For only adds to the left of what the proxy appends.
    expect((await signIn("192.0.2.66, 203.0.113.10")).status).toBe(200);
    const admin = (await signedInClient(main.server.url, "admin", ADMIN_PASSWORD)).client;
    const ivan = (await admin.audit.list.query({ action: "auth.sign_in" })).filter((e) => e.actorName === "ivan");
    expect(ivan.map((e) => e.remoteAddress).sort()).toEqual(["203.0.113.10", "203.0.113.9"]);
  });

  it("slows an address down after its failures, doubling the wait, without locking out a user who signs in from elsewhere", async () => {
    const from = (address: string, name: string, password: string) =>
      post(main.server.url, "auth.signIn", { name, password }, { "x-forwarded-for": address });
    const office = "192.0.2.50";
    // A password spray from one address: three names, one wrong password each.
    for (const name of ["spray-1", "spray-2", "spray-3"]) expect((await from(office, name, "Winter2025!")).status).toBe(401);
    const slowed = await from(office, "jill", PERSONA_PASSWORD);
    expect(slowed.status).toBe(429);
    expect(await slowed.text()).toContain("Too many failed sign-ins from your address");
    expect(slowed.headers.get("retry-after")).toBe("1");
    // jill elsewhere is not held by that address.
    expect((await from("192.0.2.51", "jill", PERSONA_PASSWORD)).status).toBe(200);

    // Once the wait is over the address may try again; its next failure doubles the wait.
    await waitFor("the address to be let try again", async () => (await from(office, "spray-4", "Winter2025!")).status === 401, 5_000);
    const slower = await from(office, "jill", PERSONA_PASSWORD);
    expect(slower.status).toBe(429);
    expect(slower.headers.get("retry-after")).toBe("2");
    await waitFor("jill to sign in from the office after waiting", async () => (await from(office, "jill", PERSONA_PASSWORD)).status === 200, 6_000);
  });
});

describe("a session's socket ends with the session's idle lifetime", () => {
  let stack: Stack;
  beforeAll(async () => {
    // Idle 3 s; the backstop re-check is 60 s away, so an end this soon is the socket's own lapse timer.
    stack = await startStack("postgres", { NIMBUS_SESSION_IDLE_MINUTES: "0.05", NIMBUS_SOCKET_RECHECK_SECONDS: "60" });
    await addUser(stack, { name: "kim", project: "alpha", role: "member" });
  });
  afterAll(async () => stack?.stop());

  it("drops the socket of a session left idle within a second of its idle end, and ignores X-Forwarded-For from untrusted peers", async () => {
    const started = Date.now();
    const kim = await signedInClient(stack.server.url, "kim", PERSONA_PASSWORD);
    const signedIn = Date.now();
    const socket = await connect(stack.server.url, { cookie: kim.cookie()! });
    const at = await dropped(socket, 3_000 + PROMPTLY_MS + 2_000);
    expect(at - started).toBeGreaterThanOrEqual(3_000);
    expect(at - signedIn).toBeLessThan(3_000 + PROMPTLY_MS);
    expect(await kim.client.auth.whoami.query()).toBeNull();

    // No trusted proxies here: the header is the client's own word, and the peer is the client.
    const forged = await post(stack.server.url, "auth.signIn", { name: "kim", password: PERSONA_PASSWORD }, { "x-forwarded-for": "203.0.113.99" });
    expect(forged.status).toBe(200);
    const admin = (await signedInClient(stack.server.url, "admin", ADMIN_PASSWORD)).client;
    const kims = (await admin.audit.list.query({ action: "auth.sign_in" })).filter((e) => e.actorName === "kim");
    expect(kims.map((e) => e.remoteAddress)).toEqual(["127.0.0.1", "127.0.0.1"]);
  });
});

describe("a session's socket ends with the session's absolute lifetime; every socket's credential is re-checked", () => {
  let stack: Stack;
  beforeAll(async () => {
    // Absolute 7.2 s; re-checked every second.
    stack = await startStack("postgres", { NIMBUS_SESSION_ABSOLUTE_HOURS: "0.002", NIMBUS_SOCKET_RECHECK_SECONDS: "1" });
    await addUser(stack, { name: "lee", project: "alpha", role: "member" });
    await addUser(stack, { name: "mo", project: "alpha", role: "member" });
    await addUser(stack, { name: "nat", project: "beta", role: "member" });
  });
  afterAll(async () => stack?.stop());

  it("drops the socket of a session in use within a second of its absolute end", async () => {
    const started = Date.now();
    const lee = await signedInClient(stack.server.url, "lee", PERSONA_PASSWORD);
    const signedIn = Date.now();
    const socket = await connect(stack.server.url, { cookie: lee.cookie()! });
    const at = await dropped(socket, 7_200 + PROMPTLY_MS + 3_000);
    expect(at - started).toBeGreaterThanOrEqual(7_200);
    expect(at - signedIn).toBeLessThan(7_200 + PROMPTLY_MS);
    expect(await lee.client.auth.whoami.query()).toBeNull();
  });

  it("drops a socket whose token was revoked behind the server's back (no announcement) at the next re-check", async () => {
    const lee = await signedInClient(stack.server.url, "lee", PERSONA_PASSWORD);
    const { id, token } = await lee.client.tokens.create.mutate({ name: "backstop" });
    const socket = await connect(stack.server.url, { token });
    const revokedAt = Date.now();
    const drop = dropped(socket, 1_000 + PROMPTLY_MS);
    await stack.server.database.db.update(schema.apiTokens).set({ revokedAt: new Date() }).where(eq(schema.apiTokens.id, id));
    expect((await drop) - revokedAt).toBeLessThan(1_000 + PROMPTLY_MS);
  });

  it("moves a socket to the rooms its principal has now: a member made a cloud admin hears every project's instances", async () => {
    const mo = await signedInClient(stack.server.url, "mo", PERSONA_PASSWORD);
    const nat = await signedInClient(stack.server.url, "nat", PERSONA_PASSWORD);
    // Tokens, which outlive this stack's 7 s sessions.
    const moToken = (await mo.client.tokens.create.mutate({ name: "watch" })).token;
    const natToken = (await nat.client.tokens.create.mutate({ name: "launch" })).token;
    const [flavors, images, networks] = await Promise.all([
      nat.client.catalog.flavors.query(),
      nat.client.catalog.images.query(),
      nat.client.catalog.networks.query(),
    ]);
    const launch = { name: "beta-vm", count: 1, imageId: images[0]!.id, flavorId: flavors[0]!.id, networkId: networks[0]!.id };
    const socket = await connect(stack.server.url, { token: moToken });
    const heard = new Set<string>();
    onAnnouncement(socket, "instance.changed", (payload) => heard.add(instanceChangedSchema.parse(payload).id));

    const admin = (await signedInClient(stack.server.url, "admin", ADMIN_PASSWORD)).client;
    const moId = (await admin.users.list.query()).find((u) => u.name === "mo")!.id;
    const alpha = (await admin.projects.list.query()).find((p) => p.name === "alpha")!.id;
    await admin.roles.assign.mutate({ userId: moId, projectId: alpha, role: "admin" });

    // A launch in beta every half second, until one is heard on mo's socket (the re-check is every second).
    const launched = new Set<string>();
    let lastLaunch = 0;
    await waitFor(
      "mo's socket to hear beta's instances",
      async () => {
        if (Date.now() - lastLaunch >= 500) {
          lastLaunch = Date.now();
          const response = await post(stack.server.url, "instances.launch", launch, { authorization: `Bearer ${natToken}` });
          const body = (await response.json()) as { result: { data: { json: { instanceIds: string[] } } } };
          for (const id of body.result.data.json.instanceIds) launched.add(id);
        }
        return [...heard].some((id) => launched.has(id));
      },
      5_000,
    );
    expect(socket.connected).toBe(true);
    socket.close();
  });
});
