/**
 * Launch benchmark: 2,000 launches at concurrency 50 onto 100 simulated hosts (one agent
 * process in simulation mode, each host a private libvirt test driver) through the real API of
 * a production-mode web process on PostgreSQL. Reports launches/s to ACTIVE, time from API call
 * to ACTIVE, API latency, latency from the agent's report to the browser socket, failures and
 * peak memory of server and agent.
 *
 *   npm run bench -- launch      → prints figures, writes bench/results/launch.json
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import { io } from "socket.io-client";
import { instanceChangedSchema, instanceEventSchema } from "@nimbus/core/protocol";
import type { AppRouter } from "../src/server/trpc/router";
import { AGENT_SECRET, repoRoot, signedInClient, waitFor } from "../test/harness";
import { freshDatabase, startWebProcess } from "../test/processes";

const LAUNCHES = Number(process.env.NIMBUS_BENCH_LAUNCHES ?? 2000);
const CONCURRENCY = Number(process.env.NIMBUS_BENCH_CONCURRENCY ?? 50);
const HOSTS = Number(process.env.NIMBUS_BENCH_HOSTS ?? 100);
const PORT = 3900;

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
/** Peak resident set (VmHWM) of a live process, in MB. */
const peakRssMb = (pid: number) => {
  const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmHWM:\s+(\d+) kB/);
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
};

export async function runLaunchBenchmark() {
  const database = await freshDatabase();
  const web = await startWebProcess({
    port: PORT,
    databaseUrl: database.url,
    env: { NODE_ENV: "production", LOG_LEVEL: "warn", NIMBUS_HOST_SUBSET_SIZE: "10", NIMBUS_HOST_DOWN_AFTER_SECONDS: "30" },
    nodeArgs: process.env.NIMBUS_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.NIMBUS_BENCH_PROFILE}`] : [],
  });
  const stateDir = mkdtempSync(path.join(tmpdir(), "nimbus-bench-agent-"));
  const agent = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "apps/compute-agent/src/main.ts")], {
    cwd: path.join(repoRoot, "apps/compute-agent"),
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      NIMBUS_SERVER_URL: web.url,
      NIMBUS_AGENT_SECRET: AGENT_SECRET,
      NIMBUS_HOSTNAME: "bench",
      NIMBUS_SIMULATED_HOSTS: String(HOSTS),
      NIMBUS_STATE_DIR: stateDir,
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    const admin = await signedInClient(web.url);
    await waitFor(`${HOSTS} simulated hosts up`, async () => (await admin.client.hosts.list.query()).filter((h) => h.state === "up").length === HOSTS, 120_000);
    const projects = await admin.client.projects.list.query();
    const demo = projects.find((p) => p.name === "demo")!;
    await admin.client.quotas.set.mutate({ projectId: demo.id, limits: { instances: -1, cores: -1, ram: -1 } });
    const [flavors, images, networks] = await Promise.all([admin.client.catalog.flavors.query(), admin.client.catalog.images.query(), admin.client.catalog.networks.query()]);
    const input = { count: 1, imageId: images[0]!.id, flavorId: flavors.find((f) => f.name === "m1.tiny")!.id, networkId: networks[0]!.id };

    // The browser's view: one socket, as the console keeps.
    const socket = io(web.url, { extraHeaders: { cookie: admin.cookie()! }, transports: ["websocket"] });
    await waitFor("the browser socket", () => socket.connected);
    const activeAt = new Map<string, number>();
    const erroredIds = new Set<string>();
    const progressLatency: number[] = [];
    socket.on("instance.event", (payload: unknown) => {
      const event = instanceEventSchema.parse(payload);
      if (event.reportedAt) progressLatency.push(Date.now() - Date.parse(event.reportedAt));
    });
    socket.on("instance.changed", (payload: unknown) => {
      const change = instanceChangedSchema.parse(payload);
      if (change.status === "ACTIVE" && !activeAt.has(change.id)) activeAt.set(change.id, performance.now() + performance.timeOrigin);
      if (change.status === "ERROR") erroredIds.add(change.id);
    });

    const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${web.url}/api/trpc`, transformer: superjson, headers: { cookie: admin.cookie()! } })] });
    const calledAt = new Map<string, number>();
    const apiLatency: number[] = [];
    let apiFailures = 0;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < LAUNCHES) {
          const i = next++;
          const t0 = performance.now() + performance.timeOrigin;
          try {
            const { instanceIds } = await api.instances.launch.mutate({ ...input, name: `bench-${i}` });
            apiLatency.push(performance.now() + performance.timeOrigin - t0);
            calledAt.set(instanceIds[0]!, t0);
          } catch {
            apiFailures++;
          }
        }
      }),
    );
    await waitFor("every launch to settle", () => activeAt.size + erroredIds.size >= calledAt.size, 300_000);
    const elapsedS = (Math.max(...activeAt.values()) - (started + performance.timeOrigin)) / 1000;
    const toActive = [...activeAt].flatMap(([id, at]) => (calledAt.has(id) ? [at - calledAt.get(id)!] : []));
    const result = {
      launches: LAUNCHES,
      concurrency: CONCURRENCY,
      hosts: HOSTS,
      launches_per_s: +(activeAt.size / elapsedS).toFixed(1),
      active_p50_ms: Math.round(pct(toActive, 50)),
      active_p99_ms: Math.round(pct(toActive, 99)),
      api_p99_ms: Math.round(pct(apiLatency, 99)),
      progress_p99_ms: Math.round(pct(progressLatency, 99)),
      failures: apiFailures + erroredIds.size,
      server_peak_rss_mb: peakRssMb(web.child.pid!),
      agent_peak_rss_mb: peakRssMb(agent.pid!),
    };
    socket.close();
    if (process.env.NIMBUS_BENCH_SERVER_LOG) writeFileSync(process.env.NIMBUS_BENCH_SERVER_LOG, web.output());
    return result;
  } finally {
    agent.kill("SIGKILL");
    await web.kill(process.env.NIMBUS_BENCH_PROFILE ? "SIGINT" : "SIGKILL");
    await database.drop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export async function main() {
  const result = await runLaunchBenchmark();
  console.log(
    `launch: ${result.launches} launches, concurrency ${result.concurrency}, ${result.hosts} simulated hosts: ` +
      `${result.launches_per_s} launches/s to ACTIVE; API→ACTIVE p50 ${result.active_p50_ms} ms, p99 ${result.active_p99_ms} ms; ` +
      `API p99 ${result.api_p99_ms} ms; report→browser p99 ${result.progress_p99_ms} ms; failures ${result.failures}; ` +
      `peak RSS server ${result.server_peak_rss_mb} MB, agent ${result.agent_peak_rss_mb} MB`,
  );
  const out = path.join(repoRoot, "bench/results/launch.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ measured_at: new Date().toISOString(), ...result }, null, 2)}\n`);
  console.log(`written ${path.relative(repoRoot, out)}`);
}
