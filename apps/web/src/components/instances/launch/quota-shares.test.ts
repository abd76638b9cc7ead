import { describe, expect, it } from "vitest";
import { OVER_SHOWN, shares } from "./quota-shares";

describe("shares of a limit, as the quota chart draws them", () => {
  it("fill exactly the limit when the launch fits, so the axis stays 0 to 100 %", () => {
    const s = shares({ limit: 3, used: 1, requested: 1 })!;
    expect(s.used + s.launch + s.free).toBeCloseTo(100, 5);
    expect(s.over).toBe(0);
  });

  it("show a huge excess as over, never past the over zone (no 10025 % axis)", () => {
    const s = shares({ limit: 10, used: 2, requested: 1000 })!;
    expect(s).toEqual({ used: 20, launch: 80, over: OVER_SHOWN, free: 0 });
  });

  it("show a project already past its limit as full and over", () => {
    expect(shares({ limit: 4, used: 6, requested: 0 })).toEqual({ used: 100, launch: 0, over: OVER_SHOWN, free: 0 });
    expect(shares({ limit: -1, used: 6, requested: 1 })).toBeNull();
  });
});
