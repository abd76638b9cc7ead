import { mkdir, statfs } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { Agent } from "./agent";
import { ComputeManager } from "./compute-manager";
import { LibvirtDriver } from "./driver/libvirt";
import type { Vif } from "./driver/types";
import type { AuthProvider } from "./host-auth";
import { ReportOutbox } from "./report-outbox";
import { ReportSequence } from "./report-sequence";

export interface ComputeHostOptions {
  hostname: string;
  /** A simulated host (NIMBUS_SIMULATED_HOSTS) on a private libvirt test driver. */
  simulated: boolean;
  libvirtUri: string;
  /** This host's own: instance directories and report sequence numbers live here. */
  stateDir: string;
  vif: Vif;
  /** Unset: the size of the file system holding the state dir. */
  diskGb: number | undefined;
  serverUrls: string[];
  heartbeatMs: number;
  agentVersion: string;
  log: Logger;
}

/**
 * One compute host as the servers see it: a libvirt connection, the compute manager working on
 * it, and the agent connection with its own report outbox. A process runs one, or several in
 * simulation mode, each independent of the others.
 */
export class ComputeHost {
  private agent: Agent | null = null;

  private constructor(
    readonly options: ComputeHostOptions,
    readonly driver: LibvirtDriver,
    private readonly diskGb: number,
  ) {}

  get hostname(): string {
    return this.options.hostname;
  }

  get log(): Logger {
    return this.options.log;
  }

  /** Opens the libvirt connection; nothing talks to the servers before `start`. */
  static async open(options: ComputeHostOptions): Promise<ComputeHost> {
    const { libvirtUri: uri, stateDir, vif, log } = options;
    await mkdir(stateDir, { recursive: true });
    const diskGb = options.diskGb ?? (await totalDiskGb(stateDir));
    const driver = await LibvirtDriver.open({ uri, stateDir, vif });
    log.info({ uri, stateDir, diskGb }, options.simulated ? "simulated host: libvirt test driver open" : "libvirt connection open");
    return new ComputeHost(options, driver, diskGb);
  }

  /** Connects to the servers, presenting what `auth` returns in every handshake. */
  start(auth: AuthProvider): void {
    const { hostname, stateDir, serverUrls, heartbeatMs, agentVersion, log } = this.options;
    const outbox = new ReportOutbox(log);
    const sequence = new ReportSequence(path.join(stateDir, "report-seq"));
    const manager = new ComputeManager({ driver: this.driver, outbox, sequence, log });
    this.agent = new Agent({ serverUrls, hostname, agentVersion, auth, diskGb: this.diskGb, heartbeatMs, driver: this.driver, manager, outbox, log });
    this.agent.start();
  }

  /** Drains the host's work and reports under `deadlineMs` (see `Agent.stop`), then closes libvirt. */
  async stop(deadlineMs: number): Promise<void> {
    await this.agent?.stop(deadlineMs);
    await this.driver.close().catch((error: unknown) => this.log.warn({ err: error }, "closing the libvirt connection failed"));
  }
}

/** Size of the file system holding `dir`, in whole GB. */
async function totalDiskGb(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return Math.floor((stats.blocks * stats.bsize) / 1024 ** 3);
}
