/**
 * Scheduler benchmark: select-and-claim latency with 100, 1,000 and 10,000 hosts in the
 * database (the real conductor path: load host snapshots, filter and weigh, claim in placement
 * with the generation compare-and-swap). Runs against PostgreSQL when NIMBUS_BENCH_DATABASE_URL
 * (or the machine's local server) is reachable, as production does.
 *
 *   npm run bench -- scheduler     → prints figures, writes bench/results/scheduler.json
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { openDatabase, schema } from "@nimbus/db";
import { claimResources } from "../src/placement/claim";
import { loadHostSnapshots } from "../src/scheduler/host-states";
import { selectHosts } from "../src/scheduler/select";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const ADMIN_URL = process.env.NIMBUS_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const FLEETS = [100, 1_000, 10_000];
const CLAIMS = Number(process.env.NIMBUS_BENCH_CLAIMS ?? 300);
const WARMUP = 20;

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

async function runFleet(hosts: number) {
  const name = `nimbus_bench_sched_${process.pid}_${hosts}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString() });
  try {
    const { db } = handle;
    const now = new Date();
    for (let start = 0; start < hosts; start += 1000) {
      await db.insert(schema.computeHosts).values(
        Array.from({ length: Math.min(1000, hosts - start) }, (_, i) => ({
          hostname: `bench-${start + i}`,
          hypervisorType: "test",
          hypervisorUri: "test:///default",
          vcpusTotal: 64,
          memoryMbTotal: 262_144,
          diskGbTotal: 2_000,
          agentSessionId: "bench",
          lastHeartbeatAt: now,
        })),
      );
    }
    const [project] = await db.insert(schema.projects).values({ name: "bench" }).returning();
    const [user] = await db.insert(schema.users).values({ name: "bench", passwordHash: "x" }).returning();
    const [flavor] = await db.insert(schema.flavors).values({ name: "bench.small", vcpus: 2, memoryMb: 2048, rootGb: 20 }).returning();
    const instances = await db
      .insert(schema.instances)
      .values(
        Array.from({ length: CLAIMS + WARMUP }, (_, i) => ({
          name: `b-${i}`,
          projectId: project!.id,
          userId: user!.id,
          flavorId: flavor!.id,
          vcpus: 2,
          memoryMb: 2048,
          rootGb: 20,
          reservationId: "r-bench",
        })),
      )
      .returning({ id: schema.instances.id });

    const spec = { vcpus: 2, memoryMb: 2048, diskGb: 20, projectId: project!.id };
    const samples: number[] = [];
    for (const [index, { id }] of instances.entries()) {
      const started = performance.now();
      for (;;) {
        const snapshots = await loadHostSnapshots(db, { downAfterMs: 3_600_000, candidatesFor: spec, limit: 100 });
        const result = selectHosts(snapshots, spec, { maxAttempts: 3 });
        if (!result.ok) throw new Error(result.explanation);
        const best = result.hosts[0]!;
        const generation = snapshots.find((h) => h.id === best.id)!.generation;
        if ((await claimResources(db, { hostId: best.id, generation, instanceId: id, resources: spec })) === "claimed") break;
      }
      if (index >= WARMUP) samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    return { hosts, claims: samples.length, p50_ms: +percentile(samples, 50).toFixed(2), p99_ms: +percentile(samples, 99).toFixed(2) };
  } finally {
    await handle.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

const runs = [];
for (const hosts of FLEETS) {
  const run = await runFleet(hosts);
  console.log(`scheduler: ${String(run.hosts).padStart(6)} hosts  select+claim p50 ${run.p50_ms} ms  p99 ${run.p99_ms} ms  (${run.claims} claims)`);
  runs.push(run);
}
const out = path.join(repoRoot, "bench/results/scheduler.json");
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ measured_at: new Date().toISOString(), database: "postgresql", runs }, null, 2)}\n`);
console.log(`written ${path.relative(repoRoot, out)}`);
