/**
 * Soak: an hour (by default) of churn while parts fail. Two web processes share a PostgreSQL
 * server of the bench's own; a few agent processes run many simulated hosts each (Nova's fake
 * driver on libvirt's test driver). Workers keep launching instances, stopping, starting and
 * rebooting them and deleting them, through either web process, while a fault injector, in
 * random order, SIGKILLs an agent (restarted), SIGSTOPs one (SIGCONT later), SIGKILLs a web
 * process (restarted on its port), restarts PostgreSQL, terminates every Nimbus connection
 * (`pg_terminate_backend`), and fills the image store's disk (a small tmpfs) during an upload.
 *
 * Every minute, and at the end once the churn has stopped and the cloud settled, the invariants
 * are checked: no instance stuck in a task state (or building) past the timeouts; every host's
 * usage counters equal its allocations and every project's quota usage what exists (read in
 * one snapshot); no port left on a deleted instance; at the end every instance ACTIVE, SHUTOFF
 * or ERROR with a fault, no allocation or action task left over; the web processes' memory and
 * Nimbus's database connections within bounds. Any violation names the instances involved and
 * fails the run.
 *
 *   npm run bench -- soak [--minutes N]   → prints each fault and check, writes bench/results/soak.json
 *
 * Not checked: orphan domains on the hosts. A simulated host's domains live inside its agent
 * process (a private test driver), out of the bench's sight; the server's reconciliation at each
 * agent's (re)registration is what destroys unknown domains (tested in fault-injection.test.ts).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { usageByHost } from "@nimbus/core/placement";
import { computeUsage } from "@nimbus/core/quota";
import { rowsOf, schema, type DatabaseHandle } from "@nimbus/db";
import { sql } from "@nimbus/db/orm";
import { apiClient, ADMIN_PASSWORD, openUpload, repoRoot, spawnAgent, waitFor } from "../test/harness";
import { startPrivatePostgres, type PrivatePostgres } from "../test/private-postgres";
import { freePort, openTestDatabase, startWebProcess, type WebProcess } from "../test/processes";

export type FaultKind = "agent_kill" | "agent_pause" | "web_kill" | "postgres_restart" | "connections_terminated" | "image_store_full";
export const FAULT_KINDS: readonly FaultKind[] = [
  "agent_kill",
  "agent_pause",
  "web_kill",
  "postgres_restart",
  "connections_terminated",
  "image_store_full",
];

export interface SoakOptions {
  minutes: number;
  /** Agent processes, and simulated hosts in each. */
  agents?: number;
  hostsPerAgent?: number;
  /** Workers churning instances at once. */
  workers?: number;
  /** Seconds between faults (each fault then heals before the next). */
  faultEverySeconds?: number;
  print?: (line: string) => void;
}

export interface SoakCheck {
  atSeconds: number;
  final: boolean;
  instances: number;
  byStatus: Record<string, number>;
  violations: string[];
}

export interface SoakReport {
  minutes: number;
  agents: number;
  hosts: number;
  web_processes: number;
  faults: { atSeconds: number; kind: FaultKind; detail: string }[];
  checks: SoakCheck[];
  counts: { launches: number; actions: number; deletes: number; refused_calls: number };
  samples: { atSeconds: number; web_rss_mb: number[]; db_connections: number }[];
  violations: string[];
}

/** An instance in a task (or building) this long has outlived every timeout of the run. */
const STUCK_AFTER_SECONDS = 120;
/** A port may outlive its instance's delete this long (the host's destroy is acknowledged first). */
const PORT_GRACE_SECONDS = 60;
/** What two web processes may hold at most: 2 × (20 API + 4 agents' + 4 socket.io adapter). */
const MAX_DB_CONNECTIONS = 2 * (20 + 4 + 4);
/** A web process past this has grown beyond any working set of this run. */
const MAX_WEB_RSS_MB = 1_024;
const WEB_ENV = {
  NODE_ENV: "production",
  LOG_LEVEL: "warn",
  NIMBUS_HOST_DOWN_AFTER_SECONDS: "6",
  NIMBUS_HOST_RECONNECT_GRACE_SECONDS: "3",
  NIMBUS_BUILD_TIMEOUT_SECONDS: "30",
  NIMBUS_ACTION_TIMEOUT_SECONDS: "30",
  NIMBUS_SHUTDOWN_TIMEOUT_SECONDS: "1",
  NIMBUS_CONDUCTOR_LEASE_SECONDS: "5",
  NIMBUS_UPLOAD_STALL_SECONDS: "5",
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("VmRSS:"));
    return line ? Math.round(Number(line.split(/\s+/)[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

type Client = ReturnType<typeof apiClient>["client"];

/**
 * The invariants at one moment, read in one REPEATABLE READ snapshot. Under churn (`final`
 * false) an instance may be in a task, so only one stuck past every timeout is a violation.
 */
async function checkInvariants(handle: DatabaseHandle, final: boolean): Promise<Omit<SoakCheck, "atSeconds" | "final">> {
  return handle.db.transaction(
    async (tx) => {
      const violations: string[] = [];
      const instances = await tx.select().from(schema.instances);
      const live = instances.filter((i) => i.vmState !== "deleted");
      const liveIds = new Map(live.map((i) => [i.id, i]));
      const byStatus: Record<string, number> = {};
      const now = Date.now();
      for (const i of live) {
        const label = i.taskState ? `${i.vmState}/${i.taskState}` : i.vmState;
        byStatus[label] = (byStatus[label] ?? 0) + 1;
        const busy = i.taskState !== null || i.vmState === "building";
        const idleSeconds = (now - i.updatedAt.getTime()) / 1000;
        if (busy && (final || idleSeconds > STUCK_AFTER_SECONDS))
          violations.push(`instance ${i.id} (${i.name}) stuck in ${label} for ${Math.round(idleSeconds)} s`);
        if (i.vmState === "error" && !i.fault?.message) violations.push(`instance ${i.id} (${i.name}) is in ERROR without a fault`);
      }
      const holders = new Map((await tx.select().from(schema.allocations)).map((a) => [a.instanceId, a.hostId]));
      for (const [instanceId, hostId] of holders) {
        const owner = liveIds.get(instanceId);
        if (!owner) violations.push(`allocation on host ${hostId} held by deleted instance ${instanceId}`);
        else if (final && owner.vmState === "error") violations.push(`allocation held by instance ${owner.id} (${owner.name}) in ERROR`);
      }
      const truth = await usageByHost(tx);
      for (const host of await tx.select().from(schema.computeHosts)) {
        const sums = truth.get(host.id) ?? {};
        const counters = [host.vcpusUsed, host.memoryMbUsed, host.diskGbUsed].join("/");
        const allocated = [sums.VCPU ?? 0, sums.MEMORY_MB ?? 0, sums.DISK_GB ?? 0].join("/");
        if (counters !== allocated) violations.push(`host ${host.hostname}: usage counters ${counters} but allocations ${allocated}`);
      }
      for (const projectId of new Set(live.map((i) => i.projectId))) {
        const mine = live.filter((i) => i.projectId === projectId);
        const usage = await computeUsage(tx, projectId);
        const expected = { instances: mine.length, cores: mine.reduce((n, i) => n + i.vcpus, 0), ram: mine.reduce((n, i) => n + i.memoryMb, 0) };
        if (JSON.stringify(usage) !== JSON.stringify(expected))
          violations.push(`project ${projectId}: quota usage ${JSON.stringify(usage)} but ${JSON.stringify(expected)} exist`);
      }
      const gone = new Map(instances.filter((i) => i.vmState === "deleted").map((i) => [i.id, i]));
      for (const port of await tx.select().from(schema.ports)) {
        const owner = port.instanceId ? gone.get(port.instanceId) : undefined;
        if (owner && (final || (now - (owner.deletedAt ?? owner.updatedAt).getTime()) / 1000 > PORT_GRACE_SECONDS))
          violations.push(`port ${port.ipAddress} still bound to deleted instance ${owner.id}`);
      }
      if (final) {
        for (const task of await tx.select().from(schema.instanceTasks)) violations.push(`action task left over on instance ${task.instanceId}`);
      }
      return { instances: live.length, byStatus, violations };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const agentCount = options.agents ?? 3;
  const hostsPerAgent = options.hostsPerAgent ?? 10;
  const workerCount = options.workers ?? 6;
  const faultEveryMs = (options.faultEverySeconds ?? 20) * 1000;
  const durationMs = options.minutes * 60_000;
  const started = performance.now();
  const at = () => Math.round((performance.now() - started) / 1000);
  const report: SoakReport = {
    minutes: options.minutes,
    agents: agentCount,
    hosts: agentCount * hostsPerAgent,
    web_processes: 2,
    faults: [],
    checks: [],
    counts: { launches: 0, actions: 0, deletes: 0, refused_calls: 0 },
    samples: [],
    violations: [],
  };

  const workDir = mkdtempSync(path.join(tmpdir(), "nimbus-soak-"));
  // The image store every web process shares: a small tmpfs the disk-full fault can fill (root only).
  const imageStore = path.join(workDir, "images");
  mkdirSync(imageStore);
  const canMount = process.getuid?.() === 0;
  if (canMount) execFileSync("mount", ["-t", "tmpfs", "-o", "size=48m,mode=0700", "nimbus-soak-images", imageStore]);
  const pg: PrivatePostgres = await startPrivatePostgres();
  let handle: DatabaseHandle | undefined;
  const webs: (WebProcess | null)[] = [null, null];
  const ports = [await freePort(), await freePort()];
  const agents: ({ child: ReturnType<typeof spawnAgent>["child"]; paused: boolean } | null)[] = [];
  let stopping = false;
  const agentLog: string[] = [];
  const webLogs: string[] = [];
  try {
    const env = { ...WEB_ENV, NIMBUS_IMAGE_STORE: imageStore };
    const startWeb = async (i: number) => {
      const web = await startWebProcess({ port: ports[i]!, databaseUrl: pg.url, env });
      webs[i] = web;
      // A web process must survive every fault but its own SIGKILL: an exit of its own is a violation.
      web.child.once("exit", (code, signal) => {
        webLogs.push(...web.output().split("\n"));
        if (webs[i] !== web || stopping) return;
        webs[i] = null;
        const tail = web.output().split("\n").slice(-15).join("\n");
        report.violations.push(`web process ${i + 1} exited by itself (${signal ?? code}) at ${at()} s:\n${tail}`);
        print(`  ✗ web process ${i + 1} exited by itself (${signal ?? code}):\n${tail}`);
        void startWeb(i).catch(() => {});
      });
    };
    await startWeb(0);
    await startWeb(1);
    handle = await openTestDatabase(pg.url);
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    const startAgentProcess = (i: number) => {
      const stateDir = path.join(workDir, `agent-${i}`);
      rmSync(stateDir, { recursive: true, force: true });
      mkdirSync(stateDir, { recursive: true });
      const { child } = spawnAgent(
        urls.join(","),
        `soak-${i}`,
        { NODE_ENV: "production", NIMBUS_SIMULATED_HOSTS: String(hostsPerAgent), NIMBUS_STATE_DIR: stateDir, LOG_LEVEL: "info" },
        ["ignore", "pipe", "pipe"],
      );
      // Kept to name what happened to an instance a violation names (agents log its id).
      const keep = (chunk: Buffer) =>
        agentLog.push(
          ...chunk
            .toString()
            .split("\n")
            .filter((line) => line.includes("instanceId")),
        );
      child.stdout?.on("data", keep);
      child.stderr?.on("data", keep);
      agents[i] = { child, paused: false };
    };
    for (let i = 0; i < agentCount; i++) startAgentProcess(i);

    // One signed-in client per web process (sessions live in the database: either may answer).
    const clients: Client[] = [];
    for (const url of urls) {
      const api = apiClient(url);
      await api.client.auth.signIn.mutate({ name: "admin", password: ADMIN_PASSWORD });
      clients.push(api.client);
    }
    const cookieFor = async (url: string) => {
      const response = await fetch(`${url}/api/trpc/auth.signIn`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: url },
        body: JSON.stringify({ json: { name: "admin", password: ADMIN_PASSWORD } }),
      });
      return response.headers.get("set-cookie")?.split(";")[0] ?? "";
    };
    await waitFor(
      "every simulated host up",
      async () => (await clients[0]!.hosts.list.query()).filter((h) => h.state === "up").length === report.hosts,
      120_000,
    );
    const admin = clients[0]!;
    const [flavors, images, networks, projects] = await Promise.all([
      admin.catalog.flavors.query(),
      admin.catalog.images.query(),
      admin.catalog.networks.query(),
      admin.projects.list.query(),
    ]);
    const adminProject = projects.find((p) => p.name === "admin")!;
    await admin.quotas.set.mutate({ projectId: adminProject.id, limits: { instances: -1, cores: -1, ram: -1 } });
    const launchInput = { count: 1, imageId: images[0]!.id, flavorId: flavors.find((f) => f.name === "m1.tiny")!.id, networkId: networks[0]!.id };
    print(`soak: ${options.minutes} min, 2 web processes, ${agentCount} agents × ${hostsPerAgent} simulated hosts, ${workerCount} workers`);

    /** A call through a live web process; refused while its process or the database is away (counted, not fatal). */
    const call = async <T>(fn: (client: Client) => Promise<T>): Promise<T | null> => {
      const live = clients.filter((_, i) => webs[i] !== null);
      try {
        return await fn(pick(live.length > 0 ? live : clients));
      } catch {
        report.counts.refused_calls += 1;
        await sleep(250);
        return null;
      }
    };
    const statusOf = async (id: string) => (await call((c) => c.instances.get.query({ id })))?.instance ?? null;
    /** Waits until the instance settles (no task); null if it did not within the time or went away. */
    const settle = async (id: string, withinMs = 90_000) => {
      const deadline = Date.now() + withinMs;
      while (!stopping && Date.now() < deadline) {
        const instance = await statusOf(id);
        if (instance && instance.taskState === null && instance.status !== "BUILD") return instance;
        await sleep(300);
      }
      return null;
    };

    const worker = async (n: number) => {
      let k = 0;
      while (!stopping) {
        k += 1;
        const launched = await call((c) => c.instances.launch.mutate({ ...launchInput, name: `soak-${n}-${k}` }));
        if (!launched) continue;
        report.counts.launches += 1;
        const id = launched.instanceIds[0]!;
        let instance = await settle(id);
        for (let a = 0; a < 3 && instance && instance.status !== "ERROR" && !stopping; a++) {
          const done =
            instance.status === "SHUTOFF"
              ? await call((c) => c.instances.start.mutate({ id }))
              : await call((c) => (Math.random() < 0.5 ? c.instances.stop.mutate({ id }) : c.instances.reboot.mutate({ id, type: "SOFT" })));
          if (done) report.counts.actions += 1;
          instance = await settle(id);
        }
        // Delete until the call is taken (a refused one is asked again).
        for (let tries = 0; tries < 20; tries++) {
          if (await call((c) => c.instances.delete.mutate({ id }))) {
            report.counts.deletes += 1;
            break;
          }
        }
      }
    };

    const heal: (() => Promise<void>)[] = [];
    const inject = async (kind: FaultKind): Promise<string> => {
      switch (kind) {
        case "agent_kill": {
          const i = Math.floor(Math.random() * agentCount);
          agents[i]?.child.kill("SIGKILL");
          await sleep(3_000);
          startAgentProcess(i);
          return `agent soak-${i} (${hostsPerAgent} hosts) SIGKILLed, restarted after 3 s with an empty state directory (its simulated domains gone with it)`;
        }
        case "agent_pause": {
          const i = Math.floor(Math.random() * agentCount);
          const agent = agents[i]!;
          agent.child.kill("SIGSTOP");
          agent.paused = true;
          await sleep(5_000);
          agent.child.kill("SIGCONT");
          agent.paused = false;
          return `agent soak-${i} SIGSTOPped for 5 s, then SIGCONT`;
        }
        case "web_kill": {
          const i = Math.floor(Math.random() * 2);
          const web = webs[i]!;
          webs[i] = null;
          await web.kill("SIGKILL");
          await sleep(2_000);
          await startWeb(i);
          return `web process ${i + 1} of 2 SIGKILLed, restarted on its port after 2 s`;
        }
        case "postgres_restart": {
          const t0 = performance.now();
          pg.restart();
          return `PostgreSQL restarted (pg_ctl restart -m fast, ${Math.round(performance.now() - t0)} ms)`;
        }
        case "connections_terminated": {
          const rows = await handle!.db.execute(
            sql`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name like 'nimbus-%'`,
          );
          const n = rowsOf<{ n: number }>(rows)[0]?.n ?? 0;
          return `pg_terminate_backend of ${n} Nimbus connections`;
        }
        case "image_store_full": {
          if (!canMount) return "not injected: mounting the small image store needs root";
          const filler = path.join(imageStore, "filler");
          try {
            execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=1M", "count=64"], { stdio: "ignore" });
          } catch {
            // dd stops at ENOSPC: the store is full, as intended.
          }
          heal.push(async () => rmSync(filler, { force: true }));
          const url = urls[webs[0] ? 0 : 1]!;
          const image = await call((c) => c.images.create.mutate({ name: "soak-disk-full", diskFormat: "raw" }));
          if (!image) return "image store filled; the image create was refused (web or database away)";
          const upload = openUpload(url, image.id, await cookieFor(url), { "content-length": String(8 * 1024 * 1024) });
          upload.req.end(Buffer.alloc(8 * 1024 * 1024));
          const answer = await upload.answer.catch((error: unknown) => ({ status: 0, body: String(error) }));
          const after = await call((c) => c.images.get.query({ id: image.id }));
          rmSync(filler, { force: true });
          heal.pop();
          const message = (() => {
            try {
              return (JSON.parse(answer.body) as { error?: { message?: string } }).error?.message ?? answer.body;
            } catch {
              return answer.body;
            }
          })();
          if (answer.status !== 413 || !message.startsWith("The image store is full"))
            report.violations.push(
              `an upload to a full image store was answered ${answer.status} "${message.slice(0, 200)}", not 413 "The image store is full…"`,
            );
          if (after && after.status !== "killed")
            report.violations.push(`image ${image.id} uploaded to a full store ended ${after.status}, not killed`);
          return `image store filled; an 8 MiB upload answered ${answer.status} "${message.slice(0, 120)}", image ${after?.status ?? "?"}`;
        }
      }
    };

    const sample = async () => {
      const rows = rowsOf<{ n: number }>(
        await handle!.db.execute(sql`select count(*)::int as n from pg_stat_activity where application_name like 'nimbus-%'`),
      );
      const entry = { atSeconds: at(), web_rss_mb: webs.map((w) => rssMb(w?.child.pid)), db_connections: rows[0]?.n ?? 0 };
      report.samples.push(entry);
      if (entry.db_connections > MAX_DB_CONNECTIONS)
        report.violations.push(`${entry.db_connections} Nimbus database connections at ${entry.atSeconds} s (bound ${MAX_DB_CONNECTIONS})`);
      for (const [i, mb] of entry.web_rss_mb.entries())
        if (mb > MAX_WEB_RSS_MB) report.violations.push(`web process ${i + 1} at ${mb} MB RSS at ${entry.atSeconds} s (bound ${MAX_WEB_RSS_MB} MB)`);
      return entry;
    };
    const check = async (final: boolean) => {
      const result = await checkInvariants(handle!, final).catch((error: unknown) => ({
        instances: -1,
        byStatus: {},
        violations: final ? [`the final check could not read the database: ${String(error)}`] : [],
      }));
      if (result.instances === -1 && !final) return; // the database was away for this minute's check
      const entry: SoakCheck = { atSeconds: at(), final, ...result };
      report.checks.push(entry);
      report.violations.push(...result.violations);
      const s = await sample().catch(() => null);
      print(
        `  check ${final ? "final" : `@${entry.atSeconds}s`}: ${entry.instances} instances ${JSON.stringify(entry.byStatus)}; ` +
          `${result.violations.length} violations${s ? `; web RSS ${s.web_rss_mb.join("/")} MB, ${s.db_connections} db connections` : ""}`,
      );
      for (const v of result.violations.slice(0, 20)) print(`    ✗ ${v}`);
      if (final) {
        // What the agents and web processes said about each instance named.
        const logs = [...agentLog, ...webs.flatMap((w) => (w ? w.output().split("\n") : [])), ...webLogs];
        for (const id of new Set(result.violations.flatMap((v) => v.match(/[0-9a-f]{8}-[0-9a-f-]{27}/g) ?? [])))
          for (const line of logs.filter((l) => l.includes(id)).slice(-12)) print(`      ${id.slice(0, 8)}: ${line.slice(0, 400)}`);
      }
    };

    const workers = Array.from({ length: workerCount }, (_, n) => worker(n));
    const faults = (async () => {
      let deck: FaultKind[] = [];
      while (!stopping) {
        await sleep(faultEveryMs);
        if (stopping) break;
        if (deck.length === 0) deck = shuffled(FAULT_KINDS);
        const kind = deck.pop()!;
        const detail = await inject(kind).catch((error: unknown) => `failed to inject: ${String(error)}`);
        report.faults.push({ atSeconds: at(), kind, detail });
        print(`  fault @${at()}s ${kind}: ${detail}`);
      }
    })();
    const minutes = (async () => {
      while (!stopping) {
        await sleep(60_000);
        if (!stopping) await check(false);
      }
    })();

    await sleep(durationMs);
    stopping = true;
    await faults;
    await Promise.all(workers);
    await minutes;
    // Heal what is still broken, then let the cloud settle before the final check.
    for (const h of heal) await h();
    for (const [i, agent] of agents.entries()) {
      if (agent?.paused) agent.child.kill("SIGCONT");
      if (!agent || agent.child.exitCode !== null || agent.child.signalCode !== null) startAgentProcess(i);
    }
    for (const [i, web] of webs.entries()) if (!web) await startWeb(i);
    await waitFor(
      "every instance to settle",
      async () =>
        rowsOf<{ n: number }>(
          await handle!.db.execute(
            sql`select count(*)::int as n from instances where vm_state <> 'deleted' and (task_state is not null or vm_state = 'building')`,
          ),
        )[0]?.n === 0,
      180_000,
    ).catch(() => print("  (some instances did not settle within 180 s: the final check names them)"));
    await check(true);
  } finally {
    stopping = true;
    for (const agent of agents) {
      if (agent?.paused) agent.child.kill("SIGCONT");
      agent?.child.kill("SIGKILL");
    }
    for (const web of webs) await web?.kill("SIGKILL");
    await handle?.close().catch(() => {});
    pg.destroy();
    if (canMount) {
      try {
        execFileSync("umount", [imageStore]);
      } catch {
        // Already unmounted.
      }
    }
    rmSync(workDir, { recursive: true, force: true });
  }
  print(
    `soak: ${report.faults.length} faults (${FAULT_KINDS.map((k) => `${k} ${report.faults.filter((f) => f.kind === k).length}`).join(", ")}), ` +
      `${report.counts.launches} launches, ${report.counts.actions} actions, ${report.counts.deletes} deletes, ${report.counts.refused_calls} calls refused while a part was away; ` +
      `${report.violations.length} violations`,
  );
  return report;
}

export async function main() {
  const flag = process.argv.indexOf("--minutes");
  const minutes = flag === -1 ? 60 : Number(process.argv[flag + 1]);
  if (!(minutes > 0)) throw new Error("--minutes takes a positive number");
  const report = await runSoak({ minutes });
  const out = path.join(repoRoot, "bench/results/soak.json");
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
  if (report.violations.length > 0) process.exitCode = 1;
}
