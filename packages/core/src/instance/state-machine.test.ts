import { describe, expect, it } from "vitest";
import { BUILD_PHASES, PHASES, canTransition, displayStatus, phaseOf, stateFor } from "./state-machine";

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
