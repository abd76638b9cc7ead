/**
 * The instance lifecycle as Nova draws it, one "phase" per (vm_state, task_state) pair:
 *
 *   scheduling ─▶ networking ─▶ block_device_mapping ─▶ spawning ─▶ active
 *        │             │                 │                  │          │
 *        └─────────────┴────────┬────────┴──────────────────┘          │
 *                               ▼                                      │
 *                             error ◀──────────────────────────────────┘ (host lost)
 *   any phase ─▶ deleting ─▶ deleted            (delete always wins)
 *   networking / block_device_mapping / spawning ─▶ scheduling   (reschedule)
 *
 * A build may skip forward (networking ─▶ spawning, say): agent reports can be lost or arrive
 * out of order, and a later phase means the earlier ones are done. It never goes backwards.
 */
import type { ActionTaskState, BuildTaskState, InstancePhase, TaskState, VmState } from "./types";

export type { ActionTaskState, BuildTaskState, InstancePhase, PowerState, TaskState, VmState } from "./types";
export * from "./operations";

const BUILD_TASK_STATES: Record<BuildTaskState, true> = {
  scheduling: true,
  networking: true,
  block_device_mapping: true,
  spawning: true,
  deleting: true,
};

/** Whether `taskState` belongs to a build or a delete (not to an action on an existing instance). */
export function isBuildTaskState(taskState: TaskState): taskState is BuildTaskState {
  return taskState in BUILD_TASK_STATES;
}

interface PhaseSpec {
  vmState: VmState;
  taskState: TaskState | null;
  next: readonly InstancePhase[];
}

export const PHASES: Record<InstancePhase, PhaseSpec> = {
  scheduling: {
    vmState: "building",
    taskState: "scheduling",

    next: ["networking", "block_device_mapping", "spawning", "active", "error", "deleting", "scheduling"],
  },
  networking: {
    vmState: "building",
    taskState: "networking",

    next: ["block_device_mapping", "spawning", "active", "error", "deleting", "scheduling"],
  },
  block_device_mapping: {
    vmState: "building",
    taskState: "block_device_mapping",

    next: ["spawning", "active", "error", "deleting", "scheduling"],
  },
  spawning: { vmState: "building", taskState: "spawning", next: ["active", "error", "deleting", "scheduling"] },
  active: { vmState: "active", taskState: null, next: ["error", "deleting"] },
  error: { vmState: "error", taskState: null, next: ["deleting"] },
  deleting: { vmState: "building", taskState: "deleting", next: ["deleted"] },
  deleted: { vmState: "deleted", taskState: null, next: [] },
};

/** Phases that appear, in order, on the progress view of a build. */
export const BUILD_PHASES = ["scheduling", "networking", "block_device_mapping", "spawning"] as const;

export function canTransition(from: InstancePhase, to: InstancePhase): boolean {
  return PHASES[from].next.includes(to);
}

/**
 * The phase an instance row is in. `deleting` keeps the vm_state it had. An instance that
 * finished building is in phase `active` whatever its power (stopped, paused, suspended) and
 * whatever action runs on it: those are ./operations' business; here they may only be deleted
 * or fail.
 */
export function phaseOf(vmState: VmState, taskState: TaskState | null): InstancePhase {
  if (taskState && isBuildTaskState(taskState)) return taskState;
  switch (vmState) {
    case "building":
      return "scheduling";
    case "active":
    case "stopped":
    case "paused":
    case "suspended":
    case "resized":
      return "active";
    case "error":
      return "error";
    case "deleted":
      return "deleted";
    default: {
      const unreachable: never = vmState;
      throw new Error(`unknown vm_state ${String(unreachable)}`);
    }
  }
}

/** The columns to write when an instance enters `phase`. */
export function stateFor(phase: InstancePhase, current: VmState): { vmState: VmState; taskState: TaskState | null } {
  const spec = PHASES[phase];
  return { vmState: phase === "deleting" ? current : spec.vmState, taskState: spec.taskState };
}

/** The task states Nova's API shows as a status of their own on an ACTIVE instance (its _STATE_MAP). */
const ACTIVE_TASK_STATUS: Partial<Record<ActionTaskState, string>> = {
  rebooting: "REBOOT",
  reboot_pending: "REBOOT",
  reboot_started: "REBOOT",
  rebooting_hard: "HARD_REBOOT",
  reboot_pending_hard: "HARD_REBOOT",
  reboot_started_hard: "HARD_REBOOT",
  resize_prep: "RESIZE",
  resize_migrating: "RESIZE",
  resize_migrated: "RESIZE",
  resize_finish: "RESIZE",
  rebuilding: "REBUILD",
  rebuild_block_device_mapping: "REBUILD",
  rebuild_spawning: "REBUILD",
  migrating: "MIGRATING",
};

/** The same for a SHUTOFF instance (Nova's _STATE_MAP: a stopped instance being resized or rebuilt). */
const STOPPED_TASK_STATUS: Partial<Record<ActionTaskState, string>> = {
  resize_prep: "RESIZE",
  resize_migrating: "RESIZE",
  resize_migrated: "RESIZE",
  resize_finish: "RESIZE",
  rebuilding: "REBUILD",
  rebuild_block_device_mapping: "REBUILD",
  rebuild_spawning: "REBUILD",
};

/** Nova's API status for a (vm_state, task_state) pair, as the console shows it. */
export function displayStatus(vmState: VmState, taskState: TaskState | null): string {
  if (taskState === "deleting") return "DELETING";
  switch (vmState) {
    case "building":
      return "BUILD";
    case "active":
      return (taskState && !isBuildTaskState(taskState) && ACTIVE_TASK_STATUS[taskState]) || "ACTIVE";
    case "stopped":
      return (taskState && !isBuildTaskState(taskState) && STOPPED_TASK_STATUS[taskState]) || "SHUTOFF";
    case "paused":
      return taskState === "migrating" ? "MIGRATING" : "PAUSED";
    case "suspended":
      return "SUSPENDED";
    case "resized":
      return taskState === "resize_reverting" ? "REVERT_RESIZE" : "VERIFY_RESIZE";
    case "error":
      return taskState === "rebuilding" || taskState === "rebuild_block_device_mapping" || taskState === "rebuild_spawning" ? "REBUILD" : "ERROR";
    case "deleted":
      return "DELETED";
    default: {
      const unreachable: never = vmState;
      return String(unreachable);
    }
  }
}
