import type { Logger } from "pino";
import type { DestroyCommand, InstanceReport, ReportPhase, SpawnCommand } from "@nimbus/core/protocol";
import type { ComputeDriver, PowerState } from "./driver/types";
import { messageOf } from "./error-message";
import type { ReportOutbox } from "./report-outbox";
import type { ReportSequence } from "./report-sequence";

export interface ComputeManagerDeps {
  driver: ComputeDriver;
  outbox: ReportOutbox;
  sequence: ReportSequence;
  log: Logger;
}

/** The longest `message` the protocol accepts in a report. */
const MAX_MESSAGE_LENGTH = 2000;

/**
 * Runs spawn and destroy commands against the driver and reports each step (Nova's compute
 * manager). Commands return at once; the work for one instance runs in a per-instance chain,
 * so a destroy that arrives mid-spawn runs once the spawn finished and then removes the domain.
 *
 *   spawn:   networking → block_device_mapping → spawning → active | error
 *   destroy: deleted
 */
export class ComputeManager {
  private readonly chains = new Map<string, Promise<void>>();
  /** The spawn command each instance is being built, or was built, from. */
  private readonly spawnedBy = new Map<string, string>();

  constructor(private readonly deps: ComputeManagerDeps) {}

  /**
   * Queues a spawn. Returns false, and queues nothing, when this very command is already being
   * built or has built the instance (the server resent it).
   */
  spawn(command: SpawnCommand): boolean {
    const instanceId = command.instance.id;
    if (this.spawnedBy.get(instanceId) === command.commandId) return false;
    this.spawnedBy.set(instanceId, command.commandId);
    this.enqueue(instanceId, () => this.build(command));
    return true;
  }

  destroy(command: DestroyCommand): void {
    this.enqueue(command.instanceId, () => this.remove(command));
  }

  /** Resolves once all queued work has finished. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all(this.chains.values());
  }

  private enqueue(instanceId: string, work: () => Promise<void>): void {
    const next = (this.chains.get(instanceId) ?? Promise.resolve()).then(work).catch((error: unknown) => {
      this.deps.log.error({ err: error, instanceId }, "instance work failed");
    });
    this.chains.set(instanceId, next);
    void next.then(() => {
      if (this.chains.get(instanceId) === next) this.chains.delete(instanceId);
    });
  }

  private async build(command: SpawnCommand): Promise<void> {
    const { driver, log } = this.deps;
    const instanceId = command.instance.id;
    const report = (phase: ReportPhase, powerState: PowerState, message?: string) =>
      this.report({ instanceId, commandId: command.commandId, phase, powerState, message });
    try {
      await report("networking", "nostate");
      const nic = driver.planNetwork(command);
      await report("block_device_mapping", "nostate");
      const { instanceDir } = await driver.prepareBlockDevices(command);
      await report("spawning", "nostate");
      await driver.spawn(command, { nic, instanceDir });
      await report("active", await driver.powerState(instanceId));
      log.info({ instanceId, commandId: command.commandId }, "instance spawned");
    } catch (error) {
      if (this.spawnedBy.get(instanceId) === command.commandId) this.spawnedBy.delete(instanceId);
      log.error({ err: error, instanceId, commandId: command.commandId }, "spawn failed");
      await report("error", "nostate", messageOf(error).slice(0, MAX_MESSAGE_LENGTH));
    }
  }

  private async remove(command: DestroyCommand): Promise<void> {
    const { instanceId, commandId } = command;
    this.spawnedBy.delete(instanceId);
    try {
      await this.deps.driver.destroy(instanceId);
    } catch (error) {
      // The protocol has no phase for a failed deletion; the server's delete stays pending.
      this.deps.log.error({ err: error, instanceId, commandId }, "destroy failed");
      return;
    }
    this.deps.log.info({ instanceId, commandId }, "instance destroyed");
    const { delivered } = await this.report({ instanceId, commandId, phase: "deleted", powerState: "nostate" });
    void delivered.then(() => this.deps.sequence.forget(instanceId)).catch((error: unknown) => {
      this.deps.log.warn({ err: error, instanceId }, "could not remove the report sequence file");
    });
  }

  /**
   * Numbers the report and queues it for the server. Resolves once it is queued, not delivered:
   * work never waits for the server.
   */
  private async report(fields: Omit<InstanceReport, "seq" | "at">): Promise<{ delivered: Promise<void> }> {
    const seq = await this.deps.sequence.take(fields.instanceId);
    return { delivered: this.deps.outbox.post({ ...fields, seq, at: new Date().toISOString() }) };
  }
}
