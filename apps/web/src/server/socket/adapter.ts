import { createAdapter } from "@socket.io/postgres-adapter";
import pg from "pg";
import type { Logger } from "pino";

/**
 * Fan-out across web processes that share one PostgreSQL: socket.io's own Postgres adapter
 * (LISTEN/NOTIFY), so a browser on one process hears a build whose agent talks to another, and
 * commands reach an agent connected anywhere.
 */
export async function postgresAdapter(databaseUrl: string, log: Logger) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  pool.on("error", (error) => log.error({ err: error }, "socket.io adapter pool error"));
  await pool.query(`
    create table if not exists socket_io_attachments (
      id bigserial unique,
      created_at timestamptz default now(),
      payload bytea
    )`);
  return {
    adapter: createAdapter(pool, { heartbeatInterval: 2_000, heartbeatTimeout: 6_000, errorHandler: (error) => log.error({ err: error }, "socket.io adapter error") }),
    close: () => pool.end(),
  };
}
