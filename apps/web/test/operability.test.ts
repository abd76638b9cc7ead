import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_UNAVAILABLE_MESSAGE } from "@nimbus/core/errors";
import {
  ADMIN_PASSWORD,
  addUser,
  TRPCClientError,
  PERSONA_PASSWORD,
  signedInClient,
  startAgent,
  startStack,
  waitFor,
  type AgentProcess,
  type Stack,
} from "./harness";
import { startPrivatePostgres, type PrivatePostgres } from "./private-postgres";

const METRICS_TOKEN = "scrape-token-0123456789abcdef";

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, text: await response.text(), type: response.headers.get("content-type") };
}

/** The value of one series in Prometheus's text format (0 when absent). */
function series(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((pair) => line.includes(pair))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}

async function launch(client: Awaited<ReturnType<typeof signedInClient>>["client"], name: string, flavor: string) {
  const [flavors, images, networks] = await Promise.all([
    client.catalog.flavors.query(),
    client.catalog.images.query(),
    client.catalog.networks.query(),
  ]);
  const { instanceIds } = await client.instances.launch.mutate({
    name,
    count: 1,
    imageId: images[0]!.id,
    flavorId: flavors.find((f) => f.name === flavor)!.id,
    networkId: networks[0]!.id,
  });
  return instanceIds[0]!;
}

const statusOf = async (client: Awaited<ReturnType<typeof signedInClient>>["client"], id: string) =>
  (await client.instances.get.query({ id })).instance.status;

/**
 * What operators' tools read off a web process: liveness, readiness (database, migrations,
 * conductor) and Prometheus metrics of the launch path, on a database of the test's own that it
 * stops and starts as an operator would restart PostgreSQL.
 */
describe("health, readiness and metrics; a database restart (private PostgreSQL server)", () => {
  let pg: PrivatePostgres;
  let stack: Stack;
  let agent: AgentProcess;
  let admin: Awaited<ReturnType<typeof signedInClient>>;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    stack = await startStack("pglite", { DATABASE_URL: pg.url, NIMBUS_METRICS_TOKEN: METRICS_TOKEN });
    agent = startAgent(stack.server.url, { hostname: "ops-1" });
    admin = await signedInClient(stack.server.url);
    await waitFor("the host to register", async () =>
      (await admin.client.hosts.list.query()).some((h) => h.hostname === "ops-1" && h.state === "up"),
    );
  }, 120_000);
  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
    pg?.destroy();
  });

  it("answers /healthz, and /readyz with each check passed", async () => {
    expect(await get(`${stack.server.url}/healthz`)).toMatchObject({ status: 200, text: JSON.stringify({ status: "ok" }) });
    const ready = await get(`${stack.server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({
      status: "ready",
      checks: { database: { ok: true }, migrations: { ok: true }, conductor: { ok: true } },
    });
  });

  it("shows its metrics to a cloud admin or a scraper with the token, and to no one else", async () => {
    const url = `${stack.server.url}/metrics`;
    expect((await get(url)).status).toBe(401);
    expect((await get(url, { authorization: "Bearer scrape-token-but-wrong-0000" })).status).toBe(401);
    await addUser(stack, { name: "mia", project: "ops-members", role: "member" });
    const member = await signedInClient(stack.server.url, "mia", PERSONA_PASSWORD);
    const refused = await get(url, { cookie: member.cookie()! });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toEqual({ error: { code: "Forbidden", message: "Only cloud administrators may do that." } });
    const scraped = await get(url, { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(scraped.status).toBe(200);
    expect(scraped.type).toContain("text/plain");
    expect((await get(url, { cookie: admin.cookie()! })).status).toBe(200);
    expect(series(scraped.text, "nimbus_agent_connections")).toBe(1);
    expect(series(scraped.text, "nimbus_web_nodejs_eventloop_lag_p99_seconds")).toBeGreaterThanOrEqual(0);
  });

  it("counts a launch's phases and outcome, and a NoValidHost by the filter that refused it", async () => {
    const scrape = async () => (await get(`${stack.server.url}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}` })).text;
    const before = await scrape();
    const id = await launch(admin.client, "metered", "m1.tiny");
    await waitFor("the instance to be ACTIVE", async () => (await statusOf(admin.client, id)) === "ACTIVE");
    const tooBig = await launch(admin.client, "too-big", "m1.xlarge");
    await waitFor("the oversized instance to fail", async () => (await statusOf(admin.client, tooBig)) === "ERROR");
    const after = await waitFor("the metrics to show both", async () => {
      const text = await scrape();
      return series(text, "nimbus_no_valid_host_total", { filter: "ResourceFilter" }) > 0 ? text : null;
    });
    for (const phase of ["scheduling", "networking", "block_device_mapping", "spawning"]) {
      const count = (text: string) => series(text, "nimbus_build_phase_seconds_count", { phase, result: "success" });
      expect(count(after) - count(before), phase).toBe(1);
    }
    expect(
      series(after, "nimbus_instance_outcomes_total", { state: "active" }) - series(before, "nimbus_instance_outcomes_total", { state: "active" }),
    ).toBe(1);
    expect(series(after, "nimbus_report_lag_seconds_count")).toBeGreaterThan(series(before, "nimbus_report_lag_seconds_count"));
    expect(series(after, "nimbus_database_connections", { application: "nimbus-web" })).toBeGreaterThan(0);
  });

  it("says it is not ready while PostgreSQL is down, and is ready again and launches when it is back, on its own", async () => {
    const issued = await fetch(`${stack.server.url}/identity/v3/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: ADMIN_PASSWORD } } },
          scope: { project: { name: "admin", domain: { id: "default" } } },
        },
      }),
    });
    expect(issued.status).toBe(201);
    const token = issued.headers.get("x-subject-token")!;
    pg.stop("fast");
    try {
      const down = await waitFor("readiness to fail", async () => {
        const ready = await get(`${stack.server.url}/readyz`);
        return ready.status === 503 ? JSON.parse(ready.text) : null;
      });
      expect(down.status).toBe("not ready");
      expect(down.checks.database).toEqual({ ok: false, detail: "The database does not answer." });
      // Calls are refused as "try again" (503, Retry-After), not as a bug; the console says "Reconnecting…".
      const refused = await admin.client.instances.list.query().then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(TRPCClientError);
      expect((refused as TRPCClientError<never>).message).toBe(DATABASE_UNAVAILABLE_MESSAGE);
      expect((refused as TRPCClientError<never>).data).toMatchObject({ httpStatus: 503, nimbus: { code: "Unavailable" } });
      const nova = await fetch(`${stack.server.url}/compute/v2.1/servers`, { headers: { "x-auth-token": token } });
      expect(nova.status).toBe(503);
      expect(nova.headers.get("retry-after")).toBe("1");
      // Liveness is the process's own: an orchestrator must not restart it for the database's sake.
      expect((await get(`${stack.server.url}/healthz`)).status).toBe(200);
    } finally {
      pg.start();
    }
    await waitFor("readiness to come back", async () => (await get(`${stack.server.url}/readyz`)).status === 200, 30_000);
    const id = await launch(admin.client, "after-restart", "m1.tiny");
    await waitFor("the instance launched after the restart to be ACTIVE", async () => (await statusOf(admin.client, id)) === "ACTIVE", 30_000);
  });
});
