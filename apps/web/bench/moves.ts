/**
 * Moves benchmark on libvirt's test driver: how long a resize takes from the call to
 * VERIFY_RESIZE (on the instance's own host, and a cold migration to the other one), and its
 * confirm and revert to ACTIVE, as a browser sees them (the instance's state on its socket).
 * One stack on PostgreSQL, two real agents; the moves run one after another, so these are
 * latencies, not throughput.
 *
 *   npm run bench -- moves      → prints figures, writes bench/results/moves.json
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { instanceChangedSchema } from "@nimbus/core/protocol/browser";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { onAnnouncement, repoRoot, signedInClient, startAgent, startStack, waitFor } from "../test/harness";

const RUNS = Number(process.env.NIMBUS_BENCH_MOVES_RUNS ?? 20);

const percentile = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

export async function main() {
  const nodeDir = mkdtempSync(path.join(tmpdir(), "nimbus-bench-moves-"));
  const node = (name: string) => {
    const file = path.join(nodeDir, `${name}.xml`);
    writeFileSync(
      file,
      `<node><cpu><mhz>2400</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>64</cores><threads>1</threads></cpu><memory>${256 * 1024 * 1024}</memory></node>\n`,
    );
    return `test://${file}`;
  };
  const stack = await startStack("postgres", { NIMBUS_SHUTDOWN_TIMEOUT_SECONDS: "1" });
  const agents = ["bench-a", "bench-b"].map((hostname) => startAgent(stack.server.url, { hostname, env: { NIMBUS_LIBVIRT_URI: node(hostname) } }));
  try {
    const api = await signedInClient(stack.server.url);
    await waitFor("both hosts up", async () => (await api.client.hosts.list.query()).filter((h) => h.state === "up").length === 2, 60_000);
    const db = stack.server.database.db;
    const [flavors, images, networks, hosts] = await Promise.all([
      api.client.catalog.flavors.query(),
      api.client.catalog.images.query(),
      api.client.catalog.networks.query(),
      api.client.hosts.list.query(),
    ]);
    const flavor = (name: string) => flavors.find((f) => f.name === name)!.id;
    const hostB = hosts.find((h) => h.hostname === "bench-b")!;

    const { io } = await import("socket.io-client");
    const socket = io(stack.server.url, { extraHeaders: { cookie: api.cookie()! }, transports: ["websocket"] });
    await waitFor("the browser socket", () => socket.connected);
    const reached = new Map<string, number>();
    const key = (id: string, status: string) => `${id}:${status}`;
    onAnnouncement(socket, "instance.changed", (payload) => {
      const change = instanceChangedSchema.parse(payload);
      if (change.taskState === null && !reached.has(key(change.id, change.status))) reached.set(key(change.id, change.status), performance.now());
    });
    const timed = async (id: string, status: string, call: () => Promise<unknown>) => {
      reached.delete(key(id, status));
      const t0 = performance.now();
      await call();
      await waitFor(`${id} ${status}`, () => reached.has(key(id, status)), 60_000);
      return reached.get(key(id, status))! - t0;
    };

    const samples: Record<string, number[]> = { resize: [], confirm_resize: [], revert_resize: [], migrate: [], confirm_migration: [] };
    for (let run = 0; run < RUNS; run++) {
      // Launched on bench-a (bench-b disabled meanwhile), so each resize stays on its host and each migration crosses.
      await db.update(schema.computeHosts).set({ enabled: false }).where(eq(schema.computeHosts.id, hostB.id));
      const { instanceIds } = await api.client.instances.launch.mutate({
        name: `move-${run}`,
        count: 1,
        imageId: images[0]!.id,
        flavorId: flavor("m1.tiny"),
        networkId: networks[0]!.id,
      });
      const id = instanceIds[0]!;
      await waitFor(`${id} ACTIVE`, async () => (await api.client.instances.get.query({ id })).instance.status === "ACTIVE", 60_000);
      samples.resize!.push(await timed(id, "VERIFY_RESIZE", () => api.client.instances.resize.mutate({ id, flavorId: flavor("m1.small") })));
      samples.revert_resize!.push(await timed(id, "ACTIVE", () => api.client.instances.revertResize.mutate({ id })));
      await timed(id, "VERIFY_RESIZE", () => api.client.instances.resize.mutate({ id, flavorId: flavor("m1.small") }));
      samples.confirm_resize!.push(await timed(id, "ACTIVE", () => api.client.instances.confirmResize.mutate({ id })));
      await db.update(schema.computeHosts).set({ enabled: true }).where(eq(schema.computeHosts.id, hostB.id));
      samples.migrate!.push(await timed(id, "VERIFY_RESIZE", () => api.client.instances.migrate.mutate({ id, host: "bench-b" })));
      samples.confirm_migration!.push(await timed(id, "ACTIVE", () => api.client.instances.confirmResize.mutate({ id })));
      await api.client.instances.delete.mutate({ id });
    }
    socket.close();
    const byAction = Object.fromEntries(
      Object.entries(samples).map(([name, values]) => [
        name,
        { p50_ms: Math.round(percentile(values, 50)), p99_ms: Math.round(percentile(values, 99)) },
      ]),
    );
    const result = { runs: RUNS, driver: "test:///", hosts: 2, by_action: byAction };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(path.join(repoRoot, "bench/results"), { recursive: true });
    writeFileSync(
      path.join(repoRoot, "bench/results/moves.json"),
      `${JSON.stringify({ measured_at: new Date().toISOString(), ...result }, null, 2)}\n`,
    );
  } finally {
    for (const agent of agents) await agent.stop("SIGKILL");
    await stack.stop();
    rmSync(nodeDir, { recursive: true, force: true });
  }
}
