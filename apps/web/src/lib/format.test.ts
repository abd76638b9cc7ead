import { describe, expect, it } from "vitest";
import { formatBytes, formatMemoryIn, memoryUnitFor } from "./format";

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

describe("formatBytes", () => {
  it("keeps a size and its unit on one line (a no-break space between them)", () => {
    expect(formatBytes(196_608)).toBe("192.0\u00a0KB");
    expect(formatBytes(512)).toBe("512\u00a0B");
  });
});
