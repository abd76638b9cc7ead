import { describe, expect, it } from "vitest";
import { DEFAULT_QUOTAS, describeOverage, findOverages } from "./limits";

describe("quota limits", () => {
  it("uses Nova's defaults", () => {
    expect(DEFAULT_QUOTAS).toMatchObject({ instances: 10, cores: 20, ram: 51_200, key_pairs: 100, server_groups: 10 });
  });

  it("names every resource that would pass its limit, with requested, used and limit", () => {
    const overs = findOverages({ ...DEFAULT_QUOTAS }, { instances: 9, cores: 18, ram: 1000 }, { instances: 2, cores: 2, ram: 1024 });
    expect(overs).toEqual([{ resource: "instances", requested: 2, used: 9, limit: 10 }]);
    expect(describeOverage(overs[0]!)).toBe("Quota exceeded for instances: requested 2, already used 9 of 10.");
  });

  it("allows exactly up to the limit and treats -1 as unlimited", () => {
    expect(findOverages({ ...DEFAULT_QUOTAS }, { instances: 8 }, { instances: 2 })).toEqual([]);
    expect(findOverages({ ...DEFAULT_QUOTAS, cores: -1 }, { cores: 10_000 }, { cores: 64 })).toEqual([]);
  });
});
