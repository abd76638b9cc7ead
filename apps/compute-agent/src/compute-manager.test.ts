import { randomUUID } from "node:crypto";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DownloadProgress, InstanceReport, SpawnCommand } from "@nimbus/core/protocol/agent";
import { ComputeManager } from "./compute-manager";
import { NO_BLOCK_DEVICES, type BlockDeviceContext, type ComputeDriver } from "./driver/types";
import { ReportOutbox } from "./report-outbox";
import { ReportSequence } from "./report-sequence";
import type { SnapshotSink } from "./snapshot-upload";

/** A driver whose block_device_mapping step runs `prepare`, and which records aborted spawns. */
function fakeDriver(prepare: (context: BlockDeviceContext) => Promise<void>, aborted: string[]): ComputeDriver {
  return {
    nodeInfo: async () => ({ hypervisorType: "test", uri: "test:///default", cpuModel: "x", vcpus: 1, memoryMb: 1 }),
    listDomainUuids: async () => [],
    plugNetwork: async () => [],
    prepareBlockDevices: async (_command, context) => {
      await prepare(context);
      return NO_BLOCK_DEVICES;
    },
    spawn: async () => undefined,
    abortSpawn: async (command) => void aborted.push(command.instance.id),
    destroy: async () => undefined,
    discardGuest: async () => undefined,
    deleteVolume: async () => undefined,
    refreshPortFilters: async () => [],
    replaceGroupMembers: async () => undefined,
    powerOff: async () => undefined,
    powerOn: async () => undefined,
    reboot: async () => undefined,
    pause: async () => undefined,
    unpause: async () => undefined,
    suspend: async () => undefined,
    resume: async () => undefined,
    backupDisk: async () => undefined,
    restoreDisk: async () => undefined,
    dropDiskBackup: async () => undefined,
    growDisk: async () => undefined,
    prepareLiveMigration: async () => ({ libvirtUri: "test:///default", migrateUri: "simulated:", stateDir: "/nowhere", simulated: true }),
    liveMigrate: async () => undefined,
    snapshot: async () => ({ file: "/nowhere", simulated: true }),
    powerState: async () => "running",
    vncPort: async () => 5900,
    close: async () => undefined,
  };
}

function command(): SpawnCommand {
  return {
    commandId: randomUUID(),
    instance: { id: randomUUID(), name: "web-1", hostname: "web-1", vcpus: 1, memoryMb: 256, rootGb: 0 },
    image: null,
    kernel: null,
    ramdisk: null,
    kernelCommandLine: null,
    ports: [],
    volumes: [],
    configDrive: null,
  };
}

describe("ComputeManager", () => {
  let dir: string;
  let reports: InstanceReport[];
  let outbox: ReportOutbox;
  let sequence: ReportSequence;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "nimbus-manager-"));
    reports = [];
    sequence = await ReportSequence.start(path.join(dir, "seq"));
    outbox = new ReportOutbox(pino({ level: "silent" }));
    outbox.online(async (sent) => {
      reports.push(...sent.reports);
      return { ok: true, refused: [] };
    });
  });

  afterEach(async () => {
    vi.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  function manager(driver: ComputeDriver, progress: DownloadProgress[], snapshots: SnapshotSink = { upload: async () => undefined }): ComputeManager {
    return new ComputeManager({
      driver,
      outbox,
      sequence,
      images: { fetch: async () => "/nowhere" },
      snapshots,
      downloadProgress: (p) => progress.push(p),
      log: pino({ level: "silent" }),
    });
  }

  it("passes download progress on at most four times a second per instance, and always each image's 100 %", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const imageId = randomUUID();
    const progress: DownloadProgress[] = [];
    const driver = fakeDriver(async ({ onDownload }) => {
      for (let bytes = 1; bytes <= 1000; bytes += 1) {
        onDownload(imageId, bytes, 1000);
        vi.advanceTimersByTime(1); // a second of download in 1 ms steps
      }
    }, []);
    const spawn = command();
    const built = manager(driver, progress);
    built.spawn(spawn);
    await built.idle();
    await outbox.drained();
    expect(reports.map((r) => r.phase)).toEqual(["networking", "block_device_mapping", "spawning", "active"]);

    expect(progress.length).toBeLessThanOrEqual(5);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toEqual({ instanceId: spawn.instance.id, imageId, bytes: 1000, totalBytes: 1000 });
    const times = progress.map((p) => p.bytes);
    for (let i = 1; i < times.length - 1; i += 1) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(250);
  });

  it("removes what a failed spawn made before it reports the error, in plain words", async () => {
    const aborted: string[] = [];
    const driver = fakeDriver(async () => {
      throw new Error("Image cirros failed its checksum: expected sha256 a, got b.");
    }, aborted);
    const spawn = command();
    const built = manager(driver, []);
    built.spawn(spawn);
    await built.idle();
    await outbox.drained();

    expect(aborted).toEqual([spawn.instance.id]);
    expect(reports.map((r) => [r.phase, r.message])).toEqual([
      ["networking", undefined],
      ["block_device_mapping", undefined],
      ["error", "Image cirros failed its checksum: expected sha256 a, got b."],
    ]);
  });

  it("tells the live console when a domain runs, and stops it before the domain and its directory are removed", async () => {
    const steps: string[] = [];
    const driver: ComputeDriver = {
      ...fakeDriver(async () => undefined, []),
      prepareBlockDevices: async () => ({ ...NO_BLOCK_DEVICES, consoleLog: "/state/instances/x/console.log" }),
      spawn: async () => void steps.push("domain started"),
      destroy: async () => void steps.push("domain destroyed"),
    };
    const built = new ComputeManager({
      driver,
      outbox,
      sequence,
      images: { fetch: async () => "/nowhere" },
      snapshots: { upload: async () => undefined },
      downloadProgress: () => undefined,
      log: pino({ level: "silent" }),
      onSpawned: (instanceId, consoleLog) => void steps.push(`watch ${instanceId} ${consoleLog}`),
      onDestroy: async (instanceId) => void steps.push(`stop ${instanceId}`),
    });
    const spawn = command();
    const id = spawn.instance.id;
    built.spawn(spawn);
    built.destroy({ commandId: randomUUID(), instanceId: id, volumes: [], ports: [] });
    await built.idle();
    expect(steps).toEqual(["domain started", `watch ${id} /state/instances/x/console.log`, `stop ${id}`, "domain destroyed"]);
  });

  it("runs an action once however often it is delivered, reporting started then done with the power state left", async () => {
    const instanceId = randomUUID();
    let power: "running" | "shutdown" = "running";
    let stops = 0;
    const driver: ComputeDriver = {
      ...fakeDriver(async () => undefined, []),
      powerOff: async () => {
        stops++;
        power = "shutdown";
      },
      powerState: async () => power,
    };
    const built = manager(driver, []);
    const stop = { commandId: randomUUID(), instanceId, operation: "stop" as const, shutdownTimeoutSeconds: 1 };
    expect(built.act(stop)).toBe(true);
    expect(built.act(stop)).toBe(false); // the server resent it before it heard the ack
    await built.idle();
    await outbox.drained();
    expect(stops).toBe(1);
    expect(reports.map((r) => [r.phase, r.powerState, r.commandId])).toEqual([
      ["task_started", "running", stop.commandId],
      ["task_done", "shutdown", stop.commandId],
    ]);
  });

  it("reports a failed action with the power state it found and why", async () => {
    const instanceId = randomUUID();
    const driver: ComputeDriver = {
      ...fakeDriver(async () => undefined, []),
      resume: async () => {
        throw new Error("The instance's saved memory is missing on this host.");
      },
      powerState: async () => "shutdown",
    };
    const built = manager(driver, []);
    built.act({ commandId: randomUUID(), instanceId, operation: "resume" });
    await built.idle();
    await outbox.drained();
    expect(reports.at(-1)).toMatchObject({
      phase: "task_failed",
      powerState: "shutdown",
      message: "The instance's saved memory is missing on this host.",
    });
  });

  it("a rebuild: the guest and its disks go (its ports stay), then it is made again from the new spawn, reporting started as it spawns", async () => {
    const steps: string[] = [];
    let power: "running" | "shutdown" | "nostate" = "running";
    const driver: ComputeDriver = {
      ...fakeDriver(async () => void steps.push("disks made from the image"), []),
      discardGuest: async () => void (steps.push("guest discarded"), (power = "nostate")),
      plugNetwork: async () => (steps.push("ports plugged"), []),
      spawn: async () => void (steps.push("domain defined and started"), (power = "running")),
      powerOff: async () => void (steps.push("powered off"), (power = "shutdown")),
      destroy: async () => void steps.push("UNPLUGGED"),
      abortSpawn: async () => void steps.push("UNPLUGGED"),
      powerState: async () => power,
    };
    const built = manager(driver, []);
    const spawn = command();
    const instanceId = spawn.instance.id;
    const rebuild = { commandId: randomUUID(), instanceId, operation: "rebuild" as const, powerOn: true, spawn };
    built.act(rebuild);
    await built.idle();
    await outbox.drained();
    expect(steps).toEqual(["guest discarded", "ports plugged", "disks made from the image", "domain defined and started"]);
    expect(reports.map((r) => [r.phase, r.powerState])).toEqual([
      ["task_started", "nostate"],
      ["task_done", "running"],
    ]);

    // A SHUTOFF instance's rebuild leaves its guest off.
    steps.length = 0;
    reports.length = 0;
    built.act({ ...rebuild, commandId: randomUUID(), powerOn: false });
    await built.idle();
    await outbox.drained();
    expect(steps.at(-1)).toBe("powered off");
    expect(reports.at(-1)).toMatchObject({ phase: "task_done", powerState: "shutdown" });
  });

  it("a rebuild whose image cannot be fetched removes what it made, keeps the ports, and says why", async () => {
    const steps: string[] = [];
    const driver: ComputeDriver = {
      ...fakeDriver(async () => {
        throw new Error("Image cirros-2 could not be downloaded: 404.");
      }, []),
      discardGuest: async () => void steps.push("guest discarded"),
      destroy: async () => void steps.push("UNPLUGGED"),
      abortSpawn: async () => void steps.push("UNPLUGGED"),
      powerState: async () => "nostate",
    };
    const built = manager(driver, []);
    const spawn = command();
    built.act({ commandId: randomUUID(), instanceId: spawn.instance.id, operation: "rebuild", powerOn: true, spawn });
    await built.idle();
    await outbox.drained();
    expect(steps).toEqual(["guest discarded", "guest discarded"]);
    expect(reports.map((r) => [r.phase, r.powerState, r.message])).toEqual([
      ["task_failed", "nostate", "Image cirros-2 could not be downloaded: 404."],
    ]);
  });

  it("a resize on one host: powers off and keeps the disk aside, then defines the guest on the new flavor, grows its disk and starts it", async () => {
    const steps: string[] = [];
    let power: "running" | "shutdown" = "running";
    const driver: ComputeDriver = {
      ...fakeDriver(async () => undefined, []),
      powerOff: async () => void (steps.push("power off"), (power = "shutdown")),
      backupDisk: async () => void steps.push("disk kept aside"),
      growDisk: async (_id, rootGb) => void steps.push(`disk grown to ${rootGb} GB`),
      spawn: async (command) =>
        void (steps.push(`defined with ${command.instance.vcpus} vCPUs, ${command.instance.memoryMb} MB`), (power = "running")),
      powerState: async () => power,
    };
    const built = manager(driver, []);
    const spawn = command();
    const instanceId = spawn.instance.id;
    built.act({ commandId: randomUUID(), instanceId, operation: "resize", shutdownTimeoutSeconds: 1, sameHost: true });
    const finish = { ...spawn, instance: { ...spawn.instance, vcpus: 2, memoryMb: 2048, rootGb: 20 } };
    built.act({ commandId: randomUUID(), instanceId, operation: "resize_finish", sameHost: true, powerOn: true, spawn: finish });
    await built.idle();
    await outbox.drained();
    expect(steps).toEqual(["power off", "disk kept aside", "disk grown to 20 GB", "defined with 2 vCPUs, 2048 MB"]);
    expect(reports.filter((r) => r.phase === "task_done").map((r) => r.powerState)).toEqual(["shutdown", "running"]);
  });

  it("a live migration: the destination answers where to send the guest, the source reports progress, moves it and cleans up", async () => {
    const steps: string[] = [];
    const target = { libvirtUri: "qemu:///system?socket=/b/sock", migrateUri: "tcp://198.18.1.2", stateDir: "/b/state", simulated: false };
    const driver: ComputeDriver = {
      ...fakeDriver(async () => undefined, []),
      plugNetwork: async () => {
        steps.push("ports plugged");
        return [];
      },
      prepareLiveMigration: async (_command, { blockMigration }) => (steps.push(`prepared (block ${blockMigration})`), target),
      liveMigrate: async (_id, to, { onProgress }) => {
        steps.push(`sent to ${to.migrateUri}`);
        onProgress(40);
        onProgress(99);
      },
      destroy: async () => void steps.push("leftovers removed"),
    };
    const built = manager(driver, []);
    const spawn = command();
    const instanceId = spawn.instance.id;
    const prepare = randomUUID();
    built.act({ commandId: prepare, instanceId, operation: "live_migrate", blockMigration: true, paused: false, spawn });
    const move = randomUUID();
    built.act({ commandId: move, instanceId, operation: "live_migrate_source", blockMigration: true, target, ports: [] });
    built.act({ commandId: randomUUID(), instanceId, operation: "live_migrate_finish" });
    await built.idle();
    await outbox.drained();
    expect(steps).toEqual(["ports plugged", "prepared (block true)", "sent to tcp://198.18.1.2", "leftovers removed"]);
    expect(reports.find((r) => r.commandId === prepare && r.phase === "task_done")?.migrateData).toEqual(target);
    expect(reports.filter((r) => r.commandId === move).map((r) => [r.phase, r.progress])).toEqual([
      ["task_started", undefined],
      ["task_progress", 40],
      ["task_progress", 99],
      ["task_done", undefined],
    ]);
    expect(reports.at(-1)).toMatchObject({ phase: "task_done", powerState: "running" });
  });

  it("a live migration whose source cleanup fails still reports the move done; a guest missing at the destination fails the finish", async () => {
    let power: "running" | "nostate" = "running";
    const driver: ComputeDriver = {
      ...fakeDriver(async () => undefined, []),
      destroy: async () => {
        throw new Error("rm: permission denied");
      },
      powerState: async () => power,
    };
    const built = manager(driver, []);
    const instanceId = randomUUID();
    const target = { libvirtUri: "x", migrateUri: "simulated:", stateDir: "/s", simulated: true };
    built.act({ commandId: randomUUID(), instanceId, operation: "live_migrate_source", blockMigration: false, target, ports: [] });
    await built.idle();
    power = "nostate";
    built.act({ commandId: randomUUID(), instanceId, operation: "live_migrate_finish" });
    await built.idle();
    await outbox.drained();
    expect(reports.filter((r) => r.phase === "task_done" || r.phase === "task_failed").map((r) => [r.phase, r.message])).toEqual([
      ["task_done", undefined],
      ["task_failed", "the guest is not running on this host after its live migration (power state nostate)"],
    ]);
  });

  it("a move's finish that fails on a new host removes what it made there and says why; a stopped guest is left off", async () => {
    const aborted: string[] = [];
    const offs: string[] = [];
    const driver: ComputeDriver = {
      ...fakeDriver(async () => undefined, aborted),
      spawn: async () => {
        throw new Error("The virtual machine stopped while starting.");
      },
      powerState: async () => "nostate",
    };
    const built = manager(driver, []);
    const spawn = command();
    built.act({ commandId: randomUUID(), instanceId: spawn.instance.id, operation: "resize_finish", sameHost: false, powerOn: true, spawn });
    await built.idle();
    await outbox.drained();
    expect(aborted).toEqual([spawn.instance.id]);
    expect(reports.at(-1)).toMatchObject({ phase: "task_failed", message: "The virtual machine stopped while starting." });

    const off = manager({ ...fakeDriver(async () => undefined, []), powerOff: async (id) => void offs.push(id) }, []);
    const stopped = command();
    off.act({ commandId: randomUUID(), instanceId: stopped.instance.id, operation: "evacuate", sameHost: false, powerOn: false, spawn: stopped });
    await off.idle();
    expect(offs).toEqual([stopped.instance.id]);
  });

  it("power sync: reports every domain after a registration, then only those whose power changed with no command", async () => {
    const a = randomUUID();
    const b = randomUUID();
    const power: Record<string, "running" | "shutdown"> = { [a]: "running", [b]: "running" };
    const driver: ComputeDriver = {
      ...fakeDriver(async () => undefined, []),
      listDomainUuids: async () => [a, b],
      powerState: async (id) => power[id]!,
    };
    const built = manager(driver, []);
    expect(await built.syncPowerStates({ all: true })).toBe(2);
    expect(await built.syncPowerStates()).toBe(0);
    power[b] = "shutdown"; // the guest shut itself down
    expect(await built.syncPowerStates()).toBe(1);
    await outbox.drained();
    expect(reports.map((r) => [r.phase, r.instanceId, r.powerState])).toEqual([
      ["power_state", a, "running"],
      ["power_state", b, "running"],
      ["power_state", b, "shutdown"],
    ]);
  });

  it("a snapshot: the driver's copy is uploaded and then removed; an upload the server refuses fails the task with its reason, the copy removed too", async () => {
    const instanceId = randomUUID();
    const imageId = randomUUID();
    const copy = path.join(dir, `${imageId}.qcow2`);
    const driver: ComputeDriver = {
      ...fakeDriver(async () => undefined, []),
      snapshot: async () => {
        await writeFile(copy, "qcow2 bits");
        return { file: copy, simulated: false };
      },
    };
    const uploads: string[] = [];
    const ok = manager(driver, [], { upload: async (id, file, { simulated }) => void uploads.push(`${id} ${file} ${simulated}`) });
    ok.act({ commandId: randomUUID(), instanceId, operation: "snapshot", imageId, imageName: "snap" });
    await ok.idle();
    await outbox.drained();
    expect(uploads).toEqual([`${imageId} ${copy} false`]);
    expect(reports.map((r) => r.phase)).toEqual(["task_started", "task_done"]);
    await expect(access(copy)).rejects.toThrow();

    const refused = manager(driver, [], {
      upload: async () => {
        throw new Error("The image service refused the snapshot (HTTP 413): over image_size_total");
      },
    });
    refused.act({ commandId: randomUUID(), instanceId, operation: "snapshot", imageId, imageName: "snap" });
    await refused.idle();
    await outbox.drained();
    expect(reports.at(-1)).toMatchObject({ phase: "task_failed", powerState: "running", message: expect.stringContaining("HTTP 413") });
    await expect(access(copy)).rejects.toThrow();
  });
});
