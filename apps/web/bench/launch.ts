/**
 * Launch benchmark: 2,000 launches at concurrency 50 (fifty in flight, each from its API call
 * to ACTIVE) onto 100 simulated hosts (one agent process in simulation mode, each host a private
 * libvirt test driver) through the real API of a production-mode web process on PostgreSQL.
 * Reports launches/s to ACTIVE, time from API call to ACTIVE, API latency, latency from the
 * agent's report to the browser socket, failures and peak memory of server and agent.
 *
 * The measured launches follow a warm-up (200 launches by default, the same closed loop without
 * a pause): the figures describe the pipeline under steady load, not the first seconds of
 * freshly started processes (code not yet optimised by V8, statements not yet prepared on
 * each connection), which the first fifty launches of a cold start wait through together and
 * which, at 2.5% of the launches, would alone decide every p99. The warm-up's own figures are
 * printed and written as `cold_start`.
 *
 *   npm run bench -- launch      → prints figures, writes bench/results/launch.json
 *
 * NIMBUS_BENCH_DB_TRANSPORT=tcp: PostgreSQL over loopback TCP instead of its Unix socket;
 * NIMBUS_BENCH_PROFILE=dir: CPU profiles of the web and agent processes; NIMBUS_BENCH_AGENT_LOG=1:
 * the agent's log on the terminal; NIMBUS_BENCH_LAUNCHES / _CONCURRENCY / _HOSTS / _WARMUP: the
 * sizes (NIMBUS_BENCH_WARMUP=0 measures from a cold start); NIMBUS_LAUNCH_ADMISSION_DELAY_MS: the
 * web process's launch admission (0: off, every launch call runs at once).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import http from "node:http";
import { z } from "zod";
import type { LaunchInstanceInput } from "@nimbus/core/validation";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { freshDatabase, repoRoot, signedInClient, spawnAgent, waitFor } from "../test/harness";
import { benchDatabaseUrl, cpuMsOf, postgresBackends } from "./measure";
import { freePort, startWebProcess } from "../test/processes";
import type { ObserverMessage, PhaseTimes } from "./progress-observer";
import { loadEnv } from "../src/server/env";

const LAUNCHES = Number(process.env.NIMBUS_BENCH_LAUNCHES ?? 2000);
const CONCURRENCY = Number(process.env.NIMBUS_BENCH_CONCURRENCY ?? 50);
const HOSTS = Number(process.env.NIMBUS_BENCH_HOSTS ?? 100);
const WARMUP = Number(process.env.NIMBUS_BENCH_WARMUP ?? 200);
/** The web process's setting, or its default (see src/server/admission.ts). */
const ADMISSION_DELAY_MS = loadEnv({
  NODE_ENV: "production",
  NIMBUS_LAUNCH_ADMISSION_DELAY_MS: process.env.NIMBUS_LAUNCH_ADMISSION_DELAY_MS,
}).NIMBUS_LAUNCH_ADMISSION_DELAY_MS;
const BENCH_MEMBER_PASSWORD = "bench-member-password";

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
/** CPU used so far by each part of the run, in ms. */
async function cpuSnapshot(pids: { web: number; agent: number; observer: number }, databaseUrl: string) {
  const backends = await postgresBackends(databaseUrl);
  return {
    web: cpuMsOf(pids.web),
    agent: cpuMsOf(pids.agent),
    observer: cpuMsOf(pids.observer),
    client: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    postgres: new Map(backends.map((pid) => [pid, cpuMsOf(pid)])),
  };
}

/** Peak resident set (VmHWM) of a live process, in MB. */
const peakRssMb = (pid: number) => {
  const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmHWM:\s+(\d+) kB/);
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
};

export async function runLaunchBenchmark() {
  const database = await freshDatabase();
  const connection = benchDatabaseUrl(database.url);
  const web = await startWebProcess({
    port: await freePort(),
    databaseUrl: connection.url,
    env: {
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      NIMBUS_HOST_SUBSET_SIZE: "10",
      NIMBUS_HOST_DOWN_AFTER_SECONDS: "30",
      // Passed on, to compare settings of launch admission (0 turns it off).
      NIMBUS_LAUNCH_ADMISSION_DELAY_MS: String(ADMISSION_DELAY_MS),
    },
    nodeArgs: process.env.NIMBUS_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.NIMBUS_BENCH_PROFILE}/web`] : [],
  });
  const stateDir = mkdtempSync(path.join(tmpdir(), "nimbus-bench-agent-"));
  const { child: agent } = spawnAgent(
    web.url,
    "bench",
    {
      NODE_ENV: "production",
      NIMBUS_SIMULATED_HOSTS: String(HOSTS),
      NIMBUS_STATE_DIR: stateDir,
      LOG_LEVEL: "warn",
    },
    ["ignore", process.env.NIMBUS_BENCH_AGENT_LOG ? "inherit" : "ignore", "inherit"],
    process.env.NIMBUS_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.NIMBUS_BENCH_PROFILE}/agent`] : [],
  );
  // A component that dies mid-run fails the bench, saying which and how.
  const exits: string[] = [];
  web.child.once("exit", (code, signal) => exits.push(`the web process exited (${signal ?? code})`));
  agent.once("exit", (code, signal) => exits.push(`the agent process exited (${signal ?? code})`));
  try {
    const admin = await signedInClient(web.url);
    await waitFor(
      `${HOSTS} simulated hosts up`,
      async () => (await admin.client.hosts.list.query()).filter((h) => h.state === "up").length === HOSTS,
      120_000,
    );
    const projects = await admin.client.projects.list.query();
    const demo = projects.find((p) => p.name === "demo")!;
    await admin.client.quotas.set.mutate({ projectId: demo.id, limits: { instances: -1, cores: -1, ram: -1 } });
    // Launches and the progress view are a project member's, as in the console: a cloud admin's
    // view would add every host's changes (the admins' room) to what the browser receives.
    await admin.client.users.create.mutate({ name: "bench-member", password: BENCH_MEMBER_PASSWORD, projectId: demo.id, role: "member" });
    const member = await signedInClient(web.url, "bench-member", BENCH_MEMBER_PASSWORD);
    const [flavors, images] = await Promise.all([member.client.catalog.flavors.query(), member.client.catalog.images.query()]);
    // Every launch takes an address and the bench deletes nothing: a network with room for all.
    const network = await member.client.networks.create.mutate({ name: "bench", subnet: { name: "bench", cidr: "10.128.0.0/16" } });
    const input = { count: 1, imageId: images[0]!.id, flavorId: flavors.find((f) => f.name === "m1.tiny")!.id, networkId: network.id };

    // The browser's view, in a process of its own (see progress-observer.ts).
    const observer = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./progress-observer.ts", import.meta.url))], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    observer.send({ url: web.url, cookie: member.cookie()! });
    const activeAt = new Map<string, number>();
    const erroredIds = new Set<string>();
    const waiting = new Map<string, () => void>();
    let connected = false;
    let seen: Extract<ObserverMessage, { type: "report" }> | undefined;
    observer.on("message", (message: ObserverMessage) => {
      if (message.type === "connected") connected = true;
      if (message.type === "report") seen = message;
      if (message.type !== "settled") return;
      if (message.status === "ACTIVE") activeAt.set(message.id, message.at);
      else erroredIds.add(message.id);
      waiting.get(message.id)?.();
    });
    await waitFor("the browser socket", () => {
      if (observer.exitCode !== null) throw new Error(`the progress observer exited with ${observer.exitCode}`);
      return connected;
    });
    /** Resolves once the instance is ACTIVE or ERROR (as pushed to the browser socket), or after 5 minutes. */
    const settled = (id: string) =>
      activeAt.has(id) || erroredIds.has(id)
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 300_000);
            waiting.set(id, () => {
              clearTimeout(timer);
              resolve();
            });
          });

    const launch = launchCaller(web.url, member.cookie()!);
    const runId = randomUUID();
    const calledAt = new Map<string, number>();
    const apiLatency: number[] = [];
    let apiFailures = 0;
    /** Why launches failed (the API's answer, or the instance's fault), each reason once with a count. */
    const failureReasons = new Map<string, number>();
    const failedBecause = (reason: string) => failureReasons.set(reason, (failureReasons.get(reason) ?? 0) + 1);
    let next = 0;
    const pids = { web: web.child.pid!, agent: agent.pid!, observer: observer.pid! };
    /** The warm-up's launches (their instance ids) and the measured ones' start: the first measured call. */
    const warmupIds = new Set<string>();
    let measuredFrom: { at: number; cpu: ReturnType<typeof cpuSnapshot> } | undefined;
    const coldStart = WARMUP === 0 ? undefined : performance.now() + performance.timeOrigin;
    // Concurrency 50 means fifty launches in flight: each caller launches, waits until its
    // instance is ACTIVE (or ERROR), then launches the next. (Callers that only waited for the
    // API call would queue launches as fast as the API accepts them, so time to ACTIVE would
    // measure the length of that queue, not the pipeline.) The warm-up's launches come first, in
    // the same loop, so the measured ones start under the same steady load as they end.
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < WARMUP + LAUNCHES) {
          const i = next++;
          const t0 = performance.now() + performance.timeOrigin;
          const warmup = i < WARMUP;
          if (i === WARMUP) measuredFrom = { at: t0, cpu: cpuSnapshot(pids, database.url) };
          let id: string;
          try {
            const { instanceIds } = await launch({ ...input, name: `bench-${i}`, idempotencyKey: `bench-${runId}-${i}` });
            if (!warmup) apiLatency.push(performance.now() + performance.timeOrigin - t0);
            id = instanceIds[0]!;
            calledAt.set(id, t0);
            if (warmup) warmupIds.add(id);
          } catch (error) {
            const reason = `launch call: ${error instanceof Error ? error.message : String(error)}`;
            if (warmup) throw new Error(`a warm-up launch failed: ${reason}`);
            apiFailures++;
            failedBecause(reason);
            continue;
          }
          await settled(id);
        }
      }),
    );
    await waitFor("every launch to settle", () => activeAt.size + erroredIds.size >= calledAt.size, 300_000);
    const cpuBefore = await measuredFrom!.cpu;
    const started = measuredFrom!.at;
    for (const id of erroredIds) {
      const { instance } = await member.client.instances.get.query({ id });
      const reason = `ERROR: ${instance.fault ? `${instance.fault.code}: ${instance.fault.message}` : "no fault recorded"}`;
      if (warmupIds.has(id)) throw new Error(`a warm-up launch failed: ${reason}`);
      failedBecause(reason);
    }
    // Before the browser reports (and exits).
    const cpuAfter = await cpuSnapshot(pids, database.url);
    // The CPU used from the first measured call on also finished the warm-up launches still in
    // flight then: they count among the launches it bought.
    const finishedInWindow = calledAt.size - warmupIds.size + [...warmupIds].filter((id) => (activeAt.get(id) ?? 0) >= measuredFrom!.at).length;
    const perLaunch = (before: number, after: number) => Math.round((10 * (after - before)) / finishedInWindow) / 10;
    const postgresMs = [...cpuAfter.postgres].reduce((sum, [pid, ms]) => sum + ms - (cpuBefore.postgres.get(pid) ?? 0), 0);
    const cpuPerLaunch = {
      web: perLaunch(cpuBefore.web, cpuAfter.web),
      postgres: perLaunch(0, postgresMs),
      agent: perLaunch(cpuBefore.agent, cpuAfter.agent),
      client: perLaunch(cpuBefore.client, cpuAfter.client),
      browser: perLaunch(cpuBefore.observer, cpuAfter.observer),
    };
    observer.send("report");
    const { progressLatencyMs, phases } = await waitFor("the browser's figures", () => seen);
    if (exits.length > 0) throw new Error(`${exits.join("; ")} during the run; web output:\n${web.output().slice(-4000)}`);
    /**
     * One set of launches (the measured ones, or the warm-up's), from `since` on: launches/s
     * until the last of them was ACTIVE, time to ACTIVE, and report → browser.
     */
    const figuresOf = (measured: boolean, since: number) => {
      const ids = [...calledAt.keys()].filter((id) => warmupIds.has(id) !== measured);
      const active = ids.flatMap((id) => (activeAt.has(id) ? [{ at: activeAt.get(id)!, ms: activeAt.get(id)! - calledAt.get(id)! }] : []));
      const toActive = active.map(({ ms }) => ms);
      const figures = {
        launches_per_s: +(active.length / ((Math.max(...active.map(({ at }) => at)) - since) / 1000)).toFixed(1),
        active_p50_ms: Math.round(pct(toActive, 50)),
        active_p99_ms: Math.round(pct(toActive, 99)),
        progress_p99_ms: Math.round(
          pct(
            ids.flatMap((id) => progressLatencyMs[id] ?? []),
            99,
          ),
        ),
      };
      return { ids, figures };
    };
    const measured = figuresOf(true, started);
    const result = {
      launches: LAUNCHES,
      concurrency: CONCURRENCY,
      hosts: HOSTS,
      warmup_launches: WARMUP,
      ...measured.figures,
      api_p99_ms: Math.round(pct(apiLatency, 99)),
      failures: apiFailures + erroredIds.size,
      failure_reasons: Object.fromEntries(failureReasons),
      /** Launch calls sent again, with their idempotency key, after their connection broke. */
      launch_calls_resent: launch.resent(),
      server_peak_rss_mb: peakRssMb(web.child.pid!),
      agent_peak_rss_mb: peakRssMb(agent.pid!),
      database_transport: connection.transport,
      /** The web process's launch admission: its event loop delay target in ms (0: off). */
      launch_admission_delay_ms: ADMISSION_DELAY_MS,
      /** CPU per launch (ms) of the web process, PostgreSQL's processes for this database, the agent, the bench's callers and its browser. */
      cpu_ms_per_launch: cpuPerLaunch,
      /**
       * The warm-up: launches from the moment every process has started, the first fifty at
       * once; launches/s from the first call to the last of them ACTIVE.
       */
      cold_start: coldStart === undefined ? null : { launches: WARMUP, ...figuresOf(false, coldStart).figures },
    };
    printPhaseBreakdown(new Map(measured.ids.map((id) => [id, calledAt.get(id)!])), phases);
    if (process.env.NIMBUS_BENCH_SERVER_LOG) writeFileSync(process.env.NIMBUS_BENCH_SERVER_LOG, web.output());
    return result;
  } finally {
    // Profiled processes must exit on their own to write their profiles.
    agent.kill(process.env.NIMBUS_BENCH_PROFILE ? "SIGTERM" : "SIGKILL");
    await web.kill(process.env.NIMBUS_BENCH_PROFILE ? "SIGINT" : "SIGKILL");
    await database.drop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/**
 * `instances.launch` as a script calls it: a JSON POST (tRPC's HTTP form, superjson-encoded)
 * over kept-alive connections. The tRPC client's fetch cost the bench's own process more CPU
 * than the web process spends on the call's HTTP, on the same two cores as what is measured.
 * Every launch carries an idempotency key, so a call whose connection broke before an answer
 * came is sent again as a careful script would: it launches once either way. Such resends are
 * counted.
 */
function launchCaller(baseUrl: string, cookie: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const url = new URL("/api/trpc/instances.launch", baseUrl);
  let resent = 0;
  const call = (input: LaunchInstanceInput) =>
    new Promise<{ instanceIds: string[] }>((resolve, reject) => {
      const body = JSON.stringify({ json: input });
      const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body), cookie };
      const request = http.request(url, { method: "POST", agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (response.statusCode !== 200) return reject(new Error(`launch answered ${response.statusCode}: ${text.slice(0, 500)}`));
          resolve(launchAnswerSchema.parse(JSON.parse(text)).result.data.json);
        });
      });
      request.on("error", reject);
      request.end(body);
    });
  const launch = async (input: LaunchInstanceInput) => {
    try {
      return await call(input);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ECONNRESET" && code !== "EPIPE") throw error;
      resent++;
      return call(input);
    }
  };
  return Object.assign(launch, { resent: () => resent });
}
const launchAnswerSchema = z.object({ result: z.object({ data: z.object({ json: z.object({ instanceIds: z.array(z.string()) }) }) }) });

/**
 * Where the time to ACTIVE goes, p50 / p99 per stretch: the API call until the server recorded
 * the build, the server's wait until the agent reported networking (conductor queue,
 * scheduling, dispatch, the agent's own work), then for each reported phase the agent's send
 * until the server recorded it (the server's queue) and the agent's time to its next report.
 */
function printPhaseBreakdown(calledAt: Map<string, number>, phases: Record<string, PhaseTimes>) {
  const stretches = new Map<string, number[]>();
  const add = (name: string, ms: number | undefined) => {
    if (ms === undefined || Number.isNaN(ms)) return;
    if (!stretches.has(name)) stretches.set(name, []);
    stretches.get(name)!.push(ms);
  };
  const order = ["scheduling", "networking", "block_device_mapping", "spawning", "active"];
  for (const [id, t0] of calledAt) {
    const seen = phases[id];
    if (!seen) continue;
    const scheduling = seen.scheduling;
    if (scheduling) add("API call → build recorded", scheduling.opened - t0);
    if (scheduling?.finished !== undefined) {
      add("scheduling → host assigned", scheduling.finished - scheduling.opened);
      const networking = seen.networking;
      if (networking?.reported !== undefined) add("host assigned → agent reports networking", networking.reported - scheduling.finished);
    }
    for (let i = 1; i < order.length; i++) {
      const prev = seen[order[i - 1]!];
      const cur = seen[order[i]!];
      if (!prev || !cur || cur.reported === undefined) continue;
      add(`${order[i - 1]} → agent reports ${order[i]}`, cur.reported - prev.opened);
      add(`  ${order[i]}: report → recorded`, cur.opened - cur.reported);
    }
  }
  for (const [name, values] of stretches)
    console.log(
      `  ${name.padEnd(48)} p50 ${String(Math.round(pct(values, 50))).padStart(5)} ms  p99 ${String(Math.round(pct(values, 99))).padStart(5)} ms`,
    );
}

export async function main() {
  const result = await runLaunchBenchmark();
  console.log(
    `launch: ${result.launches} launches, concurrency ${result.concurrency}, ${result.hosts} simulated hosts: ` +
      `${result.launches_per_s} launches/s to ACTIVE; API→ACTIVE p50 ${result.active_p50_ms} ms, p99 ${result.active_p99_ms} ms; ` +
      `API p99 ${result.api_p99_ms} ms; report→browser p99 ${result.progress_p99_ms} ms; failures ${result.failures}; ` +
      `peak RSS server ${result.server_peak_rss_mb} MB, agent ${result.agent_peak_rss_mb} MB; PostgreSQL over ${result.database_transport}; ` +
      `launch admission ${result.launch_admission_delay_ms > 0 ? `at a loop delay of ${result.launch_admission_delay_ms} ms` : "off"}; ` +
      `CPU per launch: web ${result.cpu_ms_per_launch.web} ms, PostgreSQL ${result.cpu_ms_per_launch.postgres}, agent ${result.cpu_ms_per_launch.agent}, ` +
      `callers ${result.cpu_ms_per_launch.client}, browser ${result.cpu_ms_per_launch.browser}`,
  );
  if (result.cold_start) {
    const cold = result.cold_start;
    console.log(
      `  after a warm-up of ${cold.launches} launches from a cold start (${cold.launches_per_s} launches/s; API→ACTIVE p50 ${cold.active_p50_ms} ms, ` +
        `p99 ${cold.active_p99_ms} ms; report→browser p99 ${cold.progress_p99_ms} ms)`,
    );
  }
  for (const [reason, count] of Object.entries(result.failure_reasons)) console.log(`  failed ${count}×: ${reason}`);
  if (result.launch_calls_resent > 0)
    console.log(`  ${result.launch_calls_resent} launch call(s) sent again with their idempotency key after the connection broke`);
  const out = path.join(repoRoot, "bench/results/launch.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ measured_at: new Date().toISOString(), ...result }, null, 2)}\n`);
  console.log(`written ${path.relative(repoRoot, out)}`);
}
