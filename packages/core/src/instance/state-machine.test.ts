import { describe, expect, it } from "vitest";
import {
  BUILD_PHASES,
  INSTANCE_OPERATIONS,
  OPERATIONS,
  PHASES,
  TASK_STATE_LABELS,
  canTransition,
  checkOperation,
  displayStatus,
  operationOfTaskState,
  phaseOf,
  portStatusFor,
  stateFor,
  syncedVmState,
  taskStatesOf,
  vmStateForPower,
  type InstanceOperation,
  type TaskState,
  type VmState,
} from "./state-machine";

describe("instance state machine", () => {
  it("walks a build through every phase to active", () => {
    const path = [...BUILD_PHASES, "active"] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
  });

  it("refuses to go backwards, and to leave deleted", () => {
    expect(canTransition("spawning", "networking")).toBe(false);
    expect(canTransition("block_device_mapping", "networking")).toBe(false);
    expect(canTransition("active", "spawning")).toBe(false);
    expect(canTransition("deleted", "active")).toBe(false);
    expect(canTransition("error", "active")).toBe(false);
  });

  it("lets a build skip forward, since a later report means earlier phases are done", () => {
    expect(canTransition("networking", "spawning")).toBe(true);
    expect(canTransition("scheduling", "active")).toBe(true);
  });

  it("lets delete win from every live phase", () => {
    for (const phase of Object.keys(PHASES) as (keyof typeof PHASES)[]) {
      if (phase === "deleting" || phase === "deleted") continue;
      expect(canTransition(phase, "deleting")).toBe(true);
    }
  });

  it("allows a failed build to be rescheduled", () => {
    expect(canTransition("spawning", "scheduling")).toBe(true);
    expect(canTransition("active", "scheduling")).toBe(false);
  });

  it("maps rows to phases and Nova API statuses", () => {
    expect(phaseOf("building", "spawning")).toBe("spawning");
    expect(phaseOf("active", null)).toBe("active");
    expect(displayStatus("building", "networking")).toBe("BUILD");
    expect(displayStatus("active", "deleting")).toBe("DELETING");
    expect(displayStatus("error", null)).toBe("ERROR");
    expect(stateFor("deleting", "active")).toEqual({ vmState: "active", taskState: "deleting" });
    expect(stateFor("error", "building")).toEqual({ vmState: "error", taskState: null });
  });
});

describe("lifecycle operations (Nova's check_instance_state and task states)", () => {
  const target = (vmState: VmState, taskState: TaskState | null = null, hasHost = true) => ({ name: "web-1", vmState, taskState, hasHost });
  const VM: VmState[] = ["building", "active", "stopped", "paused", "suspended", "resized", "error", "deleted"];
  // Every task state there is (the labels' table is checked exhaustive by its type), and none.
  const TASKS: (TaskState | null)[] = [null, ...(Object.keys(TASK_STATE_LABELS) as TaskState[])];

  it("allows exactly Nova's source states for every operation, and refuses every other pair", () => {
    const allowed: Record<InstanceOperation, string[]> = {
      stop: ["active/-", "error/-"],
      start: ["stopped/-"],
      reboot: ["active/-"],
      reboot_hard: ["active", "stopped", "paused", "suspended", "error"].flatMap((vm) =>
        ["-", "rebooting", "reboot_pending", "reboot_started", "resuming", "rebooting_hard", "unpausing", "pausing", "suspending"].map(
          (t) => `${vm}/${t}`,
        ),
      ),
      pause: ["active/-"],
      unpause: ["paused/-"],
      suspend: ["active/-"],
      resume: ["suspended/-"],
      // Nova's resize and migrate: ACTIVE or SHUTOFF, idle; confirm and revert: RESIZED (VERIFY_RESIZE), idle;
      // evacuate: ACTIVE, SHUTOFF or ERROR (its host being down is the verb's check); the server's own steps: never.
      resize: ["active/-", "stopped/-"],
      migrate: ["active/-", "stopped/-"],
      resize_finish: [],
      confirm_resize: ["resized/-"],
      revert_resize: ["resized/-"],
      finish_revert: [],
      evacuate: ["active/-", "stopped/-", "error/-"],
      // Nova's snapshot: ACTIVE, SHUTOFF, PAUSED or SUSPENDED, idle.
      snapshot: ["active/-", "stopped/-", "paused/-", "suspended/-"],
      // Nova's rebuild: ACTIVE, SHUTOFF or ERROR, idle.
      rebuild: ["active/-", "stopped/-", "error/-"],
      // Nova's live migration: ACTIVE or PAUSED, idle; its later steps are the server's own: never.
      live_migrate: ["active/-", "paused/-"],
      live_migrate_source: [],
      live_migrate_finish: [],
      live_migrate_rollback: [],
    };
    for (const op of INSTANCE_OPERATIONS) {
      for (const vm of VM) {
        for (const task of TASKS) {
          const expected = allowed[op].includes(`${vm}/${task ?? "-"}`);
          expect(checkOperation(op, target(vm, task)).allowed, `${op} from ${vm}/${task}`).toBe(expected);
        }
      }
    }
  });

  it("says why in plain words", () => {
    const reason = (op: InstanceOperation, vm: VmState, task: TaskState | null = null, hasHost = true) => {
      const check = checkOperation(op, target(vm, task, hasHost));
      return check.allowed ? null : check.reason;
    };
    expect(reason("start", "active")).toBe("Instance web-1 is already running (ACTIVE): nothing to start.");
    expect(reason("stop", "stopped")).toBe("Instance web-1 is already stopped (SHUTOFF): nothing to stop.");
    expect(reason("pause", "paused")).toBe("Instance web-1 is already paused (PAUSED): nothing to pause.");
    expect(reason("unpause", "active")).toBe("Instance web-1 is not paused (ACTIVE): nothing to unpause.");
    expect(reason("resume", "stopped")).toBe("Instance web-1 is not suspended (SHUTOFF): nothing to resume.");
    expect(reason("start", "suspended")).toBe("Instance web-1 is suspended (SUSPENDED): resume it rather than start it.");
    expect(reason("stop", "active", "powering-on")).toBe(
      "Instance web-1 is busy (powering on, task powering-on): wait for it to finish, then try again.",
    );
    expect(reason("reboot", "active", "deleting")).toBe("Instance web-1 is being deleted.");
    expect(reason("stop", "building", "spawning")).toBe("Instance web-1 is still being built (BUILD): wait until it is ACTIVE.");
    expect(reason("stop", "error", null, false)).toBe("Instance web-1 has no host (its build never finished): there is nothing to stop.");
    expect(reason("reboot", "stopped")).toMatch(/soft reboot needs a running guest/);
    expect(reason("resize", "building", "scheduling")).toBe("Instance web-1 is still being built (BUILD): wait until it is ACTIVE.");
    expect(reason("resize", "paused")).toBe("Instance web-1 is PAUSED: only an ACTIVE or SHUTOFF instance can be resized.");
    expect(reason("migrate", "suspended")).toBe("Instance web-1 is SUSPENDED: only an ACTIVE or SHUTOFF instance can be migrated.");
    expect(reason("resize", "active", "resize_migrating")).toBe(
      "Instance web-1 is busy (resizing or migrating, task resize_migrating): wait for it to finish, then try again.",
    );
    expect(reason("resize", "resized")).toBe(
      "Instance web-1 is waiting for its resize or migration to be confirmed or reverted (VERIFY_RESIZE): confirm or revert it first.",
    );
    expect(reason("stop", "resized")).toBe(
      "Instance web-1 is waiting for its resize or migration to be confirmed or reverted (VERIFY_RESIZE): confirm or revert it first.",
    );
    expect(reason("confirm_resize", "active")).toBe(
      "Instance web-1 is not waiting for a resize or migration to be confirmed or reverted (ACTIVE): nothing to confirm.",
    );
    expect(reason("revert_resize", "stopped")).toBe(
      "Instance web-1 is not waiting for a resize or migration to be confirmed or reverted (SHUTOFF): nothing to revert.",
    );
    expect(reason("confirm_resize", "resized", "resize_reverting")).toBe(
      "Instance web-1 is busy (reverting resize or migration, task resize_reverting): wait for it to finish, then try again.",
    );
    expect(reason("evacuate", "paused")).toBe("Instance web-1 is PAUSED: it cannot be evacuated now.");
    expect(reason("resize_finish", "active")).toBe("The finish resize step is the server's own, not a request.");
    expect(reason("resize", "active", "deleting")).toBe("Instance web-1 is being deleted.");
  });

  it("walks the moves' task states in Nova's order (resize, then the destination's finish; revert, then the source's)", () => {
    expect(taskStatesOf("resize")).toEqual(["resize_prep", "resize_migrating"]);
    expect(taskStatesOf("migrate")).toEqual(["resize_prep", "resize_migrating"]);
    expect(taskStatesOf("resize_finish")).toEqual(["resize_migrated", "resize_finish"]);
    expect(taskStatesOf("confirm_resize")).toEqual(["resize_confirming"]);
    expect(taskStatesOf("revert_resize")).toEqual(["resize_reverting"]);
    expect(taskStatesOf("finish_revert")).toEqual(["resize_reverting"]);
    expect(taskStatesOf("evacuate")).toEqual(["rebuilding", "rebuild_spawning"]);
    expect(OPERATIONS.resize_finish.doneVmState).toBe("resized");
    expect(OPERATIONS.resize.action).toBe("resize");
    expect(OPERATIONS.migrate.action).toBe("migrate");
    expect(OPERATIONS.confirm_resize.action).toBe("confirmResize");
    expect(OPERATIONS.revert_resize.action).toBe("revertResize");
    expect(OPERATIONS.evacuate.event).toBe("compute_rebuild_instance");
    // No hard reboot interrupts a move (Nova's ALLOW_REBOOT has none of its states).
    for (const t of [
      "resize_prep",
      "resize_migrating",
      "resize_migrated",
      "resize_finish",
      "resize_reverting",
      "resize_confirming",
      "rebuilding",
    ] as const) {
      expect(checkOperation("reboot_hard", target("active", t)).allowed).toBe(false);
    }
  });

  it("walks a snapshot's task states in Nova's order, keeps the guest as it was, and refuses it in plain words", () => {
    expect(taskStatesOf("snapshot")).toEqual(["image_snapshot", "image_pending_upload", "image_uploading"]);
    expect(OPERATIONS.snapshot.action).toBe("createImage");
    expect(OPERATIONS.snapshot.doneVmState).toBe("unchanged");
    for (const t of taskStatesOf("snapshot")) expect(operationOfTaskState(t)).toBe("snapshot");
    const reason = (vm: VmState, task: TaskState | null = null) => {
      const check = checkOperation("snapshot", target(vm, task));
      return check.allowed ? null : check.reason;
    };
    expect(reason("building", "spawning")).toBe("Instance web-1 is still being built (BUILD): wait until it is ACTIVE.");
    expect(reason("error")).toBe("Instance web-1 is ERROR: only an ACTIVE, SHUTOFF, PAUSED or SUSPENDED instance can be snapshotted.");
    expect(reason("resized")).toMatch(/VERIFY_RESIZE\): confirm or revert it first/);
    expect(reason("active", "image_uploading")).toBe(
      "Instance web-1 is busy (snapshotting: uploading the image, task image_uploading): wait for it to finish, then try again.",
    );
    expect(reason("active", "deleting")).toBe("Instance web-1 is being deleted.");
    expect(reason("stopped", "powering-on")).toMatch(/^Instance web-1 is busy \(powering on/);
    // Nothing else starts while a snapshot runs, not even a hard reboot (Nova's ALLOW_REBOOT has none of its states).
    for (const op of INSTANCE_OPERATIONS) {
      for (const t of taskStatesOf("snapshot")) expect(checkOperation(op, target("active", t)).allowed, `${op} during ${t}`).toBe(false);
    }
    // The status stays the guest's (Nova's API shows ACTIVE with the task state beside it).
    expect(displayStatus("active", "image_uploading")).toBe("ACTIVE");
    expect(displayStatus("stopped", "image_snapshot")).toBe("SHUTOFF");
    expect(syncedVmState("active", "image_pending_upload", "shutdown")).toBeNull();
  });

  it("rebuilds as Nova does: rebuilding, rebuild_block_device_mapping, rebuild_spawning; refused in plain words otherwise", () => {
    expect(taskStatesOf("rebuild")).toEqual(["rebuilding", "rebuild_block_device_mapping", "rebuild_spawning"]);
    expect(OPERATIONS.rebuild.action).toBe("rebuild");
    expect(OPERATIONS.rebuild.event).toBe("compute_rebuild_instance");
    expect(operationOfTaskState("rebuild_block_device_mapping")).toBe("rebuild");
    for (const t of ["rebuilding", "rebuild_block_device_mapping", "rebuild_spawning"] as const) {
      expect(displayStatus("active", t)).toBe("REBUILD");
      expect(displayStatus("stopped", t)).toBe("REBUILD");
      expect(displayStatus("error", t)).toBe("REBUILD");
      // Nothing else begins during a rebuild, not even a hard reboot (Nova's ALLOW_REBOOT has none of its states) …
      for (const op of INSTANCE_OPERATIONS) expect(checkOperation(op, target("active", t)).allowed, `${op} during ${t}`).toBe(false);
      // … but delete wins over it.
      expect(canTransition(phaseOf("active", t), "deleting")).toBe(true);
    }
    const reason = (vm: VmState, task: TaskState | null = null, hasHost = true) => {
      const check = checkOperation("rebuild", target(vm, task, hasHost));
      return check.allowed ? null : check.reason;
    };
    expect(reason("active")).toBeNull();
    expect(reason("stopped")).toBeNull();
    expect(reason("error")).toBeNull();
    expect(reason("building", "spawning")).toBe("Instance web-1 is still being built (BUILD): wait until it is ACTIVE.");
    expect(reason("paused")).toBe("Instance web-1 is PAUSED: only an ACTIVE, SHUTOFF or ERROR instance can be rebuilt.");
    expect(reason("suspended")).toBe("Instance web-1 is SUSPENDED: only an ACTIVE, SHUTOFF or ERROR instance can be rebuilt.");
    expect(reason("resized")).toBe(
      "Instance web-1 is waiting for its resize or migration to be confirmed or reverted (VERIFY_RESIZE): confirm or revert it first.",
    );
    expect(reason("active", "powering-off")).toBe("Instance web-1 is busy (powering off, task powering-off): wait for it to finish, then try again.");
    expect(reason("active", "rebuild_spawning")).toBe(
      "Instance web-1 is busy (rebuilding: spawning, task rebuild_spawning): wait for it to finish, then try again.",
    );
    expect(reason("active", "deleting")).toBe("Instance web-1 is being deleted.");
    expect(reason("error", null, false)).toBe("Instance web-1 has no host (its build never finished): there is nothing to rebuild.");
  });

  it("live migration: from ACTIVE or PAUSED only, one task state throughout, refused in plain words otherwise", () => {
    const reason = (op: InstanceOperation, vm: VmState, task: TaskState | null = null) => {
      const check = checkOperation(op, target(vm, task));
      return check.allowed ? null : check.reason;
    };
    expect(reason("live_migrate", "active")).toBeNull();
    expect(reason("live_migrate", "paused")).toBeNull();
    expect(reason("live_migrate", "stopped")).toBe(
      "Instance web-1 is SHUTOFF: only an ACTIVE or PAUSED instance can be live-migrated (a SHUTOFF one can be migrated cold).",
    );
    expect(reason("live_migrate", "suspended")).toBe(
      "Instance web-1 is SUSPENDED: only an ACTIVE or PAUSED instance can be live-migrated (a SHUTOFF one can be migrated cold).",
    );
    expect(reason("live_migrate", "resized")).toBe(
      "Instance web-1 is waiting for its resize or migration to be confirmed or reverted (VERIFY_RESIZE): confirm or revert it first.",
    );
    expect(reason("live_migrate", "active", "migrating")).toBe(
      "Instance web-1 is busy (live migrating, task migrating): wait for it to finish, then try again.",
    );
    expect(reason("live_migrate", "active", "resize_prep")).toMatch(/is busy/);
    // While it runs, nothing else may begin (not even a hard reboot: Nova's ALLOW_REBOOT has no migrating), delete still wins.
    for (const op of INSTANCE_OPERATIONS) expect(checkOperation(op, target("active", "migrating")).allowed, op).toBe(false);
    expect(canTransition(phaseOf("active", "migrating"), "deleting")).toBe(true);
    expect(reason("live_migrate_source", "active")).toBe("The live migration step is the server's own, not a request.");
    expect(reason("live_migrate_finish", "active")).toBe("The finish live migration step is the server's own, not a request.");
    for (const op of ["live_migrate", "live_migrate_source", "live_migrate_finish", "live_migrate_rollback"] as const) {
      expect(taskStatesOf(op)).toEqual(["migrating"]);
      expect(OPERATIONS[op].action).toBe("live-migration");
    }
    expect(operationOfTaskState("migrating")).toBe("live_migrate");
    expect(displayStatus("active", "migrating")).toBe("MIGRATING");
    expect(displayStatus("paused", "migrating")).toBe("MIGRATING");
    expect(displayStatus("paused", null)).toBe("PAUSED");
    // The power sync leaves a migrating instance alone (its guest is between hosts).
    expect(syncedVmState("active", "migrating", "nostate")).toBeNull();
    expect(syncedVmState("active", "migrating", "shutdown")).toBeNull();
  });

  it("shows Nova's statuses for the moves", () => {
    expect(displayStatus("active", "resize_prep")).toBe("RESIZE");
    expect(displayStatus("active", "resize_finish")).toBe("RESIZE");
    expect(displayStatus("stopped", "resize_migrating")).toBe("RESIZE");
    expect(displayStatus("resized", null)).toBe("VERIFY_RESIZE");
    expect(displayStatus("resized", "resize_reverting")).toBe("REVERT_RESIZE");
    expect(displayStatus("resized", "resize_confirming")).toBe("VERIFY_RESIZE");
    expect(displayStatus("active", "rebuilding")).toBe("REBUILD");
    expect(displayStatus("error", "rebuild_spawning")).toBe("REBUILD");
    expect(phaseOf("resized", null)).toBe("active");
    expect(syncedVmState("resized", null, "shutdown")).toBeNull();
    expect(portStatusFor("resized")).toBe("ACTIVE");
  });

  it("walks each operation's task states in Nova's order and names the operation of each", () => {
    expect(taskStatesOf("stop")).toEqual(["powering-off"]);
    expect(taskStatesOf("start")).toEqual(["powering-on"]);
    expect(taskStatesOf("reboot")).toEqual(["rebooting", "reboot_pending", "reboot_started"]);
    expect(taskStatesOf("reboot_hard")).toEqual(["rebooting_hard", "reboot_pending_hard", "reboot_started_hard"]);
    expect(taskStatesOf("suspend")).toEqual(["suspending"]);
    // Each task state names an operation it belongs to (a migrate's are a resize's, a revert's last step's the revert's).
    for (const op of INSTANCE_OPERATIONS) for (const t of taskStatesOf(op)) expect(taskStatesOf(operationOfTaskState(t)!)).toContain(t);
    expect(operationOfTaskState("resize_prep")).toBe("resize");
    expect(operationOfTaskState("spawning")).toBeNull();
    expect(OPERATIONS.stop.doneVmState).toBe("stopped");
    expect(OPERATIONS.suspend.doneVmState).toBe("suspended");
    expect(OPERATIONS.reboot_hard.doneVmState).toBe("active");
  });

  it("lets delete win over every action task, and a failed action go to error", () => {
    for (const op of INSTANCE_OPERATIONS) {
      for (const task of taskStatesOf(op)) {
        expect(canTransition(phaseOf("active", task), "deleting")).toBe(true);
        expect(canTransition(phaseOf("active", task), "error")).toBe(true);
        // A late build report cannot move an instance that is doing something else.
        expect(canTransition(phaseOf("active", task), "spawning")).toBe(false);
      }
    }
  });

  it("shows Nova's statuses for the new states", () => {
    expect(displayStatus("active", "rebooting")).toBe("REBOOT");
    expect(displayStatus("active", "reboot_started_hard")).toBe("HARD_REBOOT");
    expect(displayStatus("stopped", "rebooting_hard")).toBe("SHUTOFF");
    expect(displayStatus("active", "powering-off")).toBe("ACTIVE");
    expect(displayStatus("suspended", null)).toBe("SUSPENDED");
    expect(TASK_STATE_LABELS["powering-off"]).toBe("Powering off…");
  });

  it("syncs power as Nova does, taking the host's word for an idle settled instance", () => {
    expect(syncedVmState("active", null, "shutdown")).toBe("stopped");
    expect(syncedVmState("active", null, "crashed")).toBe("stopped");
    expect(syncedVmState("paused", null, "shutdown")).toBe("stopped");
    expect(syncedVmState("stopped", null, "running")).toBe("active");
    expect(syncedVmState("active", null, "suspended")).toBe("suspended");
    expect(syncedVmState("active", null, "running")).toBeNull();
    expect(syncedVmState("active", null, "nostate")).toBeNull();
    expect(syncedVmState("active", "powering-off", "shutdown")).toBeNull();
    expect(syncedVmState("error", null, "running")).toBeNull();
    expect(syncedVmState("building", "spawning", "running")).toBeNull();
    expect(vmStateForPower("nostate")).toBeNull();
    expect(portStatusFor("paused")).toBe("ACTIVE");
    expect(portStatusFor("stopped")).toBe("DOWN");
    expect(portStatusFor("suspended")).toBe("DOWN");
  });
});
