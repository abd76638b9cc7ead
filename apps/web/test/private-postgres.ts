import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./processes";

/**
 * A PostgreSQL server of a test's own (initdb in a temporary directory, on a free port), so the
 * test may stop and start it as an operator restarts a database, without touching the machine's
 * server that every other test shares. Run as the `postgres` user when the test runs as root
 * (PostgreSQL refuses to run as root).
 */
export interface PrivatePostgres {
  /** postgres://…/postgres on this server. */
  url: string;
  stop(mode?: "fast" | "immediate"): void;
  start(): void;
  /** `pg_ctl restart` (fast: open transactions are rolled back, connections cut), as an operator restarts it. */
  restart(): void;
  destroy(): void;
}

function binDir(): string {
  const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error("PostgreSQL's server binaries are not installed (/usr/lib/postgresql/*/bin)");
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const asRoot = process.getuid?.() === 0;
  const run = (tool: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : path.join(bin, tool), asRoot ? ["-u", "postgres", "--", path.join(bin, tool), ...args] : args, {
      stdio: ["ignore", "pipe", "pipe"],
    });
  const dir = mkdtempSync(path.join(tmpdir(), "nimbus-pg-"));
  if (asRoot)
    chownSync(
      dir,
      Number(execFileSync("id", ["-u", "postgres"]).toString().trim()),
      Number(execFileSync("id", ["-g", "postgres"]).toString().trim()),
    );
  const data = path.join(dir, "data");
  const port = await freePort();
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = () => void run("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-w", "start"]);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: (mode = "fast") => void run("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]),
    start,
    restart: () => void run("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-m", "fast", "-w", "restart"]),
    destroy() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
