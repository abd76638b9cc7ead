import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase, type DatabaseHandle } from "@nimbus/db";
import { ADMIN_PASSWORD, AGENT_SECRET, repoRoot } from "./harness";

export interface WebProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A TCP port that is free right now, as the kernel hands it out (its ephemeral range), so a
 * test never collides with a service the machine happens to run (NATS on 4222, say).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * V8 flags the web process runs with, as `npm start` gives them (apps/web/package.json): a
 * 64 MB young generation, so the many short-lived objects of each request and report die
 * there instead of being scavenged every few milliseconds (launch bench, four interleaved
 * pairs: +8% to +11% launches/s, the web process's CPU per launch -9% to -11%, for about 80 MB
 * more peak memory).
 */
const WEB_NODE_FLAGS = ["--max-semi-space-size=64"];

/** A headless web process (API, sockets, conductor) of its own, as production runs it. */
export async function startWebProcess({
  port,
  databaseUrl,
  env = {},
  nodeArgs = [],
}: {
  port: number;
  databaseUrl: string;
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof for a benchmark. */
  nodeArgs?: string[];
}): Promise<WebProcess> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "nimbus-web-"));
  const child = spawn(process.execPath, [...WEB_NODE_FLAGS, ...nodeArgs, "--import", "tsx", path.join(repoRoot, "apps/web/src/server/main.ts")], {
    cwd: path.join(repoRoot, "apps/web"),
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "test",
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      NIMBUS_DATA_DIR: dataDir,
      NIMBUS_HEADLESS: "true",
      NIMBUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
      NIMBUS_AGENT_SECRET: AGENT_SECRET,
      NIMBUS_ORPHAN_GRACE_SECONDS: "1",
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // Printed to the terminal whatever the log level.
      if (output.includes("Nimbus console:")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`web process exited with ${code} before listening:\n${output.slice(-2000)}`)));
    setTimeout(() => reject(new Error(`web process did not start listening within 60 s:\n${output.slice(-2000)}`)), 60_000).unref();
  });
  await ready;
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    kill(signal: NodeJS.Signals = "SIGKILL") {
      return new Promise((resolve) => {
        const done = () => {
          rmSync(dataDir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", done);
        child.kill(signal);
      });
    },
  };
}

/** Direct database access for invariants, beside the processes under test. */
export function openTestDatabase(url: string): Promise<DatabaseHandle> {
  return openDatabase({ url, maxConnections: 2 });
}
