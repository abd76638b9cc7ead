/**
 * The lifecycle actions on an instance that finished building, as Nova's compute API allows
 * them (`check_instance_state`) and sets their task states (`instance.save(expected_task_state=…)`):
 *
 *   ACTIVE ─stop─▶ powering-off ─────────────────────────────────────▶ STOPPED
 *   STOPPED ─start─▶ powering-on ────────────────────────────────────▶ ACTIVE
 *   ACTIVE ─reboot─▶ rebooting ─▶ reboot_pending ─▶ reboot_started ──▶ ACTIVE
 *   ACTIVE|STOPPED|PAUSED|SUSPENDED|ERROR
 *          ─reboot HARD─▶ rebooting_hard ─▶ reboot_pending_hard ─▶ reboot_started_hard ─▶ ACTIVE
 *   ACTIVE ─pause─▶ pausing ─────────────────────────────────────────▶ PAUSED
 *   PAUSED ─unpause─▶ unpausing ─────────────────────────────────────▶ ACTIVE
 *   ACTIVE ─suspend─▶ suspending ────────────────────────────────────▶ SUSPENDED
 *   SUSPENDED ─resume─▶ resuming ────────────────────────────────────▶ ACTIVE
 *
 *   Moves (a `migrations` row each; ../compute/actions/move.ts):
 *   ACTIVE|STOPPED ─resize / migrate─▶ resize_prep ─▶ resize_migrating   (source: guest powered off)
 *        ─▶ resize_finish step: resize_migrated ─▶ resize_finish          (destination: guest on the new flavor)
 *        ─▶ RESIZED (VERIFY_RESIZE)
 *   RESIZED ─confirm_resize─▶ resize_confirming (source cleaned up) ─────▶ ACTIVE|STOPPED (as before the move)
 *   RESIZED ─revert_resize─▶ resize_reverting (destination undone)
 *        ─▶ finish_revert step: resize_reverting (source: guest back) ───▶ ACTIVE|STOPPED (old flavor)
 *   ACTIVE|STOPPED|ERROR on a down host ─evacuate─▶ rebuilding ─▶ rebuild_spawning (another host, from the image)
 *        ─▶ ACTIVE|STOPPED
 *
 *   Live migration (Nova's os-migrateLive; ../compute/actions/live-migration.ts), task state migrating throughout:
 *   ACTIVE|PAUSED ─live_migrate─▶ destination prepares (ports plugged, disk overlay made)
 *        ─▶ live_migrate_source step: the source moves the running guest (libvirt migrateToURI3)
 *        ─▶ live_migrate_finish step: the destination confirms it runs; the host switches ─▶ as it was
 *   A live migration that fails leaves the instance on its source as it was, with a fault (the
 *   destination undoes what it prepared: live_migrate_rollback).
 *
 *   Rebuild (Nova's rebuild: same host, same ports, a fresh root disk from a new or the same image):
 *   ACTIVE|STOPPED|ERROR ─rebuild─▶ rebuilding ─▶ rebuild_block_device_mapping (guest destroyed, disks made)
 *        ─▶ rebuild_spawning ─▶ ACTIVE (STOPPED stays STOPPED, as Nova keeps a stopped instance's power state)
 *   A rebuild that fails, whatever the reason, ends in ERROR with the fault (as Nova's): the
 *   guest may be half rebuilt, so the state it had no longer holds.
 *   A move that fails before RESIZED leaves the instance on its source host as it was, with a fault.
 *
 *   Snapshot (Nova's createImage; ../compute/actions/snapshot-instance.ts), the guest's power kept:
 *   ACTIVE|STOPPED|PAUSED|SUSPENDED ─snapshot─▶ image_snapshot (the image queued)
 *        ─▶ image_pending_upload (host began: guest saved, disk copied) ─▶ image_uploading (its bits arrive)
 *        ─▶ as it was (the image active); a failure deletes the image and leaves a fault.
 *
 *   The first task state is written by the verb, the "pending" one when the host acknowledges
 *   the command, the "started" one when it reports it began; its last report ends the task.
 *   A task that fails, or gets no report in time, ends in the vm_state of the power state the
 *   host reports (`vmStateForPower`), or the one it had before, with a fault: never in a task.
 *   A hard reboot may interrupt the tasks Nova lets it (ALLOW_REBOOT); nothing else may start
 *   while a task runs, and delete wins over all of them.
 *
 * Pure: the verbs, the report handling, the sweepers and the console (to disable its buttons
 * with the reason) all read this one table. A new action adds an operation here, a verb, an
 * agent command variant and a driver method (packages/core/README.md, "Actions on an instance").
 */
import type { ActionTaskState, PowerState, TaskState, VmState } from "./types";

export type InstanceOperation =
  | "stop"
  | "start"
  | "reboot"
  | "reboot_hard"
  | "pause"
  | "unpause"
  | "suspend"
  | "resume"
  | "resize"
  | "migrate"
  | "resize_finish"
  | "confirm_resize"
  | "revert_resize"
  | "finish_revert"
  | "evacuate"
  | "snapshot"
  | "rebuild"
  | "live_migrate"
  | "live_migrate_source"
  | "live_migrate_finish"
  | "live_migrate_rollback";
export const INSTANCE_OPERATIONS = [
  "stop",
  "start",
  "reboot",
  "reboot_hard",
  "pause",
  "unpause",
  "suspend",
  "resume",
  "resize",
  "migrate",
  "resize_finish",
  "confirm_resize",
  "revert_resize",
  "finish_revert",
  "evacuate",
  "snapshot",
  "rebuild",
  "live_migrate",
  "live_migrate_source",
  "live_migrate_finish",
  "live_migrate_rollback",
] as const satisfies readonly InstanceOperation[];

/**
 * The steps a move takes after its first one, begun by the server rather than a user (the
 * destination's half of a resize, the source's half of a revert): never checked against a
 * user's request, never offered by the console.
 */
export const INTERNAL_STEPS: readonly InstanceOperation[] = [
  "resize_finish",
  "finish_revert",
  "live_migrate_source",
  "live_migrate_finish",
  "live_migrate_rollback",
];

/** The name an operation is recorded under in the instance action log (Nova's instance_actions). */
export type InstanceActionName =
  | "stop"
  | "start"
  | "reboot"
  | "pause"
  | "unpause"
  | "suspend"
  | "resume"
  | "resize"
  | "migrate"
  | "confirmResize"
  | "revertResize"
  | "evacuate"
  | "createImage"
  | "rebuild"
  | "live-migration";

export interface OperationSpec {
  action: InstanceActionName;
  /** The compute event of the action (Nova's wrap_instance_event name). */
  event: string;
  /** For buttons and menus. */
  label: string;
  /** In plain-words refusals: "nothing to stop", "cannot be stopped". */
  verb: string;
  participle: string;
  /** Nova's check_instance_state. */
  fromVmStates: readonly VmState[];
  fromTaskStates: readonly (TaskState | null)[];
  /** Written by the verb, on the host's acknowledgement, and on its "started" report. */
  taskState: ActionTaskState;
  acceptedTaskState: ActionTaskState | null;
  startedTaskState: ActionTaskState | null;
  /** Where a successful action leaves the instance; `unchanged`: as it was before (a snapshot). */
  doneVmState: VmState | "unchanged";
  /** The console asks for confirmation first. */
  destructive: boolean;
}

/** Nova's task_states.ALLOW_REBOOT: the tasks a hard reboot may interrupt. */
export const ALLOW_HARD_REBOOT_TASKS: readonly (TaskState | null)[] = [
  null,
  "rebooting",
  "reboot_pending",
  "reboot_started",
  "resuming",
  "rebooting_hard",
  "unpausing",
  "pausing",
  "suspending",
];

/** Nova's live migration: a running or paused guest (its memory is what moves). */
const LIVE_MOVABLE: readonly VmState[] = ["active", "paused"];

/** Moves begin from a running or stopped guest (Nova's resize and migrate: ACTIVE, STOPPED). */
const MOVABLE: readonly VmState[] = ["active", "stopped"];
const NEVER: readonly VmState[] = [];

const IDLE: readonly (TaskState | null)[] = [null];

export const OPERATIONS: Record<InstanceOperation, OperationSpec> = {
  stop: {
    action: "stop",
    event: "compute_stop_instance",
    label: "Stop",
    verb: "stop",
    participle: "stopped",
    fromVmStates: ["active", "error"],
    fromTaskStates: IDLE,
    taskState: "powering-off",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "stopped",
    destructive: true,
  },
  start: {
    action: "start",
    event: "compute_start_instance",
    label: "Start",
    verb: "start",
    participle: "started",
    fromVmStates: ["stopped"],
    fromTaskStates: IDLE,
    taskState: "powering-on",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "active",
    destructive: false,
  },
  reboot: {
    action: "reboot",
    event: "compute_reboot_instance",
    label: "Soft reboot",
    verb: "reboot",
    participle: "rebooted",
    fromVmStates: ["active"],
    fromTaskStates: IDLE,
    taskState: "rebooting",
    acceptedTaskState: "reboot_pending",
    startedTaskState: "reboot_started",
    doneVmState: "active",
    destructive: false,
  },
  reboot_hard: {
    action: "reboot",
    event: "compute_reboot_instance",
    label: "Hard reboot",
    verb: "hard reboot",
    participle: "hard rebooted",
    fromVmStates: ["active", "stopped", "paused", "suspended", "error"],
    fromTaskStates: ALLOW_HARD_REBOOT_TASKS,
    taskState: "rebooting_hard",
    acceptedTaskState: "reboot_pending_hard",
    startedTaskState: "reboot_started_hard",
    doneVmState: "active",
    destructive: true,
  },
  pause: {
    action: "pause",
    event: "compute_pause_instance",
    label: "Pause",
    verb: "pause",
    participle: "paused",
    fromVmStates: ["active"],
    fromTaskStates: IDLE,
    taskState: "pausing",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "paused",
    destructive: false,
  },
  unpause: {
    action: "unpause",
    event: "compute_unpause_instance",
    label: "Unpause",
    verb: "unpause",
    participle: "unpaused",
    fromVmStates: ["paused"],
    fromTaskStates: IDLE,
    taskState: "unpausing",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "active",
    destructive: false,
  },
  suspend: {
    action: "suspend",
    event: "compute_suspend_instance",
    label: "Suspend",
    verb: "suspend",
    participle: "suspended",
    fromVmStates: ["active"],
    fromTaskStates: IDLE,
    taskState: "suspending",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "suspended",
    destructive: false,
  },
  resume: {
    action: "resume",
    event: "compute_resume_instance",
    label: "Resume",
    verb: "resume",
    participle: "resumed",
    fromVmStates: ["suspended"],
    fromTaskStates: IDLE,
    taskState: "resuming",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "active",
    destructive: false,
  },
  resize: {
    action: "resize",
    event: "compute_resize_instance",
    label: "Resize",
    verb: "resize",
    participle: "resized",
    fromVmStates: MOVABLE,
    fromTaskStates: IDLE,
    taskState: "resize_prep",
    acceptedTaskState: "resize_migrating",
    startedTaskState: null,
    doneVmState: "resized",
    destructive: false,
  },
  migrate: {
    action: "migrate",
    event: "compute_resize_instance",
    label: "Migrate",
    verb: "migrate",
    participle: "migrated",
    fromVmStates: MOVABLE,
    fromTaskStates: IDLE,
    taskState: "resize_prep",
    acceptedTaskState: "resize_migrating",
    startedTaskState: null,
    doneVmState: "resized",
    destructive: false,
  },
  resize_finish: {
    action: "resize",
    event: "compute_finish_resize",
    label: "Finish resize",
    verb: "finish the resize of",
    participle: "resized",
    fromVmStates: NEVER,
    fromTaskStates: IDLE,
    taskState: "resize_migrated",
    acceptedTaskState: "resize_finish",
    startedTaskState: null,
    doneVmState: "resized",
    destructive: false,
  },
  confirm_resize: {
    action: "confirmResize",
    event: "compute_confirm_resize",
    label: "Confirm resize",
    verb: "confirm",
    participle: "confirmed",
    fromVmStates: ["resized"],
    fromTaskStates: IDLE,
    taskState: "resize_confirming",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "active",
    destructive: false,
  },
  revert_resize: {
    action: "revertResize",
    event: "compute_revert_resize",
    label: "Revert resize",
    verb: "revert",
    participle: "reverted",
    fromVmStates: ["resized"],
    fromTaskStates: IDLE,
    taskState: "resize_reverting",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "active",
    destructive: true,
  },
  finish_revert: {
    action: "revertResize",
    event: "compute_finish_revert_resize",
    label: "Finish revert",
    verb: "finish the revert of",
    participle: "reverted",
    fromVmStates: NEVER,
    fromTaskStates: IDLE,
    taskState: "resize_reverting",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "active",
    destructive: false,
  },
  evacuate: {
    action: "evacuate",
    event: "compute_rebuild_instance",
    label: "Evacuate",
    verb: "evacuate",
    participle: "evacuated",
    fromVmStates: ["active", "stopped", "error"],
    fromTaskStates: IDLE,
    taskState: "rebuilding",
    acceptedTaskState: "rebuild_spawning",
    startedTaskState: null,
    doneVmState: "active",
    destructive: false,
  },
  snapshot: {
    action: "createImage",
    event: "compute_snapshot_instance",
    label: "Create snapshot",
    verb: "snapshot",
    participle: "snapshotted",
    // Nova's snapshot: ACTIVE, STOPPED, PAUSED, SUSPENDED.
    fromVmStates: ["active", "stopped", "paused", "suspended"],
    fromTaskStates: IDLE,
    taskState: "image_snapshot",
    acceptedTaskState: null,
    // The host began (guest saved, disk being copied); the server writes image_uploading when the bits arrive.
    startedTaskState: "image_pending_upload",
    doneVmState: "unchanged",
    destructive: false,
  },
  // The host acknowledges, destroys the guest and makes its disks (rebuild_block_device_mapping),
  // then reports it began spawning (rebuild_spawning). A stopped instance stays stopped (the
  // verb's `powerOn`, ../compute/actions/task-reports).
  rebuild: {
    action: "rebuild",
    event: "compute_rebuild_instance",
    label: "Rebuild instance",
    verb: "rebuild",
    participle: "rebuilt",
    fromVmStates: ["active", "stopped", "error"],
    fromTaskStates: IDLE,
    taskState: "rebuilding",
    acceptedTaskState: "rebuild_block_device_mapping",
    startedTaskState: "rebuild_spawning",
    doneVmState: "active",
    destructive: true,
  },
  // Nova's live migration (../compute/actions/live-migration.ts), one task state throughout:
  // the destination prepares (pre_live_migration), the source moves the running guest to it
  // (live_migration), the destination confirms it runs there (post_live_migration_at_destination);
  // a failed move of the guest has the destination undo what it prepared (rollback).
  live_migrate: {
    action: "live-migration",
    event: "compute_pre_live_migration",
    label: "Live migrate",
    verb: "live-migrate",
    participle: "live-migrated",
    fromVmStates: LIVE_MOVABLE,
    fromTaskStates: IDLE,
    taskState: "migrating",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "unchanged",
    destructive: false,
  },
  live_migrate_source: {
    action: "live-migration",
    event: "compute_live_migration",
    label: "Live migration",
    verb: "live-migrate",
    participle: "live-migrated",
    fromVmStates: NEVER,
    fromTaskStates: IDLE,
    taskState: "migrating",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "unchanged",
    destructive: false,
  },
  live_migrate_finish: {
    action: "live-migration",
    event: "compute_post_live_migration_at_destination",
    label: "Finish live migration",
    verb: "finish the live migration of",
    participle: "live-migrated",
    fromVmStates: NEVER,
    fromTaskStates: IDLE,
    taskState: "migrating",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "unchanged",
    destructive: false,
  },
  live_migrate_rollback: {
    action: "live-migration",
    event: "compute_rollback_live_migration_at_destination",
    label: "Roll back live migration",
    verb: "roll back the live migration of",
    participle: "rolled back",
    fromVmStates: NEVER,
    fromTaskStates: IDLE,
    taskState: "migrating",
    acceptedTaskState: null,
    startedTaskState: null,
    doneVmState: "unchanged",
    destructive: false,
  },
};

/** What the console shows while a task runs ("Powering off…"). */
export const TASK_STATE_LABELS: Record<TaskState, string> = {
  scheduling: "Scheduling…",
  networking: "Networking…",
  block_device_mapping: "Preparing disks…",
  spawning: "Spawning…",
  deleting: "Deleting…",
  "powering-off": "Powering off…",
  "powering-on": "Powering on…",
  rebooting: "Rebooting…",
  reboot_pending: "Reboot pending…",
  reboot_started: "Rebooting…",
  rebooting_hard: "Hard rebooting…",
  reboot_pending_hard: "Hard reboot pending…",
  reboot_started_hard: "Hard rebooting…",
  pausing: "Pausing…",
  unpausing: "Unpausing…",
  suspending: "Suspending…",
  resuming: "Resuming…",
  resize_prep: "Preparing resize…",
  resize_migrating: "Resizing or migrating…",
  resize_migrated: "Resized or migrated…",
  resize_finish: "Finishing resize or migration…",
  resize_reverting: "Reverting resize or migration…",
  resize_confirming: "Confirming resize or migration…",
  rebuilding: "Rebuilding…",
  rebuild_block_device_mapping: "Rebuilding: preparing disks…",
  rebuild_spawning: "Rebuilding: spawning…",
  image_snapshot: "Snapshotting…",
  image_pending_upload: "Snapshotting: copying the disk…",
  image_uploading: "Snapshotting: uploading the image…",
  migrating: "Live migrating…",
};

/**
 * Task states an operation's task moves to that none of its spec's steps writes: a snapshot's
 * image_uploading, written by the server when the host's upload of the bits begins.
 */
const LATER_TASK_STATES: Partial<Record<InstanceOperation, readonly ActionTaskState[]>> = { snapshot: ["image_uploading"] };

/** The task states an operation moves through, in order. */
export function taskStatesOf(operation: InstanceOperation): ActionTaskState[] {
  const spec = OPERATIONS[operation];
  return [spec.taskState, spec.acceptedTaskState, spec.startedTaskState, ...(LATER_TASK_STATES[operation] ?? [])].filter(
    (t): t is ActionTaskState => t !== null,
  );
}

/** The operation whose task `taskState` is, if any (a soft and a hard reboot are told apart). */
export function operationOfTaskState(taskState: TaskState | null): InstanceOperation | null {
  if (!taskState) return null;
  return INSTANCE_OPERATIONS.find((op) => taskStatesOf(op).includes(taskState as ActionTaskState)) ?? null;
}

/** An instance as far as the rules need it. */
export interface OperationTarget {
  name: string;
  vmState: VmState;
  taskState: TaskState | null;
  /** Whether it has a host to act on (an instance whose build failed has none). */
  hasHost: boolean;
}

export type OperationCheck = { allowed: true } | { allowed: false; reason: string };

const STATUS: Record<VmState, string> = {
  building: "BUILD",
  active: "ACTIVE",
  stopped: "SHUTOFF",
  paused: "PAUSED",
  suspended: "SUSPENDED",
  resized: "VERIFY_RESIZE",
  error: "ERROR",
  deleted: "DELETED",
};

/**
 * Whether `operation` may begin on `target` now, and if not why, in plain words (the 409
 * conflict's message, and the console's tooltip on the disabled control).
 */
export function checkOperation(operation: InstanceOperation, target: OperationTarget): OperationCheck {
  const spec = OPERATIONS[operation];
  const { name, vmState, taskState } = target;
  const status = STATUS[vmState];
  const refuse = (reason: string): OperationCheck => ({ allowed: false, reason });
  if (taskState === "deleting" || vmState === "deleted") return refuse(`Instance ${name} is being deleted.`);
  if (vmState === "building") return refuse(`Instance ${name} is still being built (BUILD): wait until it is ACTIVE.`);
  if (!spec.fromTaskStates.includes(taskState)) {
    const doing = TASK_STATE_LABELS[taskState!].replace(/…$/, "").toLowerCase();
    return refuse(`Instance ${name} is busy (${doing}, task ${taskState}): wait for it to finish, then try again.`);
  }
  if (!spec.fromVmStates.includes(vmState)) {
    if (INTERNAL_STEPS.includes(operation)) return refuse(`The ${spec.label.toLowerCase()} step is the server's own, not a request.`);
    if (operation === "confirm_resize" || operation === "revert_resize") {
      return refuse(`Instance ${name} is not waiting for a resize or migration to be confirmed or reverted (${status}): nothing to ${spec.verb}.`);
    }
    if (vmState === "resized") {
      return refuse(
        `Instance ${name} is waiting for its resize or migration to be confirmed or reverted (VERIFY_RESIZE): confirm or revert it first.`,
      );
    }
    if (operation === "resize" || operation === "migrate") {
      return refuse(`Instance ${name} is ${status}: only an ACTIVE or SHUTOFF instance can be ${spec.participle}.`);
    }
    if (operation === "live_migrate") {
      return refuse(`Instance ${name} is ${status}: only an ACTIVE or PAUSED instance can be live-migrated (a SHUTOFF one can be migrated cold).`);
    }
    if (operation === "snapshot") {
      return refuse(`Instance ${name} is ${status}: only an ACTIVE, SHUTOFF, PAUSED or SUSPENDED instance can be snapshotted.`);
    }
    if (operation === "rebuild") return refuse(`Instance ${name} is ${status}: only an ACTIVE, SHUTOFF or ERROR instance can be rebuilt.`);
    if (operation === "unpause" || operation === "resume") {
      return refuse(`Instance ${name} is not ${spec.fromVmStates[0] === "paused" ? "paused" : "suspended"} (${status}): nothing to ${spec.verb}.`);
    }
    if (spec.doneVmState === vmState && operation !== "reboot" && operation !== "reboot_hard") {
      const word = vmState === "active" ? "running" : spec.participle;
      return refuse(`Instance ${name} is already ${word} (${status}): nothing to ${spec.verb}.`);
    }
    if (operation === "start" && vmState === "paused") return refuse(`Instance ${name} is paused (PAUSED): unpause it rather than start it.`);
    if (operation === "start" && vmState === "suspended") return refuse(`Instance ${name} is suspended (SUSPENDED): resume it rather than start it.`);
    if (operation === "reboot" && vmState !== "error") {
      return refuse(`Instance ${name} is not running (${status}): a soft reboot needs a running guest; a hard reboot does not.`);
    }
    return refuse(`Instance ${name} is ${status}: it cannot be ${spec.participle} now.`);
  }
  if (!target.hasHost) return refuse(`Instance ${name} has no host (its build never finished): there is nothing to ${spec.verb}.`);
  return { allowed: true };
}

/** The vm_state a power state means (Nova's power sync); null for `nostate` (no domain: reconciliation's business). */
export function vmStateForPower(powerState: PowerState): VmState | null {
  switch (powerState) {
    case "running":
      return "active";
    case "paused":
      return "paused";
    case "suspended":
      return "suspended";
    case "shutdown":
    case "crashed":
      return "stopped";
    case "nostate":
      return null;
    default: {
      const unreachable: never = powerState;
      throw new Error(`unknown power state ${String(unreachable)}`);
    }
  }
}

/** vm_states of an instance that has settled on its host (an action may begin, power sync applies). */
export const SETTLED_VM_STATES: readonly VmState[] = ["active", "stopped", "paused", "suspended"];

/**
 * Nova's `_sync_instance_power_state`, in one rule: the vm_state an instance with no task should
 * be in given the power state its host reports, or null to leave it. A guest shut down from
 * inside becomes STOPPED, as in Nova; unlike Nova, which powers a STOPPED instance found running
 * off again, Nimbus takes the host's word (an instance whose start's report was lost is ACTIVE),
 * so an action that timed out ends in the true state.
 */
export function syncedVmState(vmState: VmState, taskState: TaskState | null, powerState: PowerState): VmState | null {
  if (taskState !== null || !SETTLED_VM_STATES.includes(vmState)) return null;
  const truth = vmStateForPower(powerState);
  return truth && truth !== vmState ? truth : null;
}

/**
 * A port is ACTIVE while its guest's NIC exists on the host (running or paused, or waiting in
 * VERIFY_RESIZE, where Nova's port is bound to the destination and up), DOWN otherwise.
 */
export function portStatusFor(vmState: VmState): "ACTIVE" | "DOWN" {
  return vmState === "active" || vmState === "paused" || vmState === "resized" ? "ACTIVE" : "DOWN";
}
