import { describe, expect, it } from "vitest";
import type { InstanceRow } from "@nimbus/db/schema";
import { graphicalConsoleOf } from "./guest-console";

type Instance = Pick<InstanceRow, "vmState" | "taskState" | "launchedAt">;
const qemu = { hostname: "compute-1", hypervisorType: "qemu" };
const simulated = { hostname: "sim-1", hypervisorType: "test" };
const running: Instance = { vmState: "active", taskState: null, launchedAt: new Date() };

describe("graphicalConsoleOf", () => {
  it("offers the screen of a running guest on a real hypervisor, and of a paused one (its screen is still there)", () => {
    expect(graphicalConsoleOf(running, qemu)).toEqual({ available: true });
    expect(graphicalConsoleOf({ ...running, vmState: "paused" }, qemu)).toEqual({ available: true });
  });

  it("says the simulated hypervisor has no screen, whatever the instance's state", () => {
    const says = "No screen: sim-1 is simulated (libvirt's test driver), so its guests have no display to show.";
    expect(graphicalConsoleOf(running, simulated)).toEqual({ available: false, says });
    expect(graphicalConsoleOf({ ...running, vmState: "building", launchedAt: null }, simulated)).toEqual({ available: false, says });
  });

  it("says why there is no screen yet, or no longer", () => {
    expect(graphicalConsoleOf({ vmState: "building", taskState: "spawning", launchedAt: null }, qemu)).toEqual({
      available: false,
      says: "No screen yet: the guest starts once the build is done.",
    });
    expect(graphicalConsoleOf({ vmState: "error", taskState: null, launchedAt: null }, qemu)).toEqual({
      available: false,
      says: "No screen: the build failed before the guest started.",
    });
    expect(graphicalConsoleOf({ ...running, vmState: "error" }, qemu)).toEqual({ available: false, says: "No screen: the instance is in ERROR." });
    expect(graphicalConsoleOf({ ...running, taskState: "deleting" }, qemu)).toEqual({
      available: false,
      says: "No screen: the instance is being deleted.",
    });
    expect(graphicalConsoleOf({ ...running, vmState: "stopped" }, qemu)).toEqual({
      available: false,
      says: "No screen: the instance is stopped, so its guest is not running.",
    });
    expect(graphicalConsoleOf(running, null)).toEqual({ available: false, says: "No screen: the instance runs on no host." });
  });
});
