import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DomainState, Hypervisor, type Domain } from "@unraid/libvirt";
import type { SpawnCommand } from "@nimbus/core/protocol";
import { messageOf } from "../error-message";
import { buildDomainXml, domainName, nicFor, type DomainType } from "./domain-xml";
import type { ComputeDriver, NicSpec, NodeInventory, PowerState, SpawnPlan, Vif } from "./types";

export interface LibvirtDriverOptions {
  uri: string;
  /** Per-instance directories (console logs, later disks) live under `<stateDir>/instances/`. */
  stateDir: string;
  vif: Vif;
  /** How long a started domain may take to report RUNNING. */
  spawnTimeoutMs?: number;
}

/** libvirt has no events in these bindings, so a starting domain is polled (as Nova does). */
const POLL_INTERVAL_MS = 500;
const DEFAULT_SPAWN_TIMEOUT_MS = 60_000;

/** Nova's mapping of libvirt domain states to power states. */
const POWER_STATES: Record<DomainState, PowerState> = {
  [DomainState.NOSTATE]: "nostate",
  [DomainState.RUNNING]: "running",
  [DomainState.BLOCKED]: "running",
  [DomainState.PAUSED]: "paused",
  [DomainState.SHUTDOWN]: "shutdown",
  [DomainState.SHUTOFF]: "shutdown",
  [DomainState.CRASHED]: "crashed",
  [DomainState.PMSUSPENDED]: "suspended",
};

/** `test:///default` → "test", `qemu:///system` or `qemu+ssh://…` → "qemu". */
export function hypervisorTypeOf(uri: string): DomainType {
  const scheme = uri.slice(0, uri.indexOf(":")).split("+")[0];
  if (scheme === "test" || scheme === "qemu") return scheme;
  throw new Error(`Unsupported libvirt URI ${uri}: only test:// and qemu:// hypervisors are supported.`);
}

export class LibvirtDriver implements ComputeDriver {
  private constructor(
    private readonly hypervisor: Hypervisor,
    private readonly domainType: DomainType,
    private readonly options: LibvirtDriverOptions,
  ) {}

  static async open(options: LibvirtDriverOptions): Promise<LibvirtDriver> {
    const domainType = hypervisorTypeOf(options.uri);
    const hypervisor = new Hypervisor({ uri: options.uri });
    await hypervisor.connectOpen();
    return new LibvirtDriver(hypervisor, domainType, options);
  }

  async nodeInfo(): Promise<NodeInventory> {
    const info = await this.hypervisor.nodeGetInfo();
    return {
      hypervisorType: this.domainType,
      uri: this.options.uri,
      cpuModel: info.model,
      vcpus: info.cpus,
      memoryMb: Math.floor(info.memory / 1024),
    };
  }

  async listDomainUuids(): Promise<string[]> {
    const domains = await this.hypervisor.connectListAllDomains();
    const named = await Promise.all(domains.map(async (d) => ({ name: await d.getName(), uuid: await d.getUUIDString() })));
    return named.filter(({ name, uuid }) => name === domainName(uuid)).map(({ uuid }) => uuid);
  }

  planNetwork(command: SpawnCommand): NicSpec | null {
    return nicFor(this.options.vif, command.network);
  }

  async prepareBlockDevices(command: SpawnCommand): Promise<{ instanceDir: string }> {
    const instanceDir = this.instanceDir(command.instance.id);
    await mkdir(instanceDir, { recursive: true });
    return { instanceDir };
  }

  async spawn(command: SpawnCommand, plan: SpawnPlan): Promise<void> {
    const xml = buildDomainXml({
      command,
      domainType: this.domainType,
      nic: plan.nic,
      consoleLogPath: this.domainType === "qemu" ? path.join(plan.instanceDir, "console.log") : null,
    });
    try {
      // Defining a domain whose uuid exists updates that domain instead of adding another one.
      const domain = await this.hypervisor.domainDefineXML(xml);
      if ((await domain.getInfo()).state === DomainState.SHUTOFF) await domain.create();
      await this.waitUntilRunning(domain);
    } catch (error) {
      try {
        await this.destroy(command.instance.id);
      } catch (cleanupError) {
        throw new Error(`${messageOf(error)} (removing the half-built domain also failed: ${messageOf(cleanupError)})`, { cause: error });
      }
      throw error;
    }
  }

  async destroy(instanceId: string): Promise<void> {
    const domain = await this.findDomain(instanceId);
    if (domain) {
      if ((await domain.getInfo()).state !== DomainState.SHUTOFF) await domain.destroy();
      await domain.undefine();
    }
    await rm(this.instanceDir(instanceId), { recursive: true, force: true });
  }

  async powerState(instanceId: string): Promise<PowerState> {
    const domain = await this.findDomain(instanceId);
    return domain ? POWER_STATES[(await domain.getInfo()).state] : "nostate";
  }

  async close(): Promise<void> {
    await this.hypervisor.connectClose();
  }

  private instanceDir(instanceId: string): string {
    return path.join(this.options.stateDir, "instances", instanceId.toLowerCase());
  }

  private async findDomain(instanceId: string): Promise<Domain | null> {
    try {
      return await this.hypervisor.domainLookupByUUIDString(instanceId);
    } catch (error) {
      // The bindings report every failure with code -1, so "no such domain" is told apart from
      // a broken connection by listing what exists.
      const domains = await this.hypervisor.connectListAllDomains();
      const uuids = await Promise.all(domains.map((d) => d.getUUIDString()));
      if (uuids.includes(instanceId.toLowerCase())) throw error;
      return null;
    }
  }

  private async waitUntilRunning(domain: Domain): Promise<void> {
    const timeoutMs = this.options.spawnTimeoutMs ?? DEFAULT_SPAWN_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { state } = await domain.getInfo();
      if (state === DomainState.RUNNING) return;
      if (state === DomainState.SHUTOFF || state === DomainState.CRASHED) {
        throw new Error(`The virtual machine stopped while starting (libvirt state ${DomainState[state]}).`);
      }
      if (Date.now() >= deadline) {
        throw new Error(`The virtual machine was not running ${Math.round(timeoutMs / 1000)} s after it was started.`);
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }
}
