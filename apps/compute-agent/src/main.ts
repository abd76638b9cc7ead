/** Entry point of the compute agent: `tsx src/main.ts`. */
import path from "node:path";
import { pino, type Logger } from "pino";
import { errorForLog } from "@nimbus/core/error-log";
import packageJson from "../package.json" with { type: "json" };
import { ComputeHost, type ComputeHostOptions } from "./compute-host";
import { EnrolmentError } from "./enrolment";
import { loadEnv, type Env, type Simulation } from "./env";
import { hostAuth } from "./host-auth";
import { waitForSecret, type SecretProvider } from "./secret";
import { DEFAULT_SIMULATED_NODE, SIMULATED_DISK_GB, prepareSimulatedHost, simulatedNodeUri, simulatedTunnelAddress } from "./simulation";

const SHUTDOWN_DEADLINE_MS = 10_000;
/** In simulation mode, each simulated host may keep its own credential here, in its state dir. */
const SIMULATED_CREDENTIAL_FILE = "host-credential";

const env = loadEnv();
// Errors are logged as core says they may be: a server's refusal quoted in one never carries values it was sent.
const log = pino({ level: env.logLevel, base: { hostname: env.hostname }, serializers: { err: errorForLog } });
/** Every host opened so far; SIGTERM drains them all. */
const hosts: ComputeHost[] = [];

async function main(): Promise<void> {
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    log.info({ signal, hosts: hosts.length }, "shutting down");
    // The hosts drain side by side, so they all share the one deadline.
    await Promise.all(hosts.map((host) => host.stop(SHUTDOWN_DEADLINE_MS)));
    process.exit(0);
  };
  // `once`: the same signal again during shutdown ends the process at once.
  process.once("SIGTERM", (signal) => void shutdown(signal));
  process.once("SIGINT", (signal) => void shutdown(signal));

  // Waited for only by a host that has no credential of its own, and only once.
  let secret: Promise<SecretProvider> | undefined;
  const sharedSecret = (): Promise<SecretProvider> => (secret ??= waitForSecret(env.secretSource, log));

  if (env.simulation) {
    await startSimulatedHosts(env, env.simulation, sharedSecret);
    return;
  }
  const host = await ComputeHost.open({
    ...hostOptions(env, log),
    hostname: env.hostname,
    simulated: false,
    libvirtUri: env.libvirtUri ?? (await simulatedNodeUri(env.stateDir, DEFAULT_SIMULATED_NODE)),
    stateDir: env.stateDir,
    diskGb: env.diskGb,
  });
  hosts.push(host);
  const auth = await hostAuth({
    hostname: env.hostname,
    credentialFile: env.credentialFile,
    enrolment: env.joinToken === undefined ? null : { joinToken: env.joinToken, serverUrls: env.serverUrls },
    sharedSecret,
    log,
  });
  host.start(auth);
}

/**
 * NIMBUS_SIMULATED_HOSTS: N hosts `<hostname>-sim-<i>`, each with its own test-driver node
 * file, state dir, outbox and connection; each authenticates with its own credential file when
 * it has one, else with the shared secret.
 */
async function startSimulatedHosts(env: Env, simulation: Simulation, sharedSecret: () => Promise<SecretProvider>): Promise<void> {
  log.info({ hosts: simulation.hosts, vcpus: simulation.vcpus, memoryMb: simulation.memoryMb }, "starting simulated hosts on libvirt's test driver");
  const indexes = Array.from({ length: simulation.hosts }, (_, i) => i + 1);
  const opened = await Promise.all(
    indexes.map(async (index) => {
      const sim = await prepareSimulatedHost({ stateDir: env.stateDir, hostname: env.hostname, index, inventory: simulation });
      const simLog = log.child({ simulatedHost: sim.hostname });
      const tunnelAddress = env.tunnelAddress === null ? null : simulatedTunnelAddress(env.tunnelAddress, index);
      return ComputeHost.open({ ...hostOptions(env, simLog), ...sim, simulated: true, diskGb: env.diskGb ?? SIMULATED_DISK_GB, tunnelAddress });
    }),
  );
  hosts.push(...opened);
  await Promise.all(
    opened.map(async (host) => {
      const auth = await hostAuth({
        hostname: host.hostname,
        credentialFile: path.join(host.options.stateDir, SIMULATED_CREDENTIAL_FILE),
        enrolment: null,
        sharedSecret,
        log: host.log,
      });
      host.start(auth);
      host.log.info("simulated host started");
    }),
  );
}

/** What every host of this process shares. */
function hostOptions(
  env: Env,
  hostLog: Logger,
): Pick<
  ComputeHostOptions,
  | "vif"
  | "serverUrls"
  | "heartbeatMs"
  | "powerSyncMs"
  | "imageCache"
  | "agentVersion"
  | "log"
  | "tunnelAddress"
  | "testEndpoints"
  | "vnc"
  | "physicalNetworks"
  | "routerNamespacePrefix"
> {
  return {
    vif: env.vif,
    tunnelAddress: env.tunnelAddress,
    testEndpoints: env.testEndpoints,
    physicalNetworks: env.physicalNetworks,
    routerNamespacePrefix: env.routerNamespacePrefix,
    vnc: env.vnc,
    serverUrls: env.serverUrls,
    heartbeatMs: env.heartbeatMs,
    powerSyncMs: env.powerSyncMs,
    imageCache: env.imageCache,
    agentVersion: packageJson.version,
    log: hostLog,
  };
}

main().catch((error: unknown) => {
  if (error instanceof EnrolmentError) {
    // The server's reason is in the message; the join token never is.
    log.fatal({ reason: error.reason }, error.message);
  } else {
    log.fatal({ err: error }, "the compute agent could not start");
  }
  process.exit(1);
});
