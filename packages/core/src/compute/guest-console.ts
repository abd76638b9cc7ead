import type { InstanceRow } from "@nimbus/db/schema";

/**
 * What the serial console can show of an instance, in plain words: a guest that booted, one
 * still to come, or why there is none (the build failed before a guest started, the host is
 * libvirt's test driver that runs no guest).
 */
export interface GuestConsole {
  state: "booted" | "waiting" | "no_guest";
  /** A short label for the console's badge. */
  label: string;
  /** One sentence: what is true of the guest and its console. */
  says: string;
}

/** libvirt's test driver (`test:///default`): domains exist, nothing boots in them. */
export const SIMULATED_HYPERVISOR = "test";

export function guestConsoleOf(
  instance: Pick<InstanceRow, "vmState" | "taskState" | "guestBootedAt" | "launchedAt">,
  host: { hostname: string; hypervisorType: string } | null,
): GuestConsole {
  if (instance.vmState === "error") {
    return instance.launchedAt
      ? { state: "no_guest", label: "No guest", says: "No console: the instance is in ERROR and its guest is no longer running." }
      : { state: "no_guest", label: "No guest", says: "No console: the build failed before the guest started." };
  }
  if (instance.taskState === "deleting") return { state: "no_guest", label: "No guest", says: "No console: the instance is being deleted." };
  if (instance.guestBootedAt) return { state: "booted", label: "Guest booted", says: "The guest finished booting; its output is below." };
  if (host?.hypervisorType === SIMULATED_HYPERVISOR) {
    return {
      state: "no_guest",
      label: "Simulated host",
      says: `No console: ${host.hostname} is simulated (libvirt's test driver), so there is no guest to print anything.`,
    };
  }
  if (instance.vmState === "building") {
    return host
      ? { state: "waiting", label: "Waiting for the guest", says: `The guest prints here once it starts on ${host.hostname}.` }
      : { state: "waiting", label: "Waiting for a host", says: "No guest yet: the build has not reached a host." };
  }
  if (instance.vmState === "active") {
    return { state: "waiting", label: "Waiting for the guest", says: "The guest is starting; its output appears here as it prints it." };
  }
  return { state: "no_guest", label: "Guest not running", says: `No console: the instance is ${instance.vmState}, so its guest is not running.` };
}

/**
 * Whether the instance has a screen to show in the graphical console (VNC), and if not why, in
 * plain words: its host is simulated, its build has not started a guest, or its guest is not
 * running. The graphical console verb refuses for the same reasons, with the same words.
 */
export type GraphicalConsole = { available: true } | { available: false; says: string };

/** vm_states whose guest has a display (a paused guest's screen is still there, frozen). */
const WITH_SCREEN: readonly string[] = ["active", "paused"];

export function graphicalConsoleOf(
  instance: Pick<InstanceRow, "vmState" | "taskState" | "launchedAt">,
  host: { hostname: string; hypervisorType: string } | null,
): GraphicalConsole {
  if (instance.vmState === "error") {
    return {
      available: false,
      says: instance.launchedAt ? "No screen: the instance is in ERROR." : "No screen: the build failed before the guest started.",
    };
  }
  if (instance.taskState === "deleting") return { available: false, says: "No screen: the instance is being deleted." };
  if (host?.hypervisorType === SIMULATED_HYPERVISOR) {
    return {
      available: false,
      says: `No screen: ${host.hostname} is simulated (libvirt's test driver), so its guests have no display to show.`,
    };
  }
  if (instance.vmState === "building") return { available: false, says: "No screen yet: the guest starts once the build is done." };
  if (!host) return { available: false, says: "No screen: the instance runs on no host." };
  if (!WITH_SCREEN.includes(instance.vmState)) {
    return { available: false, says: `No screen: the instance is ${instance.vmState}, so its guest is not running.` };
  }
  return { available: true };
}
