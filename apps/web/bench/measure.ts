/** Shared by the benches: what each process of a run used (read from /proc), and how the web process reaches PostgreSQL. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { POSTGRES_ADMIN_URL } from "../test/harness";

/** USER_HZ, the unit of /proc/<pid>/stat's times (100 on Linux). */
const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
export function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** The PostgreSQL server processes serving the bench's database (when it runs on this machine). */
export async function postgresBackends(databaseUrl: string): Promise<number[]> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const sql = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    return (await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${name}`).map((r) => r.pid);
  } finally {
    await sql.end();
  }
}

/**
 * The web process reaches PostgreSQL the way a co-located deployment should: over its Unix
 * socket when there is one for the URL's port (`NIMBUS_BENCH_DB_TRANSPORT=tcp` keeps loopback
 * TCP, to compare).
 */
export function benchDatabaseUrl(url: string): { url: string; transport: "unix socket" | "tcp" } {
  const port = new URL(url).port || "5432";
  const socketDir = process.env.NIMBUS_BENCH_PG_SOCKET_DIR ?? "/var/run/postgresql";
  if (process.env.NIMBUS_BENCH_DB_TRANSPORT === "tcp" || !existsSync(path.join(socketDir, `.s.PGSQL.${port}`))) return { url, transport: "tcp" };
  const viaSocket = new URL(url);
  viaSocket.searchParams.set("host", socketDir);
  return { url: viaSocket.toString(), transport: "unix socket" };
}
