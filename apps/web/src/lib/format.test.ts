import { describe, expect, it } from "vitest";
import { formatMemoryIn, memoryUnitFor } from "./format";

describe("memory figures shown together", () => {
  it("share one unit, GB as soon as one figure reaches a GB", () => {
    const unit = memoryUnitFor([51200, 512, 0]);
    expect(unit).toBe("GB");
    expect([51200, 512, 0].map((mb) => formatMemoryIn(mb, unit))).toEqual(["50 GB", "0.5 GB", "0 GB"]);
  });

  it("stay in MB while every figure is below a GB", () => {
    const unit = memoryUnitFor([512, 256]);
    expect(unit).toBe("MB");
    expect(formatMemoryIn(512, unit)).toBe("512 MB");
  });
});
