/**
 * Network benchmark: how fast the overlay's forwarding entries (l2population) reach the hosts,
 * and what the overlay costs a ping.
 *
 * 1. Entries, at 100 and 1,000 SIMULATED hosts (one agent process in simulation mode with
 *    NIMBUS_TUNNEL_IP: each simulated host records the entries it is told and touches no
 *    kernel; it logs each command it takes): one instance per host on one network, launched
 *    through the API of a production-mode web process on PostgreSQL; then one instance at a
 *    time more, each on a host of its own choosing, and the time from its port's creation (the
 *    row's created_at, in the launch's transaction) until every other host has taken a command
 *    at or past the revision that published the port (read from the agent's log; both
 *    processes on this machine, one clock). p50/p99 are over these port creations. Messages per
 *    port change: `network.entries` commands the hosts received for one creation and for one
 *    deletion. At 1,000 hosts, a second network on only 50 of them shows that messages follow
 *    the hosts that have the network, not all hosts.
 * 2. Traffic (root only; see test/namespace-hosts.ts): two namespace hosts with their own
 *    libvirtd and agent, three veth endpoints (two on one host, one on the other): whether
 *    endpoints on two hosts ping each other over VXLAN, and the ratio of the cross-host round
 *    trip to the same-host one (median of 200 pings each). Then a floating IP: host A is also
 *    on a flat external network (physnet1) with an "outside" namespace; a router on A with the
 *    endpoints' subnet and a gateway there, and a floating IP associated with the endpoint on B:
 *    whether the outside reaches the endpoint through it (and not at its fixed address, and no
 *    more once the floating IP is released), with the time from association to the first answer
 *    and from release to the last. No guests boot here.
 *
 *   npm run bench -- network   → prints figures, writes bench/results/network.json
 *
 * NIMBUS_BENCH_NETWORK_HOSTS: the host counts (default "100,1000"); NIMBUS_BENCH_NETWORK_CHANGES:
 * port creations measured per count (default 20); NIMBUS_BENCH_NETWORK_TRACE=1: each measured
 * change's timings on the server too.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { AGENT_SECRET, freshDatabase, repoRoot, signedInClient, waitFor } from "../test/harness";
import { namespaceCloud } from "../test/namespace-hosts";
import { freePort, startWebProcess } from "../test/processes";

const HOST_COUNTS = (process.env.NIMBUS_BENCH_NETWORK_HOSTS ?? "100,1000").split(",").map(Number);
const CHANGES = Number(process.env.NIMBUS_BENCH_NETWORK_CHANGES ?? 20);
/** NIMBUS_BENCH_NETWORK_TRACE=1: the server's timings of each measured change's sweep, printed. */
const TRACE = process.env.NIMBUS_BENCH_NETWORK_TRACE === "1";
/** Launches in flight while the network is filled with one instance per host. */
const FILL_CONCURRENCY = 25;
/** The simulated hosts' tunnel addresses start here (RFC 2544's benchmarking range; nothing is ever sent to them). */
const FIRST_TUNNEL_ADDRESS = "198.18.0.1";

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A `network.entries` command as a simulated host logged it. */
interface Taken {
  at: number;
  host: string;
  networkId: string;
  full: boolean;
  toRevision: number;
}

/** Reads the agent's log as it comes: every command a simulated host took. */
function commandLog(stream: NodeJS.ReadableStream | null) {
  const taken: Taken[] = [];
  let partial = "";
  stream?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.includes("network entries recorded")) continue;
      const entry = JSON.parse(line) as { time: number; simulatedHost: string; networkId: string; full: boolean; toRevision: number };
      taken.push({ at: entry.time, host: entry.simulatedHost, networkId: entry.networkId, full: entry.full, toRevision: entry.toRevision });
    }
  });
  return taken;
}

interface EntryFigures {
  hosts: number;
  changes: number;
  /** Per creation: until every other host had the port's entry. */
  all_hosts_p50_ms: number;
  all_hosts_p99_ms: number;
  /** Per creation and host: until that host had it. */
  each_host_p50_ms: number;
  each_host_p99_ms: number;
  messages_per_port_creation: number;
  messages_per_port_deletion: number;
  /** The machine's 1-minute load average as the measured changes began and ended (2 cores; other work shares them). */
  load_average: [number, number];
  /** At 1,000 hosts: a network on 50 of them. */
  small_network?: { hosts_with_network: number; messages_per_port_creation: number; messages_to_other_hosts: number };
}

async function entriesAt(hostCount: number): Promise<EntryFigures> {
  const database = await freshDatabase();
  const web = await startWebProcess({
    port: await freePort(),
    databaseUrl: database.url,
    env: { NODE_ENV: "production", LOG_LEVEL: TRACE ? "debug" : "warn", NIMBUS_HOST_DOWN_AFTER_SECONDS: "60" },
  });
  const stateDir = mkdtempSync(path.join(tmpdir(), "nimbus-bench-network-"));
  // Its own process, read line by line (the harness's spawnAgent would also keep the whole log
  // in memory: a few hundred MB of debug lines at 1,000 hosts).
  const agent = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "apps/compute-agent/src/main.ts")], {
    cwd: path.join(repoRoot, "apps/compute-agent"),
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      NIMBUS_SERVER_URL: web.url,
      NIMBUS_AGENT_SECRET: AGENT_SECRET,
      NIMBUS_HOSTNAME: "netbench",
      NIMBUS_SIMULATED_HOSTS: String(hostCount),
      NIMBUS_TUNNEL_IP: FIRST_TUNNEL_ADDRESS,
      NIMBUS_STATE_DIR: stateDir,
      LOG_LEVEL: "debug",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const taken = commandLog(agent.stdout);
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  try {
    const admin = (await signedInClient(web.url)).client;
    await waitFor(
      `${hostCount} simulated hosts up`,
      async () => (await admin.hosts.list.query()).filter((h) => h.state === "up").length === hostCount,
      300_000,
    );
    // The admin signs in to its default project, demo.
    const demo = (await admin.projects.list.query()).find((p) => p.name === "demo")!;
    await admin.quotas.set.mutate({ projectId: demo.id, limits: { instances: -1, cores: -1, ram: -1 } });
    const [flavors, images] = await Promise.all([admin.catalog.flavors.query(), admin.catalog.images.query()]);
    const flavorId = flavors.find((f) => f.name === "m1.tiny")!.id;
    const hostname = (i: number) => `netbench-sim-${i}`;

    const launchOn = async (networkId: string, host: number) => {
      const { instanceIds } = await admin.instances.launch.mutate({
        count: 1,
        name: `nb-${host}`,
        imageId: images[0]!.id,
        flavorId,
        networkId,
        availabilityZone: `:${hostname(host)}`,
      });
      return instanceIds[0]!;
    };
    const portOf = async (instanceId: string) => {
      const [row] = await sql<{ id: string; created_at: Date; network_id: string }[]>`
        select id, created_at, network_id from ports where instance_id = ${instanceId}`;
      return row!;
    };
    /** The revision that published the port's entry (its host assigned, the sweep run). */
    const revisionOf = (portId: string) =>
      waitFor(
        `port ${portId} published`,
        async () => {
          const [row] = await sql<{ revision: string }[]>`select revision from network_entries where port_id = ${portId} and not removed`;
          return row ? Number(row.revision) : null;
        },
        30_000,
      );
    /** When every host of `hosts` but `except` had taken the network at or past `revision`, and when each did. */
    const takenBy = (networkId: string, revision: number, hosts: number[], except: number, since: number) =>
      waitFor(
        `revision ${revision} on every host`,
        () => {
          const firsts = new Map<string, number>();
          for (const t of taken.slice(since)) {
            if (t.networkId !== networkId || t.toRevision < revision || firsts.has(t.host)) continue;
            firsts.set(t.host, t.at);
          }
          const wanted = hosts.filter((h) => h !== except).map(hostname);
          return wanted.every((h) => firsts.has(h)) ? wanted.map((h) => firsts.get(h)!) : null;
        },
        60_000,
      );
    /** Waits until no host takes a command for a while: the sweeps are done with what came before. */
    const quiet = async () => {
      for (let seen = -1; seen !== taken.length; ) {
        seen = taken.length;
        await sleep(1_000);
      }
    };
    /** Fills `networkId` with one ACTIVE instance on each of `hosts`. */
    const fill = async (networkId: string, hosts: number[]) => {
      const queue = [...hosts];
      const ids: string[] = [];
      await Promise.all(
        Array.from({ length: FILL_CONCURRENCY }, async () => {
          for (let host = queue.shift(); host !== undefined; host = queue.shift()) ids.push(await launchOn(networkId, host));
        }),
      );
      await waitFor(
        `${ids.length} instances ACTIVE`,
        async () => {
          const [row] = await sql<{ active: string }[]>`select count(*) as active from instances where vm_state = 'active' and id in ${sql(ids)}`;
          return Number(row!.active) === ids.length;
        },
        600_000,
      );
      await quiet();
    };

    const all = Array.from({ length: hostCount }, (_, i) => i + 1);
    const network = await admin.networks.create.mutate({ name: "bench", subnet: { name: "bench", cidr: "10.128.0.0/16" } });
    const fillStarted = Date.now();
    await fill(network.id, all);
    console.log(`  ${hostCount} hosts: one instance per host on the network in ${round((Date.now() - fillStarted) / 1000)} s`);

    const loadAtStart = round(loadavg()[0]!, 2);
    const allHosts: number[] = [];
    const eachHost: number[] = [];
    const creationMessages: number[] = [];
    const deletionMessages: number[] = [];
    for (let change = 0; change < CHANGES; change++) {
      const host = 1 + ((change * 7919) % hostCount);
      const before = taken.length;
      const instanceId = await launchOn(network.id, host);
      const port = await portOf(instanceId);
      const revision = await revisionOf(port.id);
      const times = await takenBy(network.id, revision, all, host, before);
      const created = port.created_at.getTime();
      if (TRACE) {
        const [assigned] = await sql<{ at: Date }[]>`select updated_at as at from instances where id = ${instanceId}`;
        const sweeps = web
          .output()
          .split("\n")
          .filter((l) => l.includes("network entries sent"))
          .map((l) => JSON.parse(l) as { time: number; sent: number; publishMs: number; sentMs: number; acknowledgedMs: number })
          .filter((l) => l.time >= created && l.sent >= hostCount / 2);
        console.log(
          `    port ${change}: first host ${Math.min(...times) - created} ms, last ${Math.max(...times) - created} ms; ` +
            `instance row last updated +${assigned!.at.getTime() - created} ms; sweeps: ${sweeps
              .map((w) => `+${w.time - created - w.acknowledgedMs} ms publish ${w.publishMs} sent ${w.sentMs} acked ${w.acknowledgedMs}`)
              .join("; ")}`,
        );
      }
      allHosts.push(Math.max(...times) - created);
      eachHost.push(...times.map((t) => t - created));
      await quiet();
      creationMessages.push(taken.slice(before).filter((t) => t.networkId === network.id).length);
      // And the port goes again: one more message per host.
      const beforeDelete = taken.length;
      await admin.instances.delete.mutate({ id: instanceId });
      await waitFor(
        "the port's tombstone",
        async () => (await sql`select 1 from network_entries where port_id = ${port.id} and removed`).length > 0,
        30_000,
      );
      await quiet();
      deletionMessages.push(taken.slice(beforeDelete).filter((t) => t.networkId === network.id).length);
    }

    const figures: EntryFigures = {
      hosts: hostCount,
      changes: CHANGES,
      all_hosts_p50_ms: Math.round(pct(allHosts, 50)),
      all_hosts_p99_ms: Math.round(pct(allHosts, 99)),
      each_host_p50_ms: Math.round(pct(eachHost, 50)),
      each_host_p99_ms: Math.round(pct(eachHost, 99)),
      messages_per_port_creation: round(creationMessages.reduce((a, b) => a + b, 0) / creationMessages.length),
      messages_per_port_deletion: round(deletionMessages.reduce((a, b) => a + b, 0) / deletionMessages.length),
      load_average: [loadAtStart, round(loadavg()[0]!, 2)],
    };

    if (hostCount >= 1000) {
      // A network on 50 hosts of the 1,000: its changes go to those 50 only.
      const few = all.slice(0, 50);
      const small = await admin.networks.create.mutate({ name: "small", subnet: { name: "small", cidr: "10.129.0.0/24" } });
      await fill(small.id, few);
      const before = taken.length;
      const instanceId = await launchOn(small.id, few[0]!);
      const port = await portOf(instanceId);
      await takenBy(small.id, await revisionOf(port.id), few, few[0]!, before);
      await quiet();
      const after = taken.slice(before);
      const onSmall = after.filter((t) => t.networkId === small.id);
      const names = new Set(few.map(hostname));
      figures.small_network = {
        hosts_with_network: few.length,
        messages_per_port_creation: onSmall.length,
        messages_to_other_hosts: after.filter((t) => !names.has(t.host)).length,
      };
    }
    return figures;
  } finally {
    await sql.end();
    await new Promise<void>((resolve) => {
      if (agent.exitCode !== null) return resolve();
      agent.once("exit", () => resolve());
      agent.kill("SIGTERM");
    });
    await web.kill();
    await database.drop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

interface FloatingIpFigures {
  /** The outside reached the endpoint through its floating IP, never at its fixed address, and not after release. */
  floating_ip_ok: boolean;
  reached_before_association: boolean;
  reached_fixed_address: boolean;
  /** From the association's call to the outside's first answered ping through the floating IP. */
  reachable_after_ms: number | null;
  /** From the release's call until the floating IP no longer answered. */
  unreachable_after_release_ms: number | null;
  note?: string;
}

interface TrafficFigures {
  cross_host_ping_ok: boolean;
  same_host_rtt_ms: number | null;
  cross_host_rtt_ms: number | null;
  cross_host_rtt_ratio: number | null;
  floating_ip: FloatingIpFigures;
  note?: string;
}

const NO_FLOATING_IP: FloatingIpFigures = {
  floating_ip_ok: false,
  reached_before_association: false,
  reached_fixed_address: false,
  reachable_after_ms: null,
  unreachable_after_release_ms: null,
};

/** The outside namespace's address on the flat external network (the external subnet's gateway). */
const OUTSIDE_ADDRESS = "203.0.113.1";

/** Median round trip of `count` pings, in ms, from the ping's own per-packet times. */
function medianRtt(output: string): number {
  const times = [...output.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  return pct(times, 50);
}

async function traffic(): Promise<TrafficFigures> {
  if (process.getuid?.() !== 0) {
    return {
      cross_host_ping_ok: false,
      same_host_rtt_ms: null,
      cross_host_rtt_ms: null,
      cross_host_rtt_ratio: null,
      floating_ip: { ...NO_FLOATING_IP, note: "needs root (namespace hosts)" },
      note: "needs root (namespace hosts)",
    };
  }
  const { startStack } = await import("../test/harness");
  const cloud = namespaceCloud(["bench-ns-a", "bench-ns-b"], { logLevel: "warn", external: { hosts: [0], outside: `${OUTSIDE_ADDRESS}/24` } });
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  try {
    stack = await startStack("postgres", { HOST: cloud.serverAddress });
    await cloud.start(stack.server.url);
    const admin = (await signedInClient(stack.server.url)).client;
    await waitFor("both hosts up", async () => (await admin.hosts.list.query()).filter((h) => h.state === "up").length === 2, 60_000);
    const network = await admin.networks.create.mutate({ name: "rtt", subnet: { name: "rtt", cidr: "10.91.0.0/24" } });
    const group = await admin.securityGroups.create.mutate({ name: "icmp" });
    await admin.securityGroups.addRule.mutate({ groupId: group.id, direction: "egress" });
    await admin.securityGroups.addRule.mutate({ groupId: group.id, direction: "ingress", protocol: "icmp", remoteIpPrefix: "0.0.0.0/0" });
    const [flavors, images] = await Promise.all([admin.catalog.flavors.query(), admin.catalog.images.query()]);
    const launch = async (name: string, host: string) => {
      const { instanceIds } = await admin.instances.launch.mutate({
        count: 1,
        name,
        imageId: images[0]!.id,
        flavorId: flavors[0]!.id,
        networkId: network.id,
        availabilityZone: `:${host}`,
        securityGroupIds: [group.id],
      });
      const id = instanceIds[0]!;
      await waitFor(`${name} ACTIVE`, async () => (await admin.instances.list.query()).find((i) => i.id === id)?.status === "ACTIVE", 60_000);
      return id;
    };
    const [a, b] = cloud.hosts;
    const a1 = await launch("a1", a!.hostname);
    const a2 = await launch("a2", a!.hostname);
    const b1 = await launch("b1", b!.hostname);
    const ipOf = async (id: string) => (await admin.instances.list.query()).find((i) => i.id === id)!.fixedIp!;
    const from = cloud.endpointOf(a!, a1);
    const ping = (to: string, count: number) => cloud.inEndpoint(from, "ping", "-c", String(count), "-i", "0.01", "-W", "1", to);
    const [sameIp, crossIp] = [await ipOf(a2), await ipOf(b1)];
    const crossOk = await waitFor(
      "a1 pings b1 across hosts",
      () => {
        try {
          ping(crossIp, 1);
          return true;
        } catch {
          return false;
        }
      },
      30_000,
    ).catch(() => false);
    if (!crossOk) {
      return {
        cross_host_ping_ok: false,
        same_host_rtt_ms: null,
        cross_host_rtt_ms: null,
        cross_host_rtt_ratio: null,
        floating_ip: { ...NO_FLOATING_IP, note: "not tried: the cross-host ping failed" },
      };
    }
    ping(sameIp, 20);
    ping(crossIp, 20);
    const same = medianRtt(ping(sameIp, 200));
    const cross = medianRtt(ping(crossIp, 200));
    return {
      cross_host_ping_ok: true,
      same_host_rtt_ms: round(same, 3),
      cross_host_rtt_ms: round(cross, 3),
      cross_host_rtt_ratio: round(cross / same, 2),
      floating_ip: await floatingIp({ admin, cloud, subnetId: network.subnets[0]!.id, instanceId: b1, fixedIp: crossIp, stack }),
    };
  } finally {
    await cloud.close();
    await stack?.stop();
  }
}

/**
 * The floating IP check of router-namespaces.test.ts, timed: the outside reaches the endpoint on
 * B through a floating IP of a router on A, not at its fixed address, and not once released.
 */
async function floatingIp({
  admin,
  cloud,
  subnetId,
  instanceId,
  fixedIp,
  stack,
}: {
  admin: Awaited<ReturnType<typeof signedInClient>>["client"];
  cloud: ReturnType<typeof namespaceCloud>;
  subnetId: string;
  instanceId: string;
  fixedIp: string;
  stack: { server: { database: { db: import("@nimbus/db").Database } } };
}): Promise<FloatingIpFigures> {
  const outside = cloud.outside!;
  const outsidePings = (address: string) => {
    try {
      outside.exec("ping", "-c", "1", "-W", "1", address);
      return true;
    } catch {
      return false;
    }
  };
  const external = await admin.networks.create.mutate({
    name: "public",
    routerExternal: true,
    provider: { networkType: "flat", physicalNetwork: "physnet1" },
    subnet: {
      name: "public-v4",
      cidr: "203.0.113.0/24",
      gatewayIp: OUTSIDE_ADDRESS,
      allocationPools: [{ start: "203.0.113.10", end: "203.0.113.99" }],
      enableDhcp: false,
    },
  });
  const router = await admin.routers.create.mutate({ name: "bench-router" });
  await admin.routers.addInterface.mutate({ id: router.id, subnetId });
  await admin.routers.update.mutate({ id: router.id, externalGateway: { networkId: external.id } });
  const { schema } = await import("@nimbus/db");
  const { eq } = await import("@nimbus/db/orm");
  const [port] = await stack.server.database.db.select().from(schema.ports).where(eq(schema.ports.instanceId, instanceId));
  const fip = await admin.floatingIps.create.mutate({ networkId: external.id });
  const reachedBefore = outsidePings(fip.floatingIpAddress);
  const associatedAt = Date.now();
  await admin.floatingIps.update.mutate({ id: fip.id, portId: port!.id });
  const reachedAt = await waitFor(
    "the outside pings the floating IP",
    () => (outsidePings(fip.floatingIpAddress) ? Date.now() : false),
    30_000,
  ).catch(() => null);
  // The router's gateway is the outside's only way in: the fixed address stays out of reach.
  const reachedFixed = outsidePings(fixedIp);
  const releasedAt = Date.now();
  await admin.floatingIps.delete.mutate({ id: fip.id });
  const goneAt = await waitFor(
    "the released floating IP answers no more",
    () => (!outsidePings(fip.floatingIpAddress) ? Date.now() : false),
    30_000,
  ).catch(() => null);
  return {
    floating_ip_ok: !reachedBefore && reachedAt !== null && !reachedFixed && goneAt !== null,
    reached_before_association: reachedBefore,
    reached_fixed_address: reachedFixed,
    reachable_after_ms: reachedAt === null ? null : reachedAt - associatedAt,
    unreachable_after_release_ms: goneAt === null ? null : goneAt - releasedAt,
  };
}

export async function main() {
  const entries: EntryFigures[] = [];
  for (const hosts of HOST_COUNTS) {
    const figures = await entriesAt(hosts);
    entries.push(figures);
    console.log(
      `network: ${hosts} simulated hosts with a port on the network, ${figures.changes} port creations: every other host had the entry ` +
        `p50 ${figures.all_hosts_p50_ms} ms, p99 ${figures.all_hosts_p99_ms} ms after the port was created (each host: p50 ${figures.each_host_p50_ms} ms, ` +
        `p99 ${figures.each_host_p99_ms} ms); messages per port creation ${figures.messages_per_port_creation}, per deletion ${figures.messages_per_port_deletion}; ` +
        `load average ${figures.load_average.join(" → ")}` +
        (figures.small_network
          ? `; a network on ${figures.small_network.hosts_with_network} of the hosts: ${figures.small_network.messages_per_port_creation} messages per creation, ${figures.small_network.messages_to_other_hosts} to the other hosts`
          : ""),
    );
  }
  const ping = await traffic();
  console.log(
    ping.cross_host_ping_ok
      ? `network: namespace hosts: cross-host ping over VXLAN ok; median RTT same host ${ping.same_host_rtt_ms} ms, across hosts ${ping.cross_host_rtt_ms} ms (ratio ${ping.cross_host_rtt_ratio})`
      : `network: cross-host ping FAILED${ping.note ? ` (${ping.note})` : ""}`,
  );
  const fip = ping.floating_ip;
  console.log(
    fip.floating_ip_ok
      ? `network: the outside reached an endpoint on another host than its router through its floating IP ${fip.reachable_after_ms} ms after association, ` +
          `never at its fixed address, and no more ${fip.unreachable_after_release_ms} ms after release`
      : `network: floating IP check FAILED (${fip.note ?? JSON.stringify(fip)})`,
  );
  const at = (hosts: number) => entries.find((e) => e.hosts === hosts);
  const result = {
    measured_at: new Date().toISOString(),
    entries_p50_ms_100_hosts: at(100)?.all_hosts_p50_ms ?? null,
    entries_p99_ms_100_hosts: at(100)?.all_hosts_p99_ms ?? null,
    entries_p50_ms_1000_hosts: at(1000)?.all_hosts_p50_ms ?? null,
    entries_p99_ms_1000_hosts: at(1000)?.all_hosts_p99_ms ?? null,
    // At the largest count measured: one per other host of the network for a creation.
    messages_per_port_change: entries.at(-1)?.messages_per_port_creation ?? null,
    cross_host_ping_ok: ping.cross_host_ping_ok,
    floating_ip_ok: ping.floating_ip.floating_ip_ok,
    cross_host_rtt_ratio: ping.cross_host_rtt_ratio,
    simulated:
      "entries: simulated hosts (NIMBUS_SIMULATED_HOSTS) record what they are told and touch no kernel; ping: veth endpoints on namespace hosts, no guests",
    entries,
    ping,
  };
  const out = path.join(repoRoot, "bench/results/network.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written ${path.relative(repoRoot, out)}`);
}
