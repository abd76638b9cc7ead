import { describe, expect, it } from "vitest";
import { DEFAULT_QUOTAS, describeOverage, findOverages } from "./limits";

describe("quota limits", () => {
  it("uses Nova's defaults", () => {
    expect(DEFAULT_QUOTAS).toMatchObject({ instances: 10, cores: 20, ram: 51_200, key_pairs: 100, server_groups: 10 });
  });

  it("limits a project's images as Glance does: 100 images, 100 GiB stored, 20 GiB being uploaded (sizes in MiB)", () => {
    expect(DEFAULT_QUOTAS).toMatchObject({ image_count_total: 100, image_size_total: 100 * 1024, image_stage_total: 20 * 1024 });
    const [over] = findOverages({ ...DEFAULT_QUOTAS }, { image_count_total: 100 }, { image_count_total: 1 });
    expect(describeOverage(over!)).toBe("Quota exceeded for images: requested 1, already used 100 of 100.");
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
