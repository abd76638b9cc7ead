import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, signedInClient, startAgent, waitFor, type AgentProcess } from "./harness";
import { freePort, startWebProcess, type WebProcess } from "./processes";

/**
 * The agents' channel has PostgreSQL connections of its own: when every API connection is
 * inside a launch that waits (here on a lock the test holds), agents still register and report,
 * and the operator can tell the pools apart in pg_stat_activity.
 */
describe("database connections of the API and of the agents' channel (real PostgreSQL)", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let web: WebProcess;
  let sql: postgres.Sql;
  const agents: AgentProcess[] = [];

  beforeAll(async () => {
    database = await freshDatabase();
    web = await startWebProcess({ port: await freePort(), databaseUrl: database.url, env: { NIMBUS_DB_CONNECTIONS: "2" } });
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(agents.map((agent) => agent.stop("SIGKILL")));
    await web?.kill();
    await sql?.end();
    await database?.drop();
  });

  it("an agent registers while every API connection waits inside a launch, and the launches finish once they can", async () => {
    const { client } = await signedInClient(web.url);
    const [flavors, images, networks] = await Promise.all([
      client.catalog.flavors.query(),
      client.catalog.images.query(),
      client.catalog.networks.query(),
    ]);
    const input = { count: 1, imageId: images[0]!.id, flavorId: flavors[0]!.id, networkId: networks[0]!.id };

    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked = () => {};
    const lockHeld = new Promise<void>((resolve) => (locked = resolve));
    // A keyed launch claims its key first: with the table locked, each launch holds an API connection and waits.
    const lock = sql.begin(async (tx) => {
      await tx`lock table launch_requests in share row exclusive mode`;
      locked();
      await released;
    });
    await lockHeld;
    const launches = [1, 2, 3].map((n) =>
      client.instances.launch.mutate({ ...input, name: `waiting-${n}`, idempotencyKey: `waiting-${n}-${Date.now()}` }),
    );
    // Awaited below; a failure before then must not surface as an unhandled rejection instead.
    for (const launch of launches) launch.catch(() => {});
    try {
      await waitFor("both API connections waiting on the lock", async () => {
        const [row] = await sql<{ waiting: number }[]>`
          select count(*)::int as waiting from pg_stat_activity
          where datname = current_database() and application_name = 'nimbus-web' and wait_event_type = 'Lock'`;
        return row!.waiting === 2;
      });

      const agent = startAgent(web.url, { hostname: "node-starved" });
      agents.push(agent);
      await waitFor(
        "node-starved registered through the agents' own connections",
        async () => (await sql`select 1 from compute_hosts where hostname = 'node-starved'`).length === 1,
        10_000,
      );
      const [row] = await sql<{ names: string[] }[]>`
        select array_agg(distinct application_name order by application_name) as names from pg_stat_activity where datname = current_database()`;
      expect(row!.names).toEqual(expect.arrayContaining(["nimbus-agents", "nimbus-socket.io", "nimbus-web"]));
    } finally {
      release();
      await lock;
    }

    const ids = (await Promise.all(launches)).flatMap((launched) => launched.instanceIds);
    expect(ids).toHaveLength(3);
    await waitFor("every launch ACTIVE on node-starved", async () => {
      const listed = (await client.instances.list.query()).filter((i) => ids.includes(i.id));
      return listed.length === 3 && listed.every((i) => i.status === "ACTIVE" && i.hostname === "node-starved");
    });
  });
});
