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
};

export function phaseLabel(event: string): string {
  return PHASE_LABEL[event] ?? event.replace(/_/g, " ");
}
