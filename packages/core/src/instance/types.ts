export type VmState = "building" | "active" | "stopped" | "paused" | "error" | "deleted";
export type TaskState = "scheduling" | "networking" | "block_device_mapping" | "spawning" | "deleting";
export type PowerState = "nostate" | "running" | "paused" | "shutdown" | "crashed" | "suspended";
export type InstancePhase = "scheduling" | "networking" | "block_device_mapping" | "spawning" | "active" | "error" | "deleting" | "deleted";
