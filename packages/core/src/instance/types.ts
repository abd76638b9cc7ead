export type VmState = "building" | "active" | "stopped" | "paused" | "suspended" | "resized" | "error" | "deleted";
/** The task states of a build, and delete. */
export type BuildTaskState = "scheduling" | "networking" | "block_device_mapping" | "spawning" | "deleting";
/** The task states of the lifecycle actions on an existing instance (Nova's task_states.py). */
export type ActionTaskState =
  | "powering-off"
  | "powering-on"
  | "rebooting"
  | "reboot_pending"
  | "reboot_started"
  | "rebooting_hard"
  | "reboot_pending_hard"
  | "reboot_started_hard"
  | "pausing"
  | "unpausing"
  | "suspending"
  | "resuming"
  | "resize_prep"
  | "resize_migrating"
  | "resize_migrated"
  | "resize_finish"
  | "resize_reverting"
  | "resize_confirming"
  | "rebuilding"
  | "rebuild_block_device_mapping"
  | "rebuild_spawning"
  | "image_snapshot"
  | "image_pending_upload"
  | "image_uploading"
  | "migrating";
export type TaskState = BuildTaskState | ActionTaskState;
export type PowerState = "nostate" | "running" | "paused" | "shutdown" | "crashed" | "suspended";
export type InstancePhase = "scheduling" | "networking" | "block_device_mapping" | "spawning" | "active" | "error" | "deleting" | "deleted";
