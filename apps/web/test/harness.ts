import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import type { Logger } from "pino";
import postgres from "postgres";
import superjson from "superjson";
import { io, type Socket } from "socket.io-client";
import { PROTOCOL_VERSION, reportsAckSchema } from "@nimbus/core/protocol/agent";
import { unpackBrowserMessage } from "@nimbus/core/protocol/browser";
import { startNimbusServer, type NimbusServer } from "../src/server/app";
import { loadEnv } from "../src/server/env";
import { createLogger } from "../src/server/logger";
import type { AppRouter } from "../src/server/trpc/router";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const ADMIN_PASSWORD = "integration-admin-pass";
export const AGENT_SECRET = "integration-agent-secret-0123456789";

export type Backend = "pglite" | "postgres";

/** The real Postgres these machines run; each test run gets its own database. */
export const POSTGRES_ADMIN_URL = process.env.NIMBUS_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface Stack {
  server: NimbusServer;
  dataDir: string;
  stop(): Promise<void>;
}

/** A fresh database on the machine's PostgreSQL, dropped by `drop()`. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `nimbus_test_${process.pid}_${Date.now()}`;
  const admin = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const sql = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists ${name} with (force)`);
      await sql.end();
    },
  };
}

/** Starts a headless web process (API + sockets + conductor) on a free port. */
export async function startStack(
  backend: Backend,
  overrides: Record<string, string> = {},
  /** The server's logger (to read what it logs); default: the web process's own, silent unless TEST_LOG_LEVEL says. */
  log?: Logger,
): Promise<Stack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "nimbus-test-"));
  const database = backend === "postgres" ? await freshDatabase() : null;
  const env = loadEnv({
    NODE_ENV: "test",
    PORT: "0",
    NIMBUS_DATA_DIR: dataDir,
    NIMBUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    NIMBUS_AGENT_SECRET: AGENT_SECRET,
    NIMBUS_HEADLESS: "true",
    NIMBUS_HOST_DOWN_AFTER_SECONDS: "6",
    NIMBUS_ORPHAN_GRACE_SECONDS: "1",
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...overrides,
  });
  const server = await startNimbusServer({ env, log: log ?? createLogger(process.env.TEST_LOG_LEVEL ?? "silent") });
  return {
    server,
    dataDir,
    async stop() {
      await server.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface AgentProcess {
  hostname: string;
  /** The agent's own directory (instances, image cache, volumes). */
  stateDir: string;
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The real compute agent as its own process, talking to `serverUrl` with the shared agent
 * secret; `env` adds or overrides its settings. Its output is kept when stdout/stderr are piped.
 */
export function spawnAgent(
  serverUrl: string,
  hostname: string,
  env: Record<string, string>,
  stdio: StdioOptions = ["ignore", "pipe", "pipe"],
  /** Extra node flags, e.g. --cpu-prof for a benchmark. */
  nodeArgs: string[] = [],
): { child: ChildProcess; output(): string } {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, "--import", "tsx", path.join(repoRoot, "apps/compute-agent/src/main.ts")], {
    cwd: path.join(repoRoot, "apps/compute-agent"),
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "test",
      NIMBUS_SERVER_URL: serverUrl,
      NIMBUS_AGENT_SECRET: AGENT_SECRET,
      NIMBUS_HOSTNAME: hostname,
      LOG_LEVEL: "info",
      ...env,
    },
    stdio,
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** Starts the real compute agent (libvirt test driver) as its own process. */
export function startAgent(
  serverUrl: string,
  { hostname, secret = AGENT_SECRET, env = {} }: { hostname: string; secret?: string; env?: Record<string, string> },
): AgentProcess {
  const stateDir = mkdtempSync(path.join(tmpdir(), `nimbus-agent-${hostname}-`));
  const { child, output } = spawnAgent(serverUrl, hostname, {
    NIMBUS_AGENT_SECRET: secret,
    NIMBUS_STATE_DIR: stateDir,
    NIMBUS_LIBVIRT_URI: "test:///default",
    NIMBUS_DISK_GB: "200",
    ...env,
  });
  return {
    hostname,
    stateDir,
    child,
    output,
    stop(signal: NodeJS.Signals = "SIGTERM") {
      return new Promise((resolve) => {
        const done = (code: number | null) => {
          rmSync(stateDir, { recursive: true, force: true });
          resolve(code);
        };
        // An agent that already exited (refused, killed) still leaves its state dir to remove.
        if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
        child.once("exit", done);
        child.kill(signal);
      });
    },
  };
}

/** A tRPC client that keeps its session cookie, as a browser would. */
export function apiClient(baseUrl: string) {
  let cookie: string | null = null;
  const client = createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${baseUrl}/api/trpc`,
        transformer: superjson,
        headers: () => (cookie ? { cookie } : {}),
        fetch: async (url, init) => {
          const response = await fetch(url, init as RequestInit);
          const setCookie = response.headers.get("set-cookie");
          if (setCookie) cookie = setCookie.split(";")[0] ?? null;
          return response;
        },
      }),
    ],
  });
  return { client, cookie: () => cookie };
}

export async function signedInClient(baseUrl: string, name = "admin", password = ADMIN_PASSWORD) {
  const api = apiClient(baseUrl);
  await api.client.auth.signIn.mutate({ name, password });
  return api;
}

/**
 * A browser-like socket.io connection that records what it receives. Its own connection: one
 * to the same server (an agent's, say) would otherwise be shared, without the cookie.
 */
export function browserSocket(baseUrl: string, cookie: string): { socket: Socket; received: { event: string; payload: unknown }[] } {
  const socket = io(baseUrl, { extraHeaders: { cookie }, transports: ["websocket"], forceNew: true });
  const received: { event: string; payload: unknown }[] = [];
  // One by one, as the console's hooks see them (see unpackBrowserMessage).
  socket.onAny((event: string, payload: unknown) => received.push(...unpackBrowserMessage(event, payload)));
  return { socket, received };
}

/** Calls `handler` with each announcement named `event` that `socket` receives, one by one, as the console's hooks see them. */
export function onAnnouncement(socket: Socket, event: string, handler: (payload: unknown) => void): void {
  socket.onAny((name: string, payload: unknown) => {
    for (const item of unpackBrowserMessage(name, payload)) if (item.event === event) handler(item.payload);
  });
}

/**
 * A hand-driven agent: a socket.io connection to `/agent` with the shared secret that registers
 * `hostname` (8 vCPUs and 8 GiB unless told) and then does only what the test makes it do. With `heartbeat`
 * it heartbeats every second as an agent does; without, its host goes down once silent for
 * the server's down-after time.
 */
/**
 * Sends reports as an agent does, in numbered `instance.reports` messages (the connection's next
 * number each time), and answers as a single command's ack would: ok, or the first refusal.
 */
export function reportSender(socket: Socket) {
  let n = 0;
  /** The number the next message takes, for a test that writes a message by hand. */
  const next = () => n++;
  return {
    next,
    async report(report: Record<string, unknown>): Promise<{ ok: true } | { ok: false; error: string }> {
      const ack = reportsAckSchema.parse(await socket.timeout(5000).emitWithAck("instance.reports", { n: next(), reports: [report] }));
      if (!ack.ok) return ack;
      return ack.refused[0] ? { ok: false, error: ack.refused[0].error } : { ok: true };
    },
  };
}

export function protocolPeer(
  baseUrl: string,
  hostname: string,
  {
    hypervisorType = "test",
    domains = [],
    heartbeat = false,
    vcpus = 8,
    memoryMb = 8192,
    tunnelAddress,
    secret = AGENT_SECRET,
  }: {
    hypervisorType?: "test" | "qemu";
    domains?: string[];
    heartbeat?: boolean;
    vcpus?: number;
    memoryMb?: number;
    tunnelAddress?: string;
    secret?: string;
  } = {},
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(`${baseUrl}/agent`, {
      auth: { secret, hostname, protocolVersion: PROTOCOL_VERSION, agentVersion: "test-peer" },
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    socket.on("connect", async () => {
      const ack = await socket.timeout(5000).emitWithAck("host.register", {
        hypervisorType,
        hypervisorUri: `${hypervisorType}:///peer`,
        cpuModel: "x86_64",
        vcpus,
        memoryMb,
        diskGb: 100,
        domains,
        ...(tunnelAddress ? { tunnelAddress } : {}),
      });
      if (!ack.ok) return reject(new Error(ack.error));
      if (heartbeat) {
        const beat = setInterval(() => socket.emit("host.heartbeat", {}), 1_000);
        socket.on("disconnect", () => clearInterval(beat));
      }
      resolve(socket);
    });
    socket.on("connect_error", reject);
  });
}

/** Waits for a condition that other processes make true; fails with `what` after the deadline. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export { TRPCClientError };

/** Adds a user with a role in a project (created if needed), straight in the database. */
export async function addUser(stack: Stack, { name, project, role }: { name: string; project: string; role: "reader" | "member" | "admin" }) {
  const { schema } = await import("@nimbus/db");
  const { hashPassword } = await import("@nimbus/core/identity");
  const { db } = stack.server.database;
  await db.insert(schema.projects).values({ name: project }).onConflictDoNothing();
  const projectRow = (await db.query.projects.findFirst({ where: (p, { eq }) => eq(p.name, project) }))!;
  const [user] = await db
    .insert(schema.users)
    .values({ name, passwordHash: await hashPassword(PERSONA_PASSWORD), defaultProjectId: projectRow.id })
    .returning();
  await db.insert(schema.roleAssignments).values({ userId: user!.id, projectId: projectRow.id, role });
  return { userId: user!.id, projectId: projectRow.id };
}

export const PERSONA_PASSWORD = "persona-password";

/** An image upload without Content-Length over a raw connection the test writes to chunk by chunk, and may hold open or cut. */
export function openUpload(baseUrl: string, imageId: string, cookie: string, headers: Record<string, string> = {}) {
  const url = new URL(`${baseUrl}/api/images/${imageId}/file`);
  const req = request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: "PUT",
    headers: { cookie, "content-type": "application/octet-stream", ...headers },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
  answer.catch(() => {});
  return { req, answer };
}
