import type { MantineColor } from "@mantine/core";

/** Badge colour per Nova API status: BUILD blue, ACTIVE green, ERROR red, DELETING gray. */
const STATUS_COLOR: Record<string, MantineColor> = {
  BUILD: "blue",
  ACTIVE: "green",
  ERROR: "red",
  DELETING: "gray",
  DELETED: "gray",
  SHUTOFF: "gray",
  PAUSED: "yellow",
  SUSPENDED: "yellow",
  REBOOT: "blue",
  HARD_REBOOT: "blue",
};

export function statusColor(status: string): MantineColor {
  return STATUS_COLOR[status] ?? "gray";
}

/** Labels of the phase events an instance's actions record, in the words of the progress view. */
const PHASE_LABEL: Record<string, string> = {
  scheduling: "Scheduling",
  networking: "Networking",
  block_device_mapping: "Block device mapping",
  spawning: "Spawning",
  active: "Active",
  error: "Error",
  deleting: "Deleting",
  deleted: "Deleted",
  guest_booted: "Guest booted",
  compute_stop_instance: "Stop",
  compute_start_instance: "Start",
  compute_reboot_instance: "Reboot",
  compute_pause_instance: "Pause",
  compute_unpause_instance: "Unpause",
  compute_suspend_instance: "Suspend",
  compute_resume_instance: "Resume",
  power_sync: "Power state sync",
};

export function phaseLabel(event: string): string {
  return PHASE_LABEL[event] ?? event.replace(/_/g, " ");
}
