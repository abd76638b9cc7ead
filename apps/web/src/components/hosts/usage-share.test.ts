import { describe, expect, it } from "vitest";
import { usageShare } from "./usage-share";

describe("usageShare", () => {
  it("shows 1 of 64 vCPUs as a share of the capacity, not lost beside it", () => {
    expect(usageShare({ used: 1, capacity: 64 })).toEqual({ used: 1.6, free: 98.4 });
  });

  it("caps an over-committed host at full, and counts use without capacity as full", () => {
    expect(usageShare({ used: 80, capacity: 64 })).toEqual({ used: 100, free: 0 });
    expect(usageShare({ used: 1, capacity: 0 })).toEqual({ used: 100, free: 0 });
    expect(usageShare({ used: 0, capacity: 0 })).toEqual({ used: 0, free: 100 });
  });
});
