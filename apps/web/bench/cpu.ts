/** CPU accounting shared by the benches: what each process of a run used, read from /proc. */
import { readFileSync } from "node:fs";
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
