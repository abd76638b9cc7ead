/**
 * OpenStack API benchmark: the REST path beside the console's tRPC path, on one production-mode
 * web process on PostgreSQL with simulated hosts (one agent process in simulation mode).
 *
 * - The stock CLI: `openstack server create --wait` wall time (p50 of NIMBUS_BENCH_CLI_RUNS, 10 by
 *   default), beside the client's own cost (`openstack token issue`: Python start-up, plugin
 *   loading, one token) and the same launch through tRPC (call until ACTIVE, polled as the CLI does).
 * - Throughput: NIMBUS_BENCH_API_LAUNCHES launches per round at concurrency 50 through
 *   `POST /compute/v2.1/servers` (HTTP client in-process, kept-alive) and through tRPC's
 *   `instances.launch`, rounds interleaved (REST, tRPC, REST, tRPC, …) so that drift on a noisy
 *   machine falls on both; a round ends when all its instances are ACTIVE (read from the database).
 *
 *   npm run bench -- api   → prints figures, writes bench/results/api.json
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { freshDatabase, repoRoot, signedInClient, spawnAgent, waitFor } from "../test/harness";
import { openstackCli } from "../test/openstack/cli";
import { freePort, startWebProcess } from "../test/processes";

const HOSTS = Number(process.env.NIMBUS_BENCH_HOSTS ?? 50);
const CONCURRENCY = Number(process.env.NIMBUS_BENCH_CONCURRENCY ?? 50);
const LAUNCHES = Number(process.env.NIMBUS_BENCH_API_LAUNCHES ?? 300);
const ROUNDS = Number(process.env.NIMBUS_BENCH_API_ROUNDS ?? 3);
const CLI_RUNS = Number(process.env.NIMBUS_BENCH_CLI_RUNS ?? 10);
const MEMBER_PASSWORD = "bench-member-password";

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
};
const round2 = (n: number) => Math.round(n * 100) / 100;

/** A JSON POST over kept-alive connections; resolves with the status and parsed body. */
function poster(baseUrl: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  return (pathname: string, body: unknown, headers: Record<string, string>) =>
    new Promise<{ status: number; body: unknown; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const text = JSON.stringify(body);
      const request = http.request(
        new URL(pathname, baseUrl),
        { method: "POST", agent, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const raw = Buffer.concat(chunks).toString("utf8");
            resolve({ status: response.statusCode ?? 0, body: raw ? JSON.parse(raw) : null, headers: response.headers });
          });
        },
      );
      request.on("error", reject);
      request.end(text);
    });
}

/** Runs `calls` at most `CONCURRENCY` at a time. */
async function closedLoop(count: number, call: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
      while (next < count) await call(next++);
    }),
  );
}

const wallOf = (command: string, args: string[], env: Record<string, string>) =>
  new Promise<number>((resolve, reject) => {
    const started = performance.now();
    execFile(command, args, { env: { NODE_ENV: "production", ...env }, maxBuffer: 8 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) return reject(new Error(`${command} ${args.join(" ")} failed: ${stderr}`));
      resolve((performance.now() - started) / 1000);
    });
  });

export async function main() {
  const database = await freshDatabase();
  const web = await startWebProcess({
    port: await freePort(),
    databaseUrl: database.url,
    env: { NODE_ENV: "production", LOG_LEVEL: "warn", NIMBUS_HOST_SUBSET_SIZE: "10" },
  });
  const stateDir = mkdtempSync(path.join(tmpdir(), "nimbus-bench-api-agent-"));
  const { child: agent } = spawnAgent(
    web.url,
    "bench",
    { NODE_ENV: "production", NIMBUS_SIMULATED_HOSTS: String(HOSTS), NIMBUS_STATE_DIR: stateDir, LOG_LEVEL: "warn" },
    ["ignore", "ignore", "inherit"],
  );
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  try {
    const admin = await signedInClient(web.url);
    await waitFor(
      `${HOSTS} simulated hosts up`,
      async () => (await admin.client.hosts.list.query()).filter((h) => h.state === "up").length === HOSTS,
      120_000,
    );
    const demo = (await admin.client.projects.list.query()).find((p) => p.name === "demo")!;
    await admin.client.quotas.set.mutate({ projectId: demo.id, limits: { instances: -1, cores: -1, ram: -1 } });
    await admin.client.users.create.mutate({ name: "bench-member", password: MEMBER_PASSWORD, projectId: demo.id, role: "member" });
    const member = await signedInClient(web.url, "bench-member", MEMBER_PASSWORD);
    const [flavors, images] = await Promise.all([member.client.catalog.flavors.query(), member.client.catalog.images.query()]);
    const network = await member.client.networks.create.mutate({ name: "bench", subnet: { name: "bench", cidr: "10.128.0.0/16" } });
    const flavorId = flavors.find((f) => f.name === "m1.tiny")!.id;
    const imageId = images[0]!.id;

    // The stock CLI, one call at a time, as a user at a terminal.
    const cli = openstackCli(web.url, { user: "bench-member", password: MEMBER_PASSWORD, project: "demo" });
    const startup: number[] = [];
    const createWait: number[] = [];
    const trpcWait: number[] = [];
    for (let i = 0; i < CLI_RUNS; i++) {
      startup.push(await wallOf("openstack", ["token", "issue", "-f", "value", "-c", "id"], cli.env));
      createWait.push(
        await wallOf(
          "openstack",
          ["server", "create", "--image", imageId, "--flavor", flavorId, "--network", network.id, "--wait", `cli-${i}`],
          cli.env,
        ),
      );
      // The same launch through tRPC, polled until ACTIVE every 2 s as the CLI's --wait polls.
      const started = performance.now();
      const { instanceIds } = await member.client.instances.launch.mutate({ name: `trpc-${i}`, count: 1, imageId, flavorId, networkId: network.id });
      for (;;) {
        const { instance } = await member.client.instances.get.query({ id: instanceIds[0]! });
        if (instance.vmState === "active") break;
        if (instance.vmState === "error") throw new Error(`tRPC launch trpc-${i} ended in ERROR`);
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
      trpcWait.push((performance.now() - started) / 1000);
    }

    // Throughput: REST and tRPC rounds, interleaved.
    const post = poster(web.url);
    const tokenAnswer = await post(
      "/identity/v3/auth/tokens",
      {
        auth: {
          identity: { methods: ["password"], password: { user: { name: "bench-member", domain: { id: "default" }, password: MEMBER_PASSWORD } } },
          scope: { project: { name: "demo", domain: { id: "default" } } },
        },
      },
      {},
    );
    const token = String(tokenAnswer.headers["x-subject-token"]);
    const cookie = member.cookie()!;
    const activeCount = async (prefix: string) =>
      Number((await sql<{ n: string }[]>`select count(*) as n from instances where name like ${`${prefix}%`} and vm_state = 'active'`)[0]!.n);
    const round = async (kind: "rest" | "trpc", r: number) => {
      const prefix = `${kind}-r${r}-`;
      let failures = 0;
      const started = performance.now();
      await closedLoop(LAUNCHES, async (i) => {
        const name = `${prefix}${i}`;
        const answer =
          kind === "rest"
            ? await post(
                "/compute/v2.1/servers",
                { server: { name, imageRef: imageId, flavorRef: flavorId, networks: [{ uuid: network.id }] } },
                { "x-auth-token": token, "x-openstack-request-id": `req-${randomUUID()}` },
              )
            : await post("/api/trpc/instances.launch", { json: { name, count: 1, imageId, flavorId, networkId: network.id } }, { cookie });
        if (answer.status !== (kind === "rest" ? 202 : 200)) failures++;
      });
      await waitFor(`${kind} round ${r} ACTIVE`, async () => (await activeCount(prefix)) >= LAUNCHES - failures, 300_000);
      const seconds = (performance.now() - started) / 1000;
      return { launchesPerS: (LAUNCHES - failures) / seconds, failures };
    };
    const rest: number[] = [];
    const trpc: number[] = [];
    let failures = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const a = await round("rest", r);
      const b = await round("trpc", r);
      rest.push(a.launchesPerS);
      trpc.push(b.launchesPerS);
      failures += a.failures + b.failures;
    }

    const result = {
      cli_runs: CLI_RUNS,
      cli_startup_p50_s: round2(median(startup)),
      cli_create_wait_p50_s: round2(median(createWait)),
      trpc_launch_p50_s: round2(median(trpcWait)),
      hosts: HOSTS,
      concurrency: CONCURRENCY,
      launches_per_round: LAUNCHES,
      rounds: ROUNDS,
      rest_launches_per_s: round2(median(rest)),
      trpc_launches_per_s: round2(median(trpc)),
      rest_to_trpc_ratio: round2(median(rest) / median(trpc)),
      rest_rounds: rest.map(round2),
      trpc_rounds: trpc.map(round2),
      failures,
    };
    console.log("\nOpenStack API benchmark");
    console.log(`  openstack token issue (client start-up + 1 token)  p50 ${result.cli_startup_p50_s} s`);
    console.log(`  openstack server create --wait                     p50 ${result.cli_create_wait_p50_s} s`);
    console.log(`  tRPC launch → ACTIVE (polled every 2 s, as --wait)  p50 ${result.trpc_launch_p50_s} s`);
    console.log(`  REST launches/s at concurrency ${CONCURRENCY}: ${result.rest_launches_per_s} (rounds ${result.rest_rounds.join(", ")})`);
    console.log(`  tRPC launches/s at concurrency ${CONCURRENCY}: ${result.trpc_launches_per_s} (rounds ${result.trpc_rounds.join(", ")})`);
    console.log(`  REST / tRPC: ${result.rest_to_trpc_ratio}   failures: ${failures}`);
    const out = path.join(repoRoot, "bench/results/api.json");
    writeFileSync(out, `${JSON.stringify({ measured_at: new Date().toISOString(), ...result }, null, 2)}\n`);
    console.log(`  written to ${path.relative(process.cwd(), out)}`);
  } finally {
    await sql.end();
    agent.kill("SIGTERM");
    await web.kill();
    await database.drop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
