/**
 * Scale benchmark: how the console's lists and the launch pipeline hold up as the cloud grows.
 * At each size (1,000 / 10,000 / 100,000 instances over 100 / 1,000 / 10,000 hosts) a fresh
 * PostgreSQL database behind a production-mode web process, with a compute agent running a few
 * live simulated hosts for the launches, is seeded with SQL (instances with their ports,
 * create actions and build events, on simulated hosts that are up and full so the scheduler
 * passes them over) since launching them one by one would take hours. Then, through the real
 * API as the console calls it:
 *
 *   - the instance list: first page, a filtered page (flavor + name substring), the 50th page
 *     (reached by following Next), each p50/p99 over repeated calls;
 *   - instance show; the host inventory page (sorted by free RAM) and its SQL summary;
 *   - launches at concurrency 50 to ACTIVE (launches/s, p99), measured on the empty cloud
 *     first and again once seeded, in rounds taken in turns in the seeded project and in a
 *     project with no instances (medians: the machine's load drifts between runs);
 *   - the scheduler's select + claim (the scheduling event, host assigned, of launches one at a time);
 *   - peak RSS of web and agent; the database's size;
 *   - which indexes served the list queries (pg_stat_user_indexes) and EXPLAIN of the list's
 *     statement shapes on the seeded database.
 *
 *   npm run bench -- scale                   → all three sizes, writes bench/results/scale.json
 *   npm run bench -- scale --sizes 1000      → a subset (instances per size, comma separated)
 *
 * NIMBUS_BENCH_SCALE_SAMPLES (200): calls per latency figure; NIMBUS_BENCH_SCALE_LAUNCHES (300)
 * launches per launch figure after 100 of warm-up; NIMBUS_BENCH_SCALE_LAUNCH_ROUNDS (3): rounds in each
 * project once seeded; NIMBUS_BENCH_SCALE_LIVE_HOSTS (20): live simulated hosts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { instanceChangedSchema } from "@nimbus/core/protocol/browser";
import { browserSocket, freshDatabase, onAnnouncement, repoRoot, signedInClient, spawnAgent, waitFor } from "../test/harness";
import { freePort, startWebProcess } from "../test/processes";

const SIZES = [
  { instances: 1_000, hosts: 100 },
  { instances: 10_000, hosts: 1_000 },
  { instances: 100_000, hosts: 10_000 },
];
const SAMPLES = Number(process.env.NIMBUS_BENCH_SCALE_SAMPLES ?? 200);
const LAUNCHES = Number(process.env.NIMBUS_BENCH_SCALE_LAUNCHES ?? 300);
const WARMUP = 100;
const CONCURRENCY = 50;
const LIVE_HOSTS = Number(process.env.NIMBUS_BENCH_SCALE_LIVE_HOSTS ?? 20);
const SEQUENTIAL_LAUNCHES = 40;
/** Rounds of launches after seeding, in turns in the seeded project and an empty one. */
const LAUNCH_ROUNDS = Number(process.env.NIMBUS_BENCH_SCALE_LAUNCH_ROUNDS ?? 3);
/** The seeded instances in the measured project (the rest spread over nine others). */
const MEASURED_SHARE = 0.5;
const PAGE_SIZE = 20;
const BENCH_MEMBER_PASSWORD = "bench-member-password";

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
const round1 = (v: number) => Math.round(v * 10) / 10;
const peakRssMb = (pid: number) => {
  const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmHWM:\s+(\d+) kB/);
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
};

/** `call` SAMPLES times one after another (after a few unmeasured), its p50 and p99 in ms. */
async function latency(call: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 5; i++) await call(i);
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await call(i);
    samples.push(performance.now() - t0);
  }
  return { p50: round1(pct(samples, 50)), p99: round1(pct(samples, 99)) };
}

interface SeedIds {
  projectIds: string[];
  userId: string;
  flavorIds: string[];
  imageId: string;
  networkId: string;
  subnetId: string;
}

/**
 * The seeded cloud, in SQL: `hosts` simulated hosts (up, their vCPUs all used, so the scheduler
 * passes them over to the live ones), then `instances` instances spread over them and the
 * projects, each with a port, a create action and its four build events.
 */
async function seed(sql: postgres.Sql, ids: SeedIds, size: { instances: number; hosts: number }) {
  await sql`
    insert into compute_hosts (hostname, hypervisor_type, hypervisor_uri, vcpus_total, memory_mb_total, disk_gb_total,
      vcpus_used, memory_mb_used, disk_gb_used, agent_session_id, last_heartbeat_at)
    select 'seeded-' || lpad(g::text, 5, '0'), 'test', 'test:///default', 32, 65536 * (1 + g % 8), 2000,
      128, (g * 7919) % (65536 * (1 + g % 8)), g % 2000, 'seeded', now() + interval '1 day'
    from generate_series(1, ${size.hosts}) g`;
  const hostIds = (await sql<{ id: string }[]>`select id from compute_hosts where hostname like 'seeded-%' order by hostname`).map((r) => r.id);
  const chunk = 20_000;
  for (let from = 1; from <= size.instances; from += chunk) {
    const to = Math.min(size.instances, from + chunk - 1);
    await sql.begin(async (tx) => {
      // Three at a time share a creation time (a launch of three), told apart by launch index.
      await tx`
        create temporary table seeded on commit drop as
        select g, gen_random_uuid() as id,
          case when g % 100 < ${Math.round(MEASURED_SHARE * 100)} then ${ids.projectIds[0]!}::uuid
               else (${ids.projectIds}::uuid[])[2 + g % ${ids.projectIds.length - 1}] end as project_id,
          (${ids.flavorIds}::uuid[])[1 + g % ${ids.flavorIds.length}] as flavor_id,
          (${hostIds}::uuid[])[1 + g % ${hostIds.length}] as host_id,
          (array['active','active','active','active','active','active','active','stopped','stopped','error','paused','suspended'])[1 + (g * 31) % 12]::vm_state as vm_state,
          now() - ((${size.instances} - g) / 3) * interval '1 second' as created_at,
          '10.' || (64 + (g >> 16)) || '.' || ((g >> 8) & 255) || '.' || (g & 255) as ip,
          'fa:16:3f:' || lpad(to_hex((g >> 16) & 255), 2, '0') || ':' || lpad(to_hex((g >> 8) & 255), 2, '0') || ':' || lpad(to_hex(g & 255), 2, '0') as mac
        from generate_series(${from}::int, ${to}::int) g`;
      await tx`
        insert into instances (id, name, project_id, user_id, flavor_id, image_id, network_id, host_id, vcpus, memory_mb, root_gb,
          vm_state, power_state, reservation_id, launch_index, fixed_ip, mac_address, created_at, updated_at, launched_at)
        select s.id, 'seed-' || s.g, s.project_id, ${ids.userId}::uuid, s.flavor_id, ${ids.imageId}::uuid, ${ids.networkId}::uuid, s.host_id,
          f.vcpus, f.memory_mb, f.root_gb, s.vm_state,
          (case when s.vm_state in ('active', 'paused') then 'running' else 'shutdown' end)::power_state,
          'r-seed-' || (s.g / 3), s.g % 3, s.ip, s.mac, s.created_at, s.created_at, s.created_at
        from seeded s join flavors f on f.id = s.flavor_id`;
      await tx`
        insert into ports (network_id, subnet_id, project_id, instance_id, mac_address, ip_address, status, created_at)
        select ${ids.networkId}::uuid, ${ids.subnetId}::uuid, s.project_id, s.id, s.mac, s.ip, 'ACTIVE', s.created_at from seeded s`;
      await tx`
        with actions as (
          insert into instance_actions (instance_id, action, request_id, user_id, project_id, start_time, finish_time)
          select s.id, 'create', 'req-seed-' || s.g, ${ids.userId}::uuid, s.project_id, s.created_at, s.created_at + interval '1 second'
          from seeded s
          returning id, instance_id, start_time
        )
        insert into instance_action_events (action_id, instance_id, event, start_time, finish_time, result)
        select a.id, a.instance_id, e.event, a.start_time + e.n * interval '100 milliseconds', a.start_time + (e.n + 1) * interval '100 milliseconds', 'Success'
        from actions a, (values (0, 'scheduling'), (1, 'networking'), (2, 'block_device_mapping'), (3, 'spawning')) as e(n, event)`;
    });
  }
  await sql`analyze`;
}

/** The list's statement shapes (core's listInstancePage) on the seeded database, as EXPLAIN plans them. */
async function explainLists(sql: postgres.Sql, projectId: string, flavorId: string) {
  const shapes: Record<string, string> = {
    first_page: `select i.id from instances i where i.project_id = '${projectId}' and i.vm_state <> 'deleted'
      order by i.created_at desc, (-i.launch_index) desc, i.id desc limit 21`,
    filtered_page: `select i.id from instances i where i.project_id = '${projectId}' and i.vm_state <> 'deleted'
      and i.flavor_id = '${flavorId}' and i.name ~ '7' order by i.created_at desc, (-i.launch_index) desc, i.id desc limit 21`,
    page_50: `select i.id from instances i where i.project_id = '${projectId}' and i.vm_state <> 'deleted'
      and (i.created_at, (-i.launch_index), i.id) < (now() - interval '1 hour', 0, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
      order by i.created_at desc, (-i.launch_index) desc, i.id desc limit 21`,
    by_name: `select i.id from instances i where i.project_id = '${projectId}' and i.vm_state <> 'deleted'
      and (i.name, i.id) > ('seed-5', '00000000-0000-0000-0000-000000000000'::uuid) order by i.name, i.id limit 21`,
  };
  const plans: Record<string, string> = {};
  for (const [name, statement] of Object.entries(shapes)) {
    const rows = await sql.unsafe(`explain ${statement}`);
    plans[name] = rows.map((r) => String(r["QUERY PLAN"])).join("\n");
  }
  return plans;
}

async function indexScans(sql: postgres.Sql): Promise<Map<string, number>> {
  const rows = await sql<{ name: string; scans: string }[]>`
    select indexrelname as name, idx_scan::text as scans from pg_stat_user_indexes where relname in ('instances', 'compute_hosts')`;
  return new Map(rows.map((r) => [r.name, Number(r.scans)]));
}

/** Launches at concurrency 50 until `count` are ACTIVE (after WARMUP unmeasured), as the launch bench measures them. */
async function launchRun(
  member: Awaited<ReturnType<typeof signedInClient>>,
  activeAt: Map<string, number>,
  active: (id: string) => Promise<void>,
  input: { imageId: string; flavorId: string; networkId: string },
  label: string,
) {
  const runId = randomUUID();
  const calledAt = new Map<string, number>();
  const measuredIds: string[] = [];
  let next = 0;
  let measuredFrom = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < WARMUP + LAUNCHES) {
        const i = next++;
        const t0 = performance.now();
        if (i === WARMUP) measuredFrom = t0;
        const { instanceIds } = await member.client.instances.launch.mutate({
          ...input,
          count: 1,
          name: `${label}-${i}`,
          idempotencyKey: `scale-${runId}-${i}`,
        });
        const id = instanceIds[0]!;
        calledAt.set(id, t0);
        if (i >= WARMUP) measuredIds.push(id);
        await active(id);
      }
    }),
  );
  const toActive = measuredIds.map((id) => activeAt.get(id)! - calledAt.get(id)!);
  const lastActive = Math.max(...measuredIds.map((id) => activeAt.get(id)!));
  return { launches_per_s: round1(measuredIds.length / ((lastActive - measuredFrom) / 1000)), active_p99_ms: Math.round(pct(toActive, 99)) };
}

async function runSize(size: { instances: number; hosts: number }) {
  const database = await freshDatabase();
  const web = await startWebProcess({
    port: await freePort(),
    databaseUrl: database.url,
    env: { NODE_ENV: "production", LOG_LEVEL: "warn", NIMBUS_HOST_SUBSET_SIZE: "10", NIMBUS_HOST_DOWN_AFTER_SECONDS: "30" },
  });
  const stateDir = mkdtempSync(path.join(tmpdir(), "nimbus-bench-scale-"));
  const { child: agent } = spawnAgent(
    web.url,
    "live",
    { NODE_ENV: "production", NIMBUS_SIMULATED_HOSTS: String(LIVE_HOSTS), NIMBUS_STATE_DIR: stateDir, LOG_LEVEL: "warn" },
    ["ignore", "ignore", "inherit"],
  );
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  const exits: string[] = [];
  web.child.once("exit", (code, signal) => exits.push(`the web process exited (${signal ?? code})`));
  agent.once("exit", (code, signal) => exits.push(`the agent process exited (${signal ?? code})`));
  try {
    const admin = await signedInClient(web.url);
    await waitFor(`${LIVE_HOSTS} live hosts up`, async () => (await admin.client.hosts.summary.query({ state: "up" })).hosts === LIVE_HOSTS, 120_000);
    const projects = await admin.client.projects.list.query();
    const demo = projects.find((p) => p.name === "demo")!;
    await admin.client.quotas.set.mutate({ projectId: demo.id, limits: { instances: -1, cores: -1, ram: -1 } });
    await admin.client.users.create.mutate({ name: "bench-member", password: BENCH_MEMBER_PASSWORD, projectId: demo.id, role: "member" });
    const member = await signedInClient(web.url, "bench-member", BENCH_MEMBER_PASSWORD);
    const [flavors, images] = await Promise.all([member.client.catalog.flavors.query(), member.client.catalog.images.query()]);
    const network = await member.client.networks.create.mutate({ name: "bench", subnet: { name: "bench", cidr: "10.128.0.0/16" } });
    const tiny = flavors.find((f) => f.name === "m1.tiny")!;
    const launchInput = { imageId: images[0]!.id, flavorId: tiny.id, networkId: network.id };

    // ACTIVE as the browser sees it: the member's socket.
    const { socket } = browserSocket(web.url, member.cookie()!);
    const activeAt = new Map<string, number>();
    const waiting = new Map<string, () => void>();
    onAnnouncement(socket, "instance.changed", (payload) => {
      const change = instanceChangedSchema.parse(payload);
      if (change.status !== "ACTIVE" || activeAt.has(change.id)) return;
      activeAt.set(change.id, performance.now());
      waiting.get(change.id)?.();
    });
    /** Resolves once the instance is ACTIVE on the browser socket; fails after a minute. */
    const active = (id: string) =>
      activeAt.has(id)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`instance ${id} not ACTIVE within a minute`)), 60_000);
            waiting.set(id, () => {
              clearTimeout(timer);
              waiting.delete(id);
              resolve();
            });
          });
    await waitFor("the browser socket", () => socket.connected);

    const empty = await launchRun(member, activeAt, active, launchInput, "empty");
    console.log(`  empty cloud: ${empty.launches_per_s} launches/s, ACTIVE p99 ${empty.active_p99_ms} ms`);

    // Nine more projects, so the list's project scope has others' rows to leave out.
    const others = await sql<{ id: string }[]>`
      insert into projects (name) select 'scale-' || g from generate_series(1, 9) g returning id`;
    // The seeded ports are on a network of their own, clear of the addresses launches take.
    const seedNetwork = await member.client.networks.create.mutate({ name: "bench-seeded", subnet: { name: "bench-seeded", cidr: "10.64.0.0/12" } });
    const [subnet] = await sql<{ id: string }[]>`select id from subnets where network_id = ${seedNetwork.id}::uuid`;
    const [memberRow] = await sql<{ id: string }[]>`select id from users where name = 'bench-member'`;
    const seedStarted = performance.now();
    await seed(
      sql,
      {
        projectIds: [demo.id, ...others.map((o) => o.id)],
        userId: memberRow!.id,
        flavorIds: flavors.map((f) => f.id),
        imageId: images[0]!.id,
        networkId: seedNetwork.id,
        subnetId: subnet!.id,
      },
      size,
    );
    const seedSeconds = round1((performance.now() - seedStarted) / 1000);
    console.log(
      `  seeded with SQL (not launched one by one): ${size.instances} instances with their ports, actions and events over ${size.hosts} simulated hosts in ${seedSeconds} s`,
    );

    const scansBefore = await indexScans(sql);
    const first = await latency(() => member.client.instances.page.query({ limit: PAGE_SIZE }));
    const filterInput = { limit: PAGE_SIZE, flavorId: flavors[1]!.id, name: "7" };
    const filtered = await latency(() => member.client.instances.page.query(filterInput));
    // Page 50 by following Next (the last page when the project has fewer).
    let cursor: string | undefined;
    let deepest = 1;
    for (let page = 1; page < 50; page++) {
      const answer = await member.client.instances.page.query({ limit: PAGE_SIZE, ...(cursor && { cursor }) });
      if (!answer.next) break;
      cursor = answer.next;
      deepest = page + 1;
    }
    const page50 = await latency(() => member.client.instances.page.query({ limit: PAGE_SIZE, cursor }));
    const sampleIds = (
      await sql<{ id: string }[]>`select id from instances where project_id = ${demo.id}::uuid and name like 'seed-%' order by random() limit 50`
    ).map((r) => r.id);
    const show = await latency((i) => member.client.instances.get.query({ id: sampleIds[i % sampleIds.length]! }));
    const hostsPage = await latency(() => admin.client.hosts.page.query({ sort: "freeRam", direction: "desc", limit: PAGE_SIZE }));
    const hostsSummary = await latency(() => admin.client.hosts.summary.query({}));
    const scansAfter = await indexScans(sql);
    const indexesUsed = Object.fromEntries(
      [...scansAfter].filter(([name, n]) => n > (scansBefore.get(name) ?? 0)).map(([name, n]) => [name, n - (scansBefore.get(name) ?? 0)]),
    );

    // Launches in the seeded project (half the instances) and in a project with none, taken in
    // turns on the same seeded cloud: what the project's size costs a launch, apart from the
    // cloud's and from the machine's load drifting between runs (medians of the rounds).
    const fresh = await admin.client.projects.create.mutate({ name: "bench-fresh" });
    await admin.client.quotas.set.mutate({ projectId: fresh.id, limits: { instances: -1, cores: -1, ram: -1 } });
    await admin.client.users.create.mutate({ name: "bench-fresh", password: BENCH_MEMBER_PASSWORD, projectId: fresh.id, role: "member" });
    const freshMember = await signedInClient(web.url, "bench-fresh", BENCH_MEMBER_PASSWORD);
    const freshNetwork = await freshMember.client.networks.create.mutate({ name: "bench", subnet: { name: "bench", cidr: "10.129.0.0/16" } });
    const { socket: freshSocket } = browserSocket(web.url, freshMember.cookie()!);
    onAnnouncement(freshSocket, "instance.changed", (payload) => {
      const change = instanceChangedSchema.parse(payload);
      if (change.status !== "ACTIVE" || activeAt.has(change.id)) return;
      activeAt.set(change.id, performance.now());
      waiting.get(change.id)?.();
    });
    await waitFor("the fresh project's browser socket", () => freshSocket.connected);
    const seededRounds: Awaited<ReturnType<typeof launchRun>>[] = [];
    const freshRounds: Awaited<ReturnType<typeof launchRun>>[] = [];
    for (let round = 0; round < LAUNCH_ROUNDS; round++) {
      seededRounds.push(await launchRun(member, activeAt, active, launchInput, `seeded-${round}`));
      freshRounds.push(await launchRun(freshMember, activeAt, active, { ...launchInput, networkId: freshNetwork.id }, `fresh-${round}`));
      console.log(
        `  round ${round + 1}: ${seededRounds[round]!.launches_per_s} launches/s in the seeded project, ${freshRounds[round]!.launches_per_s} in an empty one`,
      );
    }
    freshSocket.close();
    const seeded = {
      launches_per_s: pct(
        seededRounds.map((r) => r.launches_per_s),
        50,
      ),
      active_p99_ms: pct(
        seededRounds.map((r) => r.active_p99_ms),
        50,
      ),
    };
    // Select + claim: the scheduling event of launches one at a time (no queue before the conductor).
    const sequentialIds: string[] = [];
    for (let i = 0; i < SEQUENTIAL_LAUNCHES; i++) {
      const { instanceIds } = await member.client.instances.launch.mutate({ ...launchInput, count: 1, name: `sched-${i}` });
      const id = instanceIds[0]!;
      sequentialIds.push(id);
      await active(id);
    }
    const scheduling = await sql<{ ms: number }[]>`
      select extract(epoch from (finish_time - start_time)) * 1000 as ms from instance_action_events
      where event = 'scheduling' and instance_id = any(${sequentialIds}::uuid[]) and finish_time is not null`;
    const [dbSize] = await sql<{ bytes: string }[]>`select pg_database_size(current_database())::text as bytes`;
    const plans = await explainLists(sql, demo.id, flavors[1]!.id);
    socket.close();
    if (exits.length > 0) throw new Error(`${exits.join("; ")}; web output:\n${web.output().slice(-4000)}`);
    return {
      figures: {
        instances: size.instances,
        hosts: size.hosts,
        list_p99_ms: first.p99,
        list_filtered_p99_ms: filtered.p99,
        list_page50_p99_ms: page50.p99,
        show_p99_ms: show.p99,
        hosts_page_p99_ms: hostsPage.p99,
        launches_per_s: seeded.launches_per_s,
        active_p99_ms: seeded.active_p99_ms,
        scheduler_p99_ms: round1(
          pct(
            scheduling.map((r) => Number(r.ms)),
            99,
          ),
        ),
        server_rss_mb: peakRssMb(web.child.pid!),
        agent_rss_mb: peakRssMb(agent.pid!),
        db_mb: Math.round(Number(dbSize!.bytes) / 2 ** 20),
      },
      details: {
        live_hosts: LIVE_HOSTS,
        /** The machine's 1-minute load average as the reads ended (2 cores; other work shares them). */
        load_average: round1(loadavg()[0]!),
        seeded_with: "SQL",
        seed_seconds: seedSeconds,
        measured_project_instances: Math.round(size.instances * MEASURED_SHARE),
        list_p50_ms: first.p50,
        list_filtered_p50_ms: filtered.p50,
        list_page50_p50_ms: page50.p50,
        page50_is_page: deepest,
        show_p50_ms: show.p50,
        hosts_page_p50_ms: hostsPage.p50,
        hosts_summary_p99_ms: hostsSummary.p99,
        empty_cloud_launches_per_s: empty.launches_per_s,
        /** Each round's launches/s in the seeded project and, right after, in a project with no instances. */
        seeded_project_rounds_launches_per_s: seededRounds.map((r) => r.launches_per_s),
        empty_project_rounds_launches_per_s: freshRounds.map((r) => r.launches_per_s),
        empty_project_launches_per_s: pct(
          freshRounds.map((r) => r.launches_per_s),
          50,
        ),
        empty_cloud_active_p99_ms: empty.active_p99_ms,
        index_scans_during_reads: indexesUsed,
        plans,
      },
    };
  } finally {
    await sql.end();
    agent.kill("SIGKILL");
    await web.kill("SIGKILL");
    await database.drop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function sizesWanted(): typeof SIZES {
  const args = process.argv.slice(2);
  const flag = args.findIndex((a) => a === "--sizes" || a.startsWith("--sizes="));
  if (flag === -1) return SIZES;
  const value = args[flag]!.includes("=") ? args[flag]!.split("=")[1]! : (args[flag + 1] ?? "");
  const wanted = value.split(",").map((s) => Number(s.trim()));
  const sizes = SIZES.filter((s) => wanted.includes(s.instances));
  if (sizes.length === 0) throw new Error(`--sizes takes some of ${SIZES.map((s) => s.instances).join(",")}`);
  return sizes;
}

export async function main() {
  const results = [];
  const details = [];
  for (const size of sizesWanted()) {
    console.log(`scale: ${size.instances} instances over ${size.hosts} simulated hosts (+${LIVE_HOSTS} live for launches)`);
    const { figures, details: more } = await runSize(size);
    results.push(figures);
    details.push({ instances: size.instances, ...more });
    for (const [name, plan] of Object.entries(more.plans)) console.log(`  EXPLAIN ${name}:\n${plan.replace(/^/gm, "    ")}`);
    console.log(`  indexes that served the reads: ${JSON.stringify(more.index_scans_during_reads)}`);
  }
  console.table(results);
  const out = path.join(repoRoot, "bench/results/scale.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ measured_at: new Date().toISOString(), seeded_with: "SQL", sizes: results, details }, null, 2)}\n`);
  console.log(`written ${path.relative(repoRoot, out)}`);
}
