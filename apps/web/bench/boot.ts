/**
 * Boot benchmark: time from the Launch call to "guest booted" for the test guest on the real
 * hypervisor (qemu:///system, TCG), beside the time libvirt alone takes to boot the same image
 * with the same domain XML. Nimbus's overhead is the difference of the medians.
 *
 *   npm run bench -- boot      → prints figures, writes bench/results/boot.json
 *
 * Nimbus runs: launch through the API (after one warm-up launch that fills the host's image
 * cache, as a cloud's hosts have their popular images cached), wait for the `guest_booted`
 * event on a browser socket, delete. Raw runs: the last Nimbus instance's own domain XML
 * (`virsh dumpxml`), with a fresh overlay on the same cached base and a fresh console file,
 * started with `virsh create` while that instance's domain is stopped (so its port's DHCP entry
 * and filter stay in place); the clock stops when the marker appears in the console file.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { io } from "socket.io-client";
import { instanceEventSchema } from "@nimbus/core/protocol/browser";
import { freshDatabase, onAnnouncement, repoRoot, signedInClient, waitFor } from "../test/harness";
import { freePort, startWebProcess } from "../test/processes";
import { prepareRealHypervisor, startQemuAgent, uploadTestGuest } from "../test/test-guest";

const RUNS = Number(process.env.NIMBUS_BENCH_BOOT_RUNS ?? 5);
const MARKER = "NIMBUS-GUEST booted";
const HOSTNAME = "bench-qemu";

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const virsh = (...args: string[]) => execFileSync("virsh", ["-c", "qemu:///system", ...args], { encoding: "utf8" });

export async function runBootBenchmark() {
  prepareRealHypervisor();
  const database = await freshDatabase();
  const web = await startWebProcess({ port: await freePort(), databaseUrl: database.url, env: { NODE_ENV: "production", LOG_LEVEL: "warn" } });
  const agent = startQemuAgent(web.url, HOSTNAME, { LOG_LEVEL: "warn" });
  const rawDir = mkdtempSync(path.join("/var/tmp", "nimbus-raw-boot-"));
  let kept: string | null = null;
  chmodSync(rawDir, 0o755);
  try {
    const admin = await signedInClient(web.url);
    await waitFor(
      `host ${HOSTNAME} up`,
      async () => (await admin.client.hosts.list.query()).some((h) => h.hostname === HOSTNAME && h.state === "up"),
      60_000,
    );
    const { imageId } = await uploadTestGuest(web.url, admin);
    const [flavors, networks] = await Promise.all([admin.client.catalog.flavors.query(), admin.client.catalog.networks.query()]);
    const input = {
      count: 1,
      imageId,
      flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
      networkId: networks[0]!.id,
      availabilityZone: `:${HOSTNAME}`,
    };

    const socket = io(web.url, { extraHeaders: { cookie: admin.cookie()! }, transports: ["websocket"] });
    await waitFor("the browser socket", () => socket.connected);
    const bootedAt = new Map<string, number>();
    onAnnouncement(socket, "instance.event", (payload) => {
      const event = instanceEventSchema.parse(payload);
      if (event.event === "guest_booted" && !bootedAt.has(event.instanceId)) bootedAt.set(event.instanceId, performance.now());
      if (event.event === "error") console.error(`boot: instance ${event.instanceId} failed: ${event.details}`);
    });

    const nimbusS: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      const t0 = performance.now();
      const { instanceIds } = await admin.client.instances.launch.mutate({ ...input, name: `boot-${run}` });
      const id = instanceIds[0]!;
      await waitFor(`instance ${id} to say it booted`, () => bootedAt.has(id), 180_000);
      if (run > 0) nimbusS.push((bootedAt.get(id)! - t0) / 1000); // run 0 warms the image cache
      if (run < RUNS) {
        await admin.client.instances.delete.mutate({ id });
        await waitFor(`instance ${id} deleted`, async () => !(await admin.client.instances.list.query()).some((i) => i.id === id), 60_000);
      } else kept = id;
    }

    // Raw libvirt: the same domain XML, fresh disk and console, timed from `virsh create`.
    const xml = virsh("dumpxml", "--inactive", kept!);
    virsh("destroy", kept!);
    const overlay = /<source file='([^']*\/disk)'/.exec(xml)?.[1];
    const consoleLog = /<source path='([^']*console\.log)'/.exec(xml)?.[1];
    if (!overlay || !consoleLog) throw new Error(`unexpected domain XML (disk or console not found):\n${xml}`);
    const base = JSON.parse(execFileSync("qemu-img", ["info", "--output=json", "-U", overlay], { encoding: "utf8" }))[
      "full-backing-filename"
    ] as string;
    const rawS: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const dir = path.join(rawDir, `run-${run}`);
      mkdirSync(dir, { mode: 0o755 });
      const disk = path.join(dir, "disk");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, disk]);
      chmodSync(disk, 0o644);
      // The instance's config drive as it was; every file of the instance dir now from this run's dir.
      copyFileSync(path.join(path.dirname(overlay), "disk.config"), path.join(dir, "disk.config"));
      const runXml = xml
        .replace(/<name>[^<]*<\/name>/, `<name>nimbus-raw-boot-${run}</name>`)
        .replace(/<uuid>[^<]*<\/uuid>/, `<uuid>${randomUUID()}</uuid>`)
        .replaceAll(`${path.dirname(overlay)}/`, `${dir}/`);
      const log = path.join(dir, path.basename(consoleLog));
      const file = path.join(dir, "domain.xml");
      writeFileSync(file, runXml);
      const t0 = performance.now();
      virsh("create", file);
      for (;;) {
        if (existsSync(log) && readFileSync(log, "utf8").includes(MARKER)) break;
        if (performance.now() - t0 > 180_000) throw new Error(`raw boot ${run} printed no marker in 180 s`);
        await sleep(20);
      }
      rawS.push((performance.now() - t0) / 1000);
      spawnSync("virsh", ["-c", "qemu:///system", "destroy", `nimbus-raw-boot-${run}`]);
    }
    await admin.client.instances.delete.mutate({ id: kept! });
    await waitFor("the last instance deleted", async () => !(await admin.client.instances.list.query()).some((i) => i.id === kept), 60_000);
    socket.close();

    const nimbus = median(nimbusS);
    const raw = median(rawS);
    return {
      runs: RUNS,
      nimbus_p50_s: +nimbus.toFixed(3),
      raw_p50_s: +raw.toFixed(3),
      overhead_s: +(nimbus - raw).toFixed(3),
      ratio: +(nimbus / raw).toFixed(3),
      nimbus_runs_s: nimbusS.map((s) => +s.toFixed(3)),
      raw_runs_s: rawS.map((s) => +s.toFixed(3)),
    };
  } finally {
    // Whatever happened, leave no guest of this run behind on the host.
    for (const name of virsh("list", "--all", "--name")
      .split("\n")
      .map((n) => n.trim())) {
      if (name.startsWith("nimbus-raw-boot-")) spawnSync("virsh", ["-c", "qemu:///system", "destroy", name]);
    }
    // The instance kept for the raw runs, if the run stopped before deleting it.
    if (kept && virsh("list", "--all", "--uuid").includes(kept)) {
      spawnSync("virsh", ["-c", "qemu:///system", "destroy", kept]);
      spawnSync("virsh", ["-c", "qemu:///system", "undefine", kept]);
    }
    agent.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    agent.child.kill("SIGKILL");
    await web.kill();
    await database.drop();
    rmSync(rawDir, { recursive: true, force: true });
    rmSync(agent.stateDir, { recursive: true, force: true });
  }
}

export async function main() {
  const result = await runBootBenchmark();
  console.log(
    `boot: ${result.runs} runs of the test guest on qemu:///system (TCG): Launch→guest booted p50 ${result.nimbus_p50_s} s; ` +
      `libvirt alone p50 ${result.raw_p50_s} s; Nimbus adds ${result.overhead_s} s (ratio ${result.ratio})`,
  );
  const out = path.join(repoRoot, "bench/results/boot.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ measured_at: new Date().toISOString(), ...result }, null, 2)}\n`);
  console.log(`written ${path.relative(repoRoot, out)}`);
}
