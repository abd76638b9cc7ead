import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import * as schema from "./schema/index";

export type Schema = typeof schema;
/** The one database type core works with, whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** A database handle or a transaction already open: verbs accept either. */
export type Executor = Database | Transaction;

export interface DatabaseOptions {
  /** postgres:// URL; when absent an embedded PGlite under `dataDir` is used. */
  url?: string | undefined;
  /** Directory for the embedded database (ignored with `url`). */
  dataDir?: string | undefined;
  /** Max pooled connections for postgres.js. */
  maxConnections?: number;
  /** PostgreSQL's application_name for these connections (what pg_stat_activity shows); postgres.js by default. */
  applicationName?: string;
  /** Apply pending migrations (default); off for a second handle on a database already opened. */
  migrate?: boolean;
}

export interface DatabaseHandle {
  db: Database;
  driver: "postgres" | "pglite";
  close(): Promise<void>;
}

export const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "drizzle");

/**
 * Opens the database and applies pending migrations: postgres.js with a URL, otherwise an
 * embedded PGlite persisted in `dataDir`.
 */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const { default: postgres } = await import("postgres");
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const { migrate } = await import("drizzle-orm/postgres-js/migrator");
    const { url, host } = withSocketHost(options.url);
    const sql = postgres(url, {
      max: options.maxConnections ?? 20,
      onnotice: () => {},
      ...(host ? { host } : {}),
      ...(options.applicationName ? { connection: { application_name: options.applicationName } } : {}),
    });
    const db = drizzle(alwaysPrepared(sql), { schema });
    if (options.migrate !== false) await migrate(db, { migrationsFolder });
    return { db: db as unknown as Database, driver: "postgres", close: () => sql.end({ timeout: 5 }) };
  }
  if (!options.dataDir) throw new Error("openDatabase needs a url or a dataDir");
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  ownerOnly(options.dataDir);
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const client = await PGlite.create(options.dataDir);
  const db = drizzle(client, { schema });
  if (options.migrate !== false) await migrate(db, { migrationsFolder });
  // PGlite (Emscripten's file system) creates its files 0666: take what it just made back too.
  ownerOnly(options.dataDir);
  return { db: db as unknown as Database, driver: "pglite", close: () => client.close() };
}

/**
 * The embedded database is its user's alone: the directory 0700 (so nothing PGlite writes later
 * is reachable by others), and every directory 0700 and file 0600 in it as it is now.
 */
function ownerOnly(dir: string): void {
  const walk = (entry: string): void => {
    const stat = lstatSync(entry);
    if (stat.isSymbolicLink()) return;
    const mode = stat.isDirectory() ? 0o700 : 0o600;
    if ((stat.mode & 0o777) !== mode) chmodSync(entry, mode);
    if (stat.isDirectory()) for (const name of readdirSync(entry)) walk(path.join(entry, name));
  };
  walk(dir);
}

/**
 * libpq's `host` query parameter (`postgres://user@localhost/db?host=/var/run/postgresql`), the
 * form node-postgres (the socket.io adapter's driver) understands too: a directory there means
 * PostgreSQL's Unix socket, which costs far less per round trip than loopback TCP when the
 * database runs on the same machine. postgres.js would send it as a server setting, so it is
 * taken out of the URL and given as its own option.
 */
function withSocketHost(databaseUrl: string): { url: string; host: string | null } {
  const url = new URL(databaseUrl);
  const host = url.searchParams.get("host");
  if (host === null) return { url: databaseUrl, host: null };
  url.searchParams.delete("host");
  return { url: url.toString(), host };
}

/** The parts of a postgres.js client (or of a transaction's) that drizzle calls. */
interface PostgresClient {
  unsafe(query: string, args?: unknown[], options?: object): unknown;
  begin(options: unknown, fn?: (tx: PostgresClient) => unknown): unknown;
  savepoint?(options: unknown, fn?: (tx: PostgresClient) => unknown): unknown;
}

/**
 * drizzle asks postgres.js for an unnamed statement (`prepare: false`) unless a query was given
 * a name, and postgres.js then describes every statement with parameters in a round trip of its
 * own before it binds and runs it: two round trips and a parse per query. Named statements are
 * prepared once per connection and cached, so every later run is one round trip. Applies to the
 * transactions and savepoints opened through the client too.
 */
function alwaysPrepared<T>(client: T): T {
  const sql = client as unknown as PostgresClient;
  const { unsafe, begin, savepoint } = sql;
  type Scope = NonNullable<PostgresClient["savepoint"]>;
  const scoped =
    (open: Scope): Scope =>
    (options, fn) =>
      fn === undefined
        ? open((tx: PostgresClient) => (options as (tx: PostgresClient) => unknown)(alwaysPrepared(tx)))
        : open(options, (tx: PostgresClient) => fn(alwaysPrepared(tx)));
  sql.unsafe = (query, args, options) =>
    Array.isArray(args) || args === undefined
      ? unsafe(query, args ?? [], { ...options, prepare: true })
      : unsafe(query, [], { ...(args as object), prepare: true });
  sql.begin = scoped(begin);
  if (savepoint) sql.savepoint = scoped(savepoint);
  return client;
}
