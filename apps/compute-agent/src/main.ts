/** Entry point of the compute agent: `tsx src/main.ts`. */
import { mkdir, statfs } from "node:fs/promises";
import path from "node:path";
import { pino } from "pino";
import packageJson from "../package.json" with { type: "json" };
import { Agent } from "./agent";
import { ComputeManager } from "./compute-manager";
import { LibvirtDriver } from "./driver/libvirt";
import { loadEnv } from "./env";
import { ReportOutbox } from "./report-outbox";
import { ReportSequence } from "./report-sequence";
import { waitForSecret } from "./secret";

const SHUTDOWN_DEADLINE_MS = 10_000;

const env = loadEnv();
const log = pino({ level: env.logLevel, base: { hostname: env.hostname } });

async function main(): Promise<void> {
  await mkdir(env.stateDir, { recursive: true });
  const diskGb = env.diskGb ?? (await totalDiskGb(env.stateDir));
  const driver = await LibvirtDriver.open({ uri: env.libvirtUri, stateDir: env.stateDir, vif: env.vif });
  log.info({ uri: env.libvirtUri, stateDir: env.stateDir, diskGb }, "libvirt connection open");

  let agent: Agent | undefined;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    log.info({ signal }, "shutting down");
    await agent?.stop(SHUTDOWN_DEADLINE_MS);
    await driver.close().catch((error: unknown) => log.warn({ err: error }, "closing the libvirt connection failed"));
    process.exit(0);
  };
  // `once`: the same signal again during shutdown ends the process at once.
  process.once("SIGTERM", (signal) => void shutdown(signal));
  process.once("SIGINT", (signal) => void shutdown(signal));

  const secret = await waitForSecret(env.secretSource, log);
  const outbox = new ReportOutbox(log);
  const sequence = new ReportSequence(path.join(env.stateDir, "report-seq"));
  const manager = new ComputeManager({ driver, outbox, sequence, log });
  agent = new Agent({
    serverUrl: env.serverUrl,
    hostname: env.hostname,
    agentVersion: packageJson.version,
    secret,
    diskGb,
    heartbeatMs: env.heartbeatMs,
    driver,
    manager,
    outbox,
    log,
  });
  agent.start();
}

/** Size of the file system holding `dir`, in whole GB. */
async function totalDiskGb(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return Math.floor((stats.blocks * stats.bsize) / 1024 ** 3);
}

main().catch((error: unknown) => {
  log.fatal({ err: error }, "the compute agent could not start");
  process.exit(1);
});
