import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import type { Logger } from "pino";
import {
  MAX_PROTOCOL_MESSAGE_CHARS,
  type DestroyCommand,
  type DownloadProgress,
  type InstanceActionCommand,
  type InstanceReport,
  type LiveMigrationTarget,
  type PortSpec,
  type ReportPhase,
  type SpawnCommand,
} from "@nimbus/core/protocol/agent";
import type { ComputeDriver, PowerState } from "./driver/types";
import { messageOf } from "./error-message";
import type { ImageSource } from "./image-cache";
import { KeyedQueue } from "./keyed-queue";
import type { SnapshotSink } from "./snapshot-upload";
import type { ReportOutbox } from "./report-outbox";
import type { ReportSequence } from "./report-sequence";

export interface ComputeManagerDeps {
  driver: ComputeDriver;
  outbox: ReportOutbox;
  sequence: ReportSequence;
  /** Where images come from (the host's image cache). */
  images: ImageSource;
  /** Where snapshots' bits go (the servers' image store). */
  snapshots: SnapshotSink;
  /** Live download progress for the server; dropped when there is no connection. */
  downloadProgress: (progress: DownloadProgress) => void;
  log: Logger;
  /** Hooks for the live console: the domain runs (with its console log, if it has one) … */
  onSpawned?: (instanceId: string, consoleLog: string | null) => void;
  /** … and is about to be destroyed (or a failed spawn undone); removal waits for the returned promise. */
  onDestroy?: (instanceId: string) => Promise<void>;
  /** … and runs again after an action (start, reboot, resume): its console is watched if it was not. */
  onPoweredOn?: (instanceId: string) => void;
}

/** Command ids of actions remembered, so a redelivered command is not run twice. */
const REMEMBERED_ACTIONS = 10_000;

/** Download progress goes out at most this often per instance, plus each image's 100 %. */
const DOWNLOAD_PROGRESS_INTERVAL_MS = 250;

/**
 * Runs spawn, destroy and action commands against the driver and reports each step (Nova's
 * compute manager). Commands return at once; the work for one instance runs in a per-instance
 * chain, so a destroy that arrives mid-spawn (or mid-stop) runs once that finished and then
 * removes the domain.
 *
 *   spawn:   networking → block_device_mapping → spawning → active | error
 *   destroy: deleted
 *   action:  task_started → task_done | task_failed (each with the power state it left; a
 *            rebuild's task_started comes as its guest is spawned, after its disks are made)
 *   power sync: power_state, for each domain whose power changed with no command (a guest shut
 *            down from inside), and for all of them after each registration
 *
 * Images are downloaded during block_device_mapping. A spawn that fails removes everything it
 * made (domain, instance directory, new volumes, port plumbing) before it reports the error.
 */
export class ComputeManager {
  /** Each instance's work, one step at a time. */
  private readonly queue = new KeyedQueue();
  /** The spawn command each instance is being built, or was built, from. */
  private readonly spawnedBy = new Map<string, string>();
  /** Action commands taken (oldest first), so a redelivery is acknowledged but not run again. */
  private readonly actions = new Set<string>();
  /** The power state last reported for each instance (by an action or the power sync). */
  private readonly reportedPower = new Map<string, PowerState>();

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

  /**
   * Queues an action (`instance.action`). Returns false, and queues nothing, when this very
   * command was taken already (the server resent it before it heard the acknowledgement).
   */
  act(command: InstanceActionCommand): boolean {
    if (this.actions.has(command.commandId)) return false;
    this.actions.add(command.commandId);
    if (this.actions.size > REMEMBERED_ACTIONS) this.actions.delete(this.actions.values().next().value!);
    this.enqueue(command.instanceId, () => this.perform(command));
    return true;
  }

  /**
   * Nova's `_sync_power_states`, without libvirt events (the bindings have none): reports the
   * power state of each domain with no work queued whose state changed since it was last
   * reported, or of every domain with `all` (after a registration, when the server may have
   * given up on an action and waits for the truth).
   */
  async syncPowerStates({ all = false }: { all?: boolean } = {}): Promise<number> {
    const { driver, log } = this.deps;
    let reported = 0;
    for (const instanceId of await driver.listDomainUuids()) {
      if (this.queue.busy(instanceId)) continue;
      let powerState: PowerState;
      try {
        powerState = await driver.powerState(instanceId);
      } catch (error) {
        log.warn({ err: error, instanceId }, "could not read a domain's power state");
        continue;
      }
      // Read after an await: work may have been queued meanwhile, and then it reports.
      if (this.queue.busy(instanceId) || (!all && this.reportedPower.get(instanceId) === powerState)) continue;
      if (this.reportedPower.has(instanceId) && this.reportedPower.get(instanceId) !== powerState) {
        log.info({ instanceId, was: this.reportedPower.get(instanceId), now: powerState }, "a domain's power state changed with no command");
      }
      this.report({ instanceId, commandId: randomUUID(), phase: "power_state", powerState });
      reported++;
    }
    return reported;
  }

  /** Resolves once all queued work has finished. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private enqueue(instanceId: string, work: () => Promise<void>): void {
    this.queue.run(instanceId, work).catch((error: unknown) => {
      this.deps.log.error({ err: error, instanceId }, "instance work failed");
    });
  }

  private async build(command: SpawnCommand): Promise<void> {
    const { driver, images } = this.deps;
    const log = this.commandLog(command.requestId);
    const instanceId = command.instance.id;
    const report = (phase: ReportPhase, powerState: PowerState, message?: string) =>
      this.report({ instanceId, commandId: command.commandId, phase, powerState, message });
    try {
      report("networking", "nostate");
      // As Nova's _allocate_network_async: the ports are plugged while the disks are made, and
      // the spawn waits for both (a host's DHCP and firewall updates take a good half second).
      const plugging = driver.plugNetwork(command);
      plugging.catch(() => undefined); // awaited below, whatever happens to the disks
      report("block_device_mapping", "nostate");
      const blockDevices = await driver
        .prepareBlockDevices(command, { images, onDownload: this.downloadReporter(instanceId) })
        .catch(async (error: unknown) => {
          // Let the plug finish first, so the cleanup unplugs what it made.
          await plugging.catch(() => undefined);
          throw error;
        });
      const nics = await plugging;
      report("spawning", "nostate");
      await driver.spawn(command, { nics, blockDevices });
      this.deps.onSpawned?.(instanceId, blockDevices.consoleLog);
      report("active", await driver.powerState(instanceId));
      log.info({ instanceId, commandId: command.commandId }, "instance spawned");
    } catch (error) {
      if (this.spawnedBy.get(instanceId) === command.commandId) this.spawnedBy.delete(instanceId);
      log.error({ err: error, instanceId, commandId: command.commandId }, "spawn failed");
      let message = messageOf(error);
      try {
        await this.deps.onDestroy?.(instanceId);
        await driver.abortSpawn(command);
      } catch (cleanupError) {
        log.error({ err: cleanupError, instanceId }, "removing what the failed spawn made also failed");
        message = `${message} (removing what the build made also failed: ${messageOf(cleanupError)})`;
      }
      report("error", "nostate", message.slice(0, MAX_PROTOCOL_MESSAGE_CHARS));
    }
  }

  /** Passes download progress on, at most every DOWNLOAD_PROGRESS_INTERVAL_MS for the instance, and always each 100 %. */
  private downloadReporter(instanceId: string): (imageId: string, bytes: number, totalBytes: number) => void {
    let last = 0;
    return (imageId, bytes, totalBytes) => {
      const now = Date.now();
      if (bytes < totalBytes && now - last < DOWNLOAD_PROGRESS_INTERVAL_MS) return;
      last = now;
      this.deps.downloadProgress({ instanceId, imageId, bytes, totalBytes });
    };
  }

  /** Runs an action on the driver and reports how it went, with the power state it left. */
  private async perform(command: InstanceActionCommand): Promise<void> {
    const { driver, log } = this.deps;
    const { instanceId, commandId, operation } = command;
    const report = (phase: ReportPhase, powerState: PowerState, message?: string, migrateData?: LiveMigrationTarget) =>
      this.report({ instanceId, commandId, phase, powerState, message, ...(migrateData ? { migrateData } : {}) });
    const powerNow = () => driver.powerState(instanceId).catch((): PowerState => "nostate");
    const started = async () => void report("task_started", await powerNow());
    // A rebuild says it began when its guest is spawned (rebuild_spawning): its acknowledgement
    // already moved it to rebuild_block_device_mapping, which is what it does first.
    if (command.operation !== "rebuild") await started();
    try {
      const migrateData = await this.run(command, started);
      const powerState = await powerNow();
      report("task_done", powerState, undefined, migrateData ?? undefined);
      if (powerState === "running") this.deps.onPoweredOn?.(instanceId);
      log.info({ instanceId, commandId, operation, powerState }, "instance action done");
    } catch (error) {
      log.error({ err: error, instanceId, commandId, operation }, "instance action failed");
      report("task_failed", await powerNow(), messageOf(error).slice(0, MAX_PROTOCOL_MESSAGE_CHARS));
    }
  }

  /** What each operation is on the driver; `started` reports a rebuild's spawning. A live migration's preparation answers its migrate data. */
  // biome-ignore lint/suspicious/noConfusingVoidType: every driver call resolves with nothing (void) but a live migration's preparation
  private run(command: InstanceActionCommand, started: () => Promise<void>): Promise<void | LiveMigrationTarget> {
    const { driver } = this.deps;
    const id = command.instanceId;
    switch (command.operation) {
      case "stop":
        return driver.powerOff(id, { shutdownTimeoutMs: command.shutdownTimeoutSeconds * 1000 });
      case "start":
        return driver.powerOn(id);
      case "reboot":
        return driver.reboot(id, { hard: false, shutdownTimeoutMs: command.shutdownTimeoutSeconds * 1000 });
      case "reboot_hard":
        return driver.reboot(id, { hard: true, shutdownTimeoutMs: 0 });
      case "pause":
        return driver.pause(id);
      case "unpause":
        return driver.unpause(id);
      case "suspend":
        return driver.suspend(id);
      case "resume":
        return driver.resume(id);
      case "resize":
      case "migrate":
        // Nova's resize_instance on the source: the guest powered off (its disk kept aside on one host).
        return this.prepareMove(id, command.shutdownTimeoutSeconds * 1000, command.sameHost);
      case "resize_finish":
        // The destination: the guest on the new flavor, its disk grown (made from the image on a new host).
        return this.defineMoved(command, { grow: true, undoOnFailure: !command.sameHost });
      case "confirm_resize":
        // The source: the old guest goes (on one host, only the disk kept aside).
        return command.sameHost ? driver.dropDiskBackup(id) : this.removeMoved(id, command.ports);
      case "revert_resize":
        // The destination: on one host the old disk and flavor come back; elsewhere the new guest goes.
        if (command.sameHost) return this.defineMoved(command, { grow: false, restore: true, undoOnFailure: false });
        return this.removeMoved(id, command.ports);
      case "finish_revert":
        // The source: the old guest (its disk put back if kept aside) as it was.
        return this.defineMoved(command, { grow: false, restore: true, undoOnFailure: false });
      case "evacuate":
        // Rebuilt here from its image, with its own ports.
        return this.defineMoved(command, { grow: false, undoOnFailure: true });
      case "snapshot":
        return this.snapshot(id, command.imageId);
      case "rebuild":
        return this.rebuild(command, started);
      case "live_migrate":
        return this.prepareIncoming(command);
      case "live_migrate_source":
        return this.migrateOut(command);
      case "live_migrate_finish":
        return this.confirmArrived(id);
      case "live_migrate_rollback":
        return this.undoIncoming(id, command.ports);
      default: {
        const unreachable: never = command;
        throw new Error(`unknown operation ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * Nova's snapshot on the host: the driver copies the root disk (the guest put back as it was),
   * then its bits go up to the image store; the copy is removed whatever happens.
   */
  private async snapshot(instanceId: string, imageId: string): Promise<void> {
    const { driver, snapshots, log } = this.deps;
    const { file, simulated } = await driver.snapshot(instanceId, imageId);
    try {
      if (simulated) log.info({ instanceId, imageId }, "simulated host: the snapshot is a blank disk");
      await snapshots.upload(imageId, file, { simulated });
    } finally {
      await rm(file, { force: true });
    }
  }

  private async prepareMove(instanceId: string, shutdownTimeoutMs: number, sameHost: boolean): Promise<void> {
    await this.deps.driver.powerOff(instanceId, { shutdownTimeoutMs });
    if (sameHost) await this.deps.driver.backupDisk(instanceId);
  }

  /**
   * Defines the guest of a move from its spawn command (ports plugged, disks made where they are
   * missing, the domain defined anew: on one host that updates its flavor) and leaves it
   * running or off as it was. A new host's failed attempt is undone, as a failed spawn is.
   */
  private async defineMoved(
    command: { instanceId: string; powerOn: boolean; spawn: SpawnCommand },
    {
      grow,
      restore = false,
      undoOnFailure,
      beforeSpawn,
    }: { grow: boolean; restore?: boolean; undoOnFailure: boolean; beforeSpawn?: () => Promise<void> },
  ): Promise<void> {
    const { driver, images } = this.deps;
    const { spawn, instanceId } = command;
    try {
      if (restore) await driver.restoreDisk(instanceId);
      const nics = await driver.plugNetwork(spawn);
      const blockDevices = await driver.prepareBlockDevices(spawn, { images, onDownload: this.downloadReporter(instanceId) });
      if (grow) await driver.growDisk(instanceId, spawn.instance.rootGb);
      await beforeSpawn?.();
      // A guest that was off stays off: defined, not started (spawn starts it, then it is powered off again).
      await driver.spawn(spawn, { nics, blockDevices });
      this.deps.onSpawned?.(instanceId, blockDevices.consoleLog);
      if (!command.powerOn) await driver.powerOff(instanceId, { shutdownTimeoutMs: 0 });
    } catch (error) {
      if (undoOnFailure) {
        await this.deps.onDestroy?.(instanceId).catch(() => undefined);
        await driver.abortSpawn(spawn).catch((cleanupError: unknown) => {
          this.deps.log.error({ err: cleanupError, instanceId }, "removing what the failed move made also failed");
        });
      }
      throw error;
    }
  }

  /**
   * Nova's rebuild on this host: the guest goes with its root disk, config drive and console
   * log (its volumes and ports stay), then it is made again from the command's spawn (the
   * image's fresh overlay from the image cache, a config drive with the new name, key, user data
   * and metadata) as a move's guest is, running or off as it was. A failure removes what was
   * made (the ports stay: the instance, now ERROR, still has them on this host).
   */
  private async rebuild(command: { instanceId: string; powerOn: boolean; spawn: SpawnCommand }, started: () => Promise<void>): Promise<void> {
    const { driver, log } = this.deps;
    const { instanceId } = command;
    await this.deps.onDestroy?.(instanceId);
    await driver.discardGuest(instanceId);
    try {
      await this.defineMoved(command, { grow: false, undoOnFailure: false, beforeSpawn: started });
      log.info({ instanceId, image: command.spawn.image?.id ?? null }, "instance rebuilt");
    } catch (error) {
      await this.deps.onDestroy?.(instanceId).catch(() => undefined);
      await driver.discardGuest(instanceId).catch((cleanupError: unknown) => {
        log.error({ err: cleanupError, instanceId }, "removing what the failed rebuild made also failed");
      });
      throw error;
    }
  }

  /**
   * Nova's pre_live_migration here, the destination: ports plugged and disks made for the guest
   * to come (../driver/types). What it made is removed again when it fails.
   */
  private async prepareIncoming(command: {
    instanceId: string;
    blockMigration: boolean;
    paused: boolean;
    spawn: SpawnCommand;
  }): Promise<LiveMigrationTarget> {
    const { driver, images } = this.deps;
    const { spawn, instanceId } = command;
    try {
      const nics = await driver.plugNetwork(spawn);
      const context = { images, onDownload: this.downloadReporter(instanceId) };
      return await driver.prepareLiveMigration(spawn, { blockMigration: command.blockMigration, paused: command.paused, nics, context });
    } catch (error) {
      await driver.abortSpawn(spawn).catch((cleanupError: unknown) => {
        this.deps.log.error({ err: cleanupError, instanceId }, "removing what the failed live migration prepared also failed");
      });
      throw error;
    }
  }

  /**
   * Nova's live_migration here, the source: the guest moves, its progress reported as it goes;
   * then its leftovers here go (files, port plumbing). The guest has moved by then: a cleanup
   * that fails is logged, never reported as a failed move (the destination would undo the guest).
   */
  private async migrateOut(command: {
    instanceId: string;
    commandId: string;
    blockMigration: boolean;
    target: LiveMigrationTarget;
    ports: DestroyCommand["ports"];
  }): Promise<void> {
    const { driver, log } = this.deps;
    const { instanceId, commandId } = command;
    const started = performance.now();
    await driver.liveMigrate(instanceId, command.target, {
      blockMigration: command.blockMigration,
      onProgress: (progress) => void this.report({ instanceId, commandId, phase: "task_progress", powerState: "running", progress }),
    });
    log.info({ instanceId, ms: Math.round(performance.now() - started), blockMigration: command.blockMigration }, "guest live-migrated away");
    this.reportedPower.delete(instanceId);
    await this.removeMoved(instanceId, command.ports).catch((error: unknown) => {
      log.error({ err: error, instanceId }, "the guest moved, but removing its leftovers on this host failed");
    });
  }

  /** Nova's post_live_migration_at_destination: the guest that arrived runs here. */
  private async confirmArrived(instanceId: string): Promise<void> {
    const powerState = await this.deps.driver.powerState(instanceId);
    if (powerState !== "running" && powerState !== "paused") {
      throw new Error(`the guest is not running on this host after its live migration (power state ${powerState})`);
    }
  }

  /**
   * Nova's rollback_live_migration_at_destination: what was prepared for a guest that did not
   * come goes (libvirt left the guest on its source: a failed migrateToURI3 never leaves it
   * running in two places; a simulated host's twin goes with it).
   */
  private async undoIncoming(instanceId: string, ports: DestroyCommand["ports"]): Promise<void> {
    await this.removeMoved(instanceId, ports);
  }

  /** The guest of a move leaves this host: its domain, files and port plumbing go (volumes stay). */
  private async removeMoved(instanceId: string, ports: DestroyCommand["ports"]): Promise<void> {
    await this.deps.onDestroy?.(instanceId);
    await this.deps.driver.destroy({ commandId: randomUUID(), instanceId, volumes: [], ports });
    this.deps.log.info({ instanceId }, "guest removed from this host after a move");
  }

  /** The log for one command's lines: with the API request it comes from, when it says. */
  private commandLog(requestId: string | undefined): Logger {
    return requestId ? this.deps.log.child({ requestId }) : this.deps.log;
  }

  private async remove(command: DestroyCommand): Promise<void> {
    const { instanceId, commandId } = command;
    const log = this.commandLog(command.requestId);
    this.spawnedBy.delete(instanceId);
    try {
      await this.deps.onDestroy?.(instanceId);
      await this.deps.driver.destroy(command);
    } catch (error) {
      // The protocol has no phase for a failed deletion; the server's delete stays pending.
      log.error({ err: error, instanceId, commandId }, "destroy failed");
      return;
    }
    log.info({ instanceId, commandId }, "instance destroyed");
    const { delivered } = this.report({ instanceId, commandId, phase: "deleted", powerState: "nostate" });
    this.reportedPower.delete(instanceId);
    void delivered.then(() => this.deps.sequence.forget(instanceId));
  }

  /**
   * Removes a detached volume's file (`volume.delete`). Not chained to any instance: the volume
   * is attached to none.
   */
  async deleteVolume(volumeId: string): Promise<void> {
    await this.deps.driver.deleteVolume(volumeId);
    this.deps.log.info({ volumeId }, "volume deleted");
  }

  /** A remote security group's members changed (`group.members`). */
  async replaceGroupMembers(groupId: string, cidrs: string[], version: number): Promise<void> {
    await this.deps.driver.replaceGroupMembers(groupId, cidrs, version);
    this.deps.log.info({ groupId, members: cidrs.length }, "remote group members replaced");
  }

  /** Re-applies changed security group rules to the ports' guests (`ports.refresh`). */
  async refreshPortFilters(ports: PortSpec[]): Promise<void> {
    const refreshed = await this.deps.driver.refreshPortFilters(ports);
    this.deps.log.info({ ports: ports.length, refreshed: refreshed.length }, "port filters refreshed");
  }

  /**
   * Numbers the report and queues it for the server. Resolves once it is queued, not delivered:
   * work never waits for the server.
   */
  private report(fields: Omit<InstanceReport, "seq" | "at">): { delivered: Promise<void> } {
    if (fields.phase !== "deleted" && fields.powerState !== "nostate") this.reportedPower.set(fields.instanceId, fields.powerState);
    const seq = this.deps.sequence.take(fields.instanceId);
    return { delivered: this.deps.outbox.post({ ...fields, seq, at: new Date().toISOString() }) };
  }
}
