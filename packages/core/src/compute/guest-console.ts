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
