/**
 * Instance actions benchmark, on simulated hosts (one agent process in simulation mode, each
 * host a private libvirt test driver) behind a production-mode web process on PostgreSQL:
 *
 *   1. latency: each action alone (one at a time), from its API call to the state the user waits
 *      for, as pushed to the browser's socket (stop → SHUTOFF, start → ACTIVE, soft reboot →
 *      ACTIVE, resize → VERIFY_RESIZE then its confirm → ACTIVE); p50 / p99 per action;
 *   2. throughput: 1,000 actions of every kind, mixed, on instances spread over 100 hosts, fifty
 *      in flight (each caller runs an action to its end, then the next): actions/s and failures.
 *
 *   npm run bench -- actions      → prints a table, writes bench/results/actions.json
 *
 * Sizes: NIMBUS_BENCH_ACTIONS (1000), _CONCURRENCY (50), _HOSTS (100), _INSTANCES (100, the
 * instances the mixed actions run on), _ACTION_RUNS (30, samples per action in the latency part).
 * NIMBUS_BENCH_SHUTDOWN_TIMEOUT_SECONDS is passed on to the web process (default: its own, 60 s;
 * the test driver powers a domain off at once when asked). NIMBUS_BENCH_PROFILE=dir: a CPU profile
 * of the web process (the whole run; the mixed part dominates it).
 *
 * A new action kind is one entry in ACTIONS: the statuses it may start from, and its steps (each
 * an API call and the status the user then waits for).
 */
import http from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { z } from "zod";
import { instanceChangedSchema, instanceEventSchema, unpackBrowserMessage } from "@nimbus/core/protocol/browser";
import { MAX_COUNT } from "@nimbus/core/validation";
import { freshDatabase, repoRoot, signedInClient, spawnAgent, waitFor } from "../test/harness";
import { freePort, startWebProcess } from "../test/processes";
import { benchDatabaseUrl, cpuMsOf, postgresBackends } from "./measure";

const ACTION_COUNT = Number(process.env.NIMBUS_BENCH_ACTIONS ?? 1000);
const CONCURRENCY = Number(process.env.NIMBUS_BENCH_CONCURRENCY ?? 50);
const HOSTS = Number(process.env.NIMBUS_BENCH_HOSTS ?? 100);
const INSTANCES = Number(process.env.NIMBUS_BENCH_INSTANCES ?? 100);
const RUNS = Number(process.env.NIMBUS_BENCH_ACTION_RUNS ?? 30);
/** How long one step may take to reach its end before it counts as failed. */
const STEP_TIMEOUT_MS = 120_000;
const BENCH_MEMBER_PASSWORD = "bench-member-password";

/** An instance of the bench, as the bench last saw it settle. */
interface BenchInstance {
  id: string;
  status: string;
  flavorId: string;
}

/** One API call of an action and the status the user then waits for (the task over). */
interface Step {
  path: string;
  input: Record<string, unknown>;
  until: string;
}

interface ActionKind {
  /** The statuses (Nova's) it may start from. */
  from: readonly string[];
  steps(instance: BenchInstance, other: { flavorOtherThan(id: string): string; imageId: string }): Step[];
  /** False: timed alone only, not in the mixed run (each snapshot makes an image, within the project's image quota). */
  mixed?: boolean;
  /** What the action changed on the instance besides its status (a resize: its flavor). */
  after?(instance: BenchInstance, steps: Step[]): Partial<BenchInstance>;
}

/** The actions measured, in the order the latency part runs them (each leaves a state the next may start from). */
const ACTIONS = {
  stop: { from: ["ACTIVE"], steps: ({ id }) => [{ path: "instances.stop", input: { id }, until: "SHUTOFF" }] },
  start: { from: ["SHUTOFF"], steps: ({ id }) => [{ path: "instances.start", input: { id }, until: "ACTIVE" }] },
  reboot: { from: ["ACTIVE"], steps: ({ id }) => [{ path: "instances.reboot", input: { id, type: "SOFT" }, until: "ACTIVE" }] },
  resize_confirm: {
    from: ["ACTIVE"],
    steps: ({ id, flavorId }, { flavorOtherThan }) => [
      { path: "instances.resize", input: { id, flavorId: flavorOtherThan(flavorId) }, until: "VERIFY_RESIZE" },
      { path: "instances.confirmResize", input: { id }, until: "ACTIVE" },
    ],
    after: (_, steps) => ({ flavorId: String(steps[0]!.input.flavorId) }),
  },
  // The guest's disk to a new image (queued → saving → active); the instance stays ACTIVE.
  snapshot: {
    from: ["ACTIVE"],
    mixed: false,
    steps: ({ id }) => [{ path: "instances.snapshot", input: { instanceId: id, name: `bench-snapshot-${id.slice(0, 8)}` }, until: "ACTIVE" }],
  },
  // A fresh root disk and config drive from the same image, same host and ports.
  rebuild: {
    from: ["ACTIVE", "SHUTOFF"],
    steps: ({ id, status }, { imageId }) => [{ path: "instances.rebuild", input: { instanceId: id, imageId }, until: status }],
  },
} satisfies Record<string, ActionKind>;
type ActionName = keyof typeof ACTIONS;
const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];
/** The kinds the mixed run draws from. */
const MIXED_NAMES = ACTION_NAMES.filter((name) => (ACTIONS[name] as ActionKind).mixed !== false);

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
const now = () => performance.timeOrigin + performance.now();

/**
 * A tRPC mutation as a script sends it: a JSON POST over kept-alive connections (the tRPC
 * client's fetch costs the bench's own process more CPU than it needs, on the same two cores as
 * what is measured). Rejects with the API's message on anything but 200.
 */
function mutationCaller(baseUrl: string, cookie: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  return (procedure: string, input: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const body = JSON.stringify({ json: input });
      const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body), cookie };
      const request = http.request(new URL(`/api/trpc/${procedure}`, baseUrl), { method: "POST", agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (response.statusCode === 200) return resolve(JSON.parse(text));
          const message = errorAnswerSchema.safeParse(JSON.parse(text)).data?.error.json.message ?? text.slice(0, 300);
          reject(new Error(`${procedure} answered ${response.statusCode}: ${message}`));
        });
      });
      request.on("error", reject);
      request.end(body);
    });
}
const errorAnswerSchema = z.object({ error: z.object({ json: z.object({ message: z.string() }) }) });

/**
 * The browser's view of the actions: one socket.io connection as the console keeps. `expect`
 * (called before the API call) resolves when the instance's task is over: the first pushed state
 * with no task after one with a task (the call's own), whatever its status, with the reason of
 * an action event that ended in error meanwhile.
 */
function browserView(url: string, cookie: string) {
  const socket = io(url, { extraHeaders: { cookie }, transports: ["websocket"], forceNew: true });
  type End = { status: string; at: number; error: string | null };
  const armed = new Map<string, { sawTask: boolean; error: string | null; until: string; resolve(end: End): void }>();
  socket.onAny((name: string, message: unknown) => {
    for (const { event, payload } of unpackBrowserMessage(name, message)) {
      if (event === "instance.event") {
        const e = instanceEventSchema.parse(payload);
        const waiting = armed.get(e.instanceId);
        if (waiting && e.result === "Error") waiting.error ??= `${e.event}: ${e.details ?? "no details"}`;
      }
      if (event !== "instance.changed") continue;
      const change = instanceChangedSchema.parse(payload);
      const waiting = armed.get(change.id);
      if (!waiting) continue;
      if (change.taskState !== null) waiting.sawTask = true;
      // A move's steps hand over to each other; its end is the status it moves to (or an error).
      else if (waiting.sawTask && (change.status === waiting.until || change.status === "ERROR" || waiting.error)) {
        armed.delete(change.id);
        waiting.resolve({ status: change.status, at: now(), error: waiting.error });
      }
    }
  });
  return {
    connected: () => socket.connected,
    close: () => socket.close(),
    expect(id: string, until: string): Promise<End> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          armed.delete(id);
          resolve({ status: "no end pushed", at: now(), error: `no end within ${STEP_TIMEOUT_MS / 1000} s` });
        }, STEP_TIMEOUT_MS);
        armed.set(id, {
          sawTask: false,
          error: null,
          until,
          resolve: (end) => {
            clearTimeout(timer);
            resolve(end);
          },
        });
      });
    },
  };
}

export async function runActionsBenchmark() {
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
      ...(process.env.NIMBUS_BENCH_SHUTDOWN_TIMEOUT_SECONDS
        ? { NIMBUS_SHUTDOWN_TIMEOUT_SECONDS: process.env.NIMBUS_BENCH_SHUTDOWN_TIMEOUT_SECONDS }
        : {}),
    },
    nodeArgs: process.env.NIMBUS_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.NIMBUS_BENCH_PROFILE}/web`] : [],
  });
  const stateDir = mkdtempSync(path.join(tmpdir(), "nimbus-bench-actions-"));
  const { child: agent } = spawnAgent(
    web.url,
    "bench",
    { NODE_ENV: "production", NIMBUS_SIMULATED_HOSTS: String(HOSTS), NIMBUS_STATE_DIR: stateDir, LOG_LEVEL: "warn" },
    ["ignore", process.env.NIMBUS_BENCH_AGENT_LOG ? "inherit" : "ignore", "inherit"],
  );
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
    const demo = (await admin.client.projects.list.query()).find((p) => p.name === "demo")!;
    await admin.client.quotas.set.mutate({ projectId: demo.id, limits: { instances: -1, cores: -1, ram: -1 } });
    // The actions are a project member's, as in the console (an admin's socket also gets every host's changes).
    await admin.client.users.create.mutate({ name: "bench-member", password: BENCH_MEMBER_PASSWORD, projectId: demo.id, role: "member" });
    const member = await signedInClient(web.url, "bench-member", BENCH_MEMBER_PASSWORD);
    // Two flavors with the same disk (a resize never shrinks one): each resize goes to the other.
    const small = await Promise.all(
      ["bench.a", "bench.b"].map(
        async (name, i) => (await admin.client.flavors.create.mutate({ name, vcpus: 1, memoryMb: 512 * (i + 1), rootGb: 1 })).id,
      ),
    );
    const flavorOtherThan = (id: string) => (id === small[0] ? small[1]! : small[0]!);
    const images = await member.client.catalog.images.query();
    const network = await member.client.networks.create.mutate({ name: "bench", subnet: { name: "bench", cidr: "10.128.0.0/16" } });

    const call = mutationCaller(web.url, member.cookie()!);
    const view = browserView(web.url, member.cookie()!);
    await waitFor("the browser socket", () => view.connected());

    // The instances, spread over the hosts by the scheduler.
    const instances: BenchInstance[] = [];
    for (let i = 0; i < INSTANCES; i += MAX_COUNT) {
      const { instanceIds } = await member.client.instances.launch.mutate({
        name: `act-${i}`,
        count: Math.min(MAX_COUNT, INSTANCES - i),
        imageId: images[0]!.id,
        flavorId: small[0]!,
        networkId: network.id,
      });
      for (const id of instanceIds) instances.push({ id, status: "BUILD", flavorId: small[0]! });
    }
    await waitFor(
      `${INSTANCES} instances ACTIVE`,
      async () => {
        const listed = await member.client.instances.list.query({});
        const errored = listed.filter((i) => i.status === "ERROR");
        if (errored.length > 0) throw new Error(`${errored.length} instances did not build`);
        return listed.filter((i) => i.status === "ACTIVE").length === INSTANCES;
      },
      300_000,
    );
    for (const instance of instances) instance.status = "ACTIVE";
    const hostsUsed = new Set((await member.client.instances.list.query({})).map((i) => i.hostname)).size;

    /** Runs `name` on `instance` to its end; the time from the first call to the last step's end, or why it failed. */
    const run = async (name: ActionName, instance: BenchInstance): Promise<{ ms: number } | { failure: string }> => {
      const kind: ActionKind = ACTIONS[name];
      const steps = kind.steps(instance, { flavorOtherThan, imageId: images[0]!.id });
      const t0 = now();
      for (const step of steps) {
        const end = view.expect(instance.id, step.until);
        try {
          await call(step.path, step.input);
        } catch (error) {
          // Nothing started: the instance is as it was.
          return { failure: error instanceof Error ? error.message : String(error) };
        }
        const { status, at, error } = await end;
        instance.status = status;
        if (status !== step.until || error) return { failure: `${step.path} ended in ${status}${error ? ` (${error})` : ""}` };
        if (step === steps.at(-1)) {
          Object.assign(instance, kind.after?.(instance, steps));
          return { ms: at - t0 };
        }
      }
      throw new Error(`action ${name} has no steps`);
    };
    const startable = (name: ActionName, instance: BenchInstance) => (ACTIONS[name].from as readonly string[]).includes(instance.status);

    // 1. Latency: one action at a time, each on the next instance that may take it.
    const samples = Object.fromEntries(ACTION_NAMES.map((name) => [name, [] as number[]])) as Record<ActionName, number[]>;
    const latencyFailures: string[] = [];
    for (let round = 0; round < RUNS; round++) {
      for (const name of ACTION_NAMES) {
        const instance = instances.slice(round % 10).find((i) => startable(name, i)) ?? instances.find((i) => startable(name, i));
        if (!instance) throw new Error(`no instance may ${name} now`);
        const outcome = await run(name, instance);
        if ("ms" in outcome) samples[name].push(outcome.ms);
        else latencyFailures.push(`${name}: ${outcome.failure}`);
      }
    }

    // 2. Throughput: fifty callers, each taking a free instance and the next action kind it may
    // take (round robin over the table), running it to its end, and giving the instance back.
    const free = [...instances];
    const mixed: Record<string, number[]> = Object.fromEntries(ACTION_NAMES.map((name) => [name, []]));
    const failureReasons = new Map<string, number>();
    let nextKind = 0;
    let started = 0;
    let completed = 0;
    const loadBefore = loadavg()[0]!;
    /** CPU used so far (ms) by the web process, the agent, PostgreSQL's processes for this database and the bench itself. */
    const cpu = async () => {
      const backends = await postgresBackends(database.url);
      const { user, system } = process.cpuUsage();
      return {
        web: cpuMsOf(web.child.pid!),
        agent: cpuMsOf(agent.pid!),
        postgres: new Map(backends.map((pid) => [pid, cpuMsOf(pid)])),
        bench: (user + system) / 1000,
      };
    };
    const cpuBefore = await cpu();
    const t0 = now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (started < ACTION_COUNT) {
          started++;
          const instance = free.shift();
          if (!instance) {
            failureReasons.set("no instance left to act on", (failureReasons.get("no instance left to act on") ?? 0) + 1);
            continue;
          }
          let name: ActionName;
          do name = MIXED_NAMES[nextKind++ % MIXED_NAMES.length]!;
          while (!startable(name, instance));
          const outcome = await run(name, instance);
          if ("ms" in outcome) {
            mixed[name]!.push(outcome.ms);
            completed++;
          } else {
            const reason = `${name}: ${outcome.failure}`;
            failureReasons.set(reason, (failureReasons.get(reason) ?? 0) + 1);
          }
          // An instance whose action failed stays out (its state is not what the table expects).
          if ("ms" in outcome) free.push(instance);
        }
      }),
    );
    const seconds = (now() - t0) / 1000;
    const cpuAfter = await cpu();
    const perAction = (ms: number) => Math.round((10 * ms) / Math.max(1, completed)) / 10;
    const postgresMs = [...cpuAfter.postgres].reduce((sum, [pid, ms]) => sum + ms - (cpuBefore.postgres.get(pid) ?? 0), 0);
    view.close();
    if (exits.length > 0) throw new Error(`${exits.join("; ")} during the run; web output:\n${web.output().slice(-4000)}`);
    const summary = (values: number[]) => ({ p50_ms: Math.round(pct(values, 50)), p99_ms: Math.round(pct(values, 99)) });
    return {
      actions: ACTION_COUNT,
      concurrency: CONCURRENCY,
      hosts: HOSTS,
      instances: INSTANCES,
      hosts_used: hostsUsed,
      /** Actions run to their end per second of the mixed run. */
      actions_per_s: +(completed / seconds).toFixed(1),
      failures: [...failureReasons.values()].reduce((a, b) => a + b, 0),
      failure_reasons: Object.fromEntries(failureReasons),
      /** Each action alone (RUNS samples each): API call → the end the user waits for, pushed to the browser. */
      by_action: Object.fromEntries(ACTION_NAMES.map((name) => [name, summary(samples[name])])),
      latency_runs: RUNS,
      latency_failures: latencyFailures,
      /** The same, for the actions of the mixed run (fifty in flight). */
      mixed_by_action: Object.fromEntries(ACTION_NAMES.map((name) => [name, { count: mixed[name]!.length, ...summary(mixed[name]!) }])),
      /** CPU per action of the mixed run (ms): web process, PostgreSQL, agent, and the bench (its callers and browser socket). */
      cpu_ms_per_action: {
        web: perAction(cpuAfter.web - cpuBefore.web),
        postgres: perAction(postgresMs),
        agent: perAction(cpuAfter.agent - cpuBefore.agent),
        bench: perAction(cpuAfter.bench - cpuBefore.bench),
      },
      database_transport: connection.transport,
      load_average_1m: { before_mixed: +loadBefore.toFixed(2), after_mixed: +loadavg()[0]!.toFixed(2) },
    };
  } finally {
    agent.kill("SIGKILL");
    // A profiled process must exit on its own to write its profile.
    await web.kill(process.env.NIMBUS_BENCH_PROFILE ? "SIGINT" : "SIGKILL");
    await database.drop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export async function main() {
  const result = await runActionsBenchmark();
  const row = (cells: (string | number)[]) => cells.map((c, i) => (i === 0 ? String(c).padEnd(16) : String(c).padStart(9))).join(" ");
  console.log(
    `actions: each alone (${result.latency_runs} samples each), and in the mixed run (${result.concurrency} in flight), API call → end pushed`,
  );
  console.log(row(["action", "p50 ms", "p99 ms", "mixed n", "p50 ms", "p99 ms"]));
  for (const name of ACTION_NAMES) {
    const alone = result.by_action[name]!;
    const mixed = result.mixed_by_action[name]!;
    console.log(row([name, alone.p50_ms, alone.p99_ms, mixed.count, mixed.p50_ms, mixed.p99_ms]));
  }
  console.log(
    `mixed: ${result.actions} actions on ${result.instances} instances over ${result.hosts_used} of ${result.hosts} simulated hosts, ` +
      `concurrency ${result.concurrency}: ${result.actions_per_s} actions/s, failures ${result.failures}; ` +
      `load average ${result.load_average_1m.before_mixed} → ${result.load_average_1m.after_mixed}`,
  );
  const cpu = result.cpu_ms_per_action;
  console.log(`  CPU per action: web ${cpu.web} ms, PostgreSQL ${cpu.postgres}, agent ${cpu.agent}, bench ${cpu.bench}`);
  for (const [reason, count] of Object.entries(result.failure_reasons)) console.log(`  failed ${count}×: ${reason}`);
  for (const failure of result.latency_failures) console.log(`  failed alone: ${failure}`);
  const out = path.join(repoRoot, "bench/results/actions.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ measured_at: new Date().toISOString(), ...result }, null, 2)}\n`);
  console.log(`written ${path.relative(repoRoot, out)}`);
}
