import { createAdapter } from "@socket.io/postgres-adapter";
import pg from "pg";
import type { Logger } from "pino";

/** Socket.io's cluster message type of a broadcast (MessageType.BROADCAST in socket.io-adapter). */
const BROADCAST = 3;
const CHANNEL_PREFIX = "socket.io";
/** As the adapter's own payloadThreshold: larger messages go through its attachment table. */
const MAX_NOTIFY_PAYLOAD = 8000;
const HEARTBEAT_INTERVAL_MS = 2_000;

interface ClusterMessage {
  type: number;
  nsp: string;
  uid: string;
  data?: unknown;
}

/** What this file reaches into on each namespace's PostgresAdapter (socket.io-adapter's ClusterAdapterWithHeartbeat). */
interface PostgresAdapterInternals {
  doPublish(message: ClusterMessage): Promise<string>;
  publish(message: Omit<ClusterMessage, "nsp" | "uid">): void;
  nodesMap: Map<string, number>;
}

/**
 * Fan-out across web processes that share one PostgreSQL: socket.io's own Postgres adapter
 * (LISTEN/NOTIFY), so a browser on one process hears a build whose agent talks to another, and
 * commands reach an agent connected anywhere.
 *
 * Two changes to how it publishes, for latency and load under many broadcasts:
 * - the adapter delivers a broadcast to this process's own sockets only after its NOTIFY
 *   returned, so every browser waited behind the adapter's pool; here publishing returns at once
 *   and the NOTIFYs go out behind the local delivery;
 * - the broadcasts of one event-loop turn go out in one statement (one pg_notify per message,
 *   delivered in order), not one round trip each; and while no other process has been heard
 *   from (its heartbeats) there is nobody to tell, so broadcasts are not published, though
 *   heartbeats still go out at their interval so other processes find this one.
 */
export async function postgresAdapter(databaseUrl: string, log: Logger) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, application_name: "nimbus-socket.io" });
  pool.on("error", (error) => log.error({ err: error }, "socket.io adapter pool error"));
  // The adapter keeps one client checked out for LISTEN (it takes it with a bare `connect()`;
  // pool.query passes a callback) and listens for its "end" to reconnect, but not for its
  // "error": a database restart would be an uncaught exception that ends the process, and the
  // dead client, never released, would hold pool.end() open for ever. Here it is released with
  // its error (the pool discards it) and the adapter's own reconnection takes a new one.
  const connect = pool.connect.bind(pool) as (callback?: unknown) => unknown;
  pool.connect = ((callback?: unknown) => {
    if (callback !== undefined) return connect(callback);
    return (connect() as Promise<pg.PoolClient>).then((client) => {
      client.once("error", (error) => {
        log.warn({ err: error }, "socket.io adapter lost its database connection; it reconnects");
        client.release(error);
      });
      return client;
    });
  }) as typeof pool.connect;
  await pool.query(`
    create table if not exists socket_io_attachments (
      id bigserial unique,
      created_at timestamptz default now(),
      payload bytea
    )`);
  const errorHandler = (error: unknown) => log.error({ err: error }, "socket.io adapter error");
  const create = createAdapter(pool, {
    channelPrefix: CHANNEL_PREFIX,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    heartbeatTimeout: 6_000,
    errorHandler,
  });

  let queued: { channel: string; payload: string }[] = [];
  const send = () => {
    const batch = queued;
    queued = [];
    const byChannel = new Map<string, string[]>();
    for (const { channel, payload } of batch) byChannel.set(channel, [...(byChannel.get(channel) ?? []), payload]);
    for (const [channel, payloads] of byChannel) {
      pool
        .query("select pg_notify($1, payload) from unnest($2::text[]) with ordinality as m(payload, n) order by n", [channel, payloads])
        .catch(errorHandler);
    }
  };

  // socket.io constructs the adapter with `new`: a function (not an arrow) that returns the
  // adapter the library made, wrapped.
  const adapter = function (this: unknown, nsp: Parameters<typeof create>[0]) {
    const created = create(nsp);
    const internals = created as unknown as PostgresAdapterInternals;
    const publishOne = internals.doPublish.bind(created);
    let lastPublishedAt = Date.now();
    internals.doPublish = (message) => {
      if (message.type === BROADCAST && internals.nodesMap.size === 0) {
        // Alone: nothing to publish. Skipped broadcasts still postpone the adapter's heartbeat
        // timer, so send one when it is due.
        if (Date.now() - lastPublishedAt >= HEARTBEAT_INTERVAL_MS) {
          lastPublishedAt = Date.now();
          internals.publish({ type: HEARTBEAT });
        }
        return Promise.resolve("");
      }
      lastPublishedAt = Date.now();
      const payload = message.type === BROADCAST ? safeJson(message) : null;
      if (payload === null || Buffer.byteLength(payload) > MAX_NOTIFY_PAYLOAD) return publishOne(message);
      if (queued.length === 0) setImmediate(send);
      queued.push({ channel: `${CHANNEL_PREFIX}#${message.nsp}`, payload });
      return Promise.resolve("");
    };
    return created;
  } as unknown as typeof create;
  return { adapter, close: () => pool.end() };
}

/** Socket.io-adapter's MessageType.HEARTBEAT. */
const HEARTBEAT = 2;

/** The JSON of a message without binary parts (those need the adapter's attachment path), else null. */
function safeJson(message: ClusterMessage): string | null {
  let binary = false;
  const json = JSON.stringify(message, function (this: Record<string, unknown>, key: string, value: unknown) {
    // `this[key]` is the value before its toJSON (a Buffer's turns it into plain numbers).
    const original = this[key];
    if (original instanceof ArrayBuffer || ArrayBuffer.isView(original)) binary = true;
    return value;
  });
  return binary ? null : json;
}
