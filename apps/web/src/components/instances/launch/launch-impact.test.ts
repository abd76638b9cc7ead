import { describe, expect, it } from "vitest";
import type { Flavor, QuotaUsage } from "@/lib/api-types";
import { countQuotaError, flavorQuotaBlocker, launchImpact, quotaProblem } from "./launch-impact";

function flavor(name: string, vcpus: number, memoryMb: number): Flavor {
  return {
    id: `id-${name}`,
    name,
    description: null,
    vcpus,
    memoryMb,
    rootGb: 1,
    ephemeralGb: 0,
    swapMb: 0,
    isPublic: true,
    disabled: false,
    extraSpecs: {},
    createdAt: new Date(0),
    updatedAt: null,
    deletedAt: null,
  };
}

const usage = (cores: { limit: number; used: number }, ram = { limit: -1, used: 0 }, instances = { limit: 10, used: 1 }): QuotaUsage => ({
  instances,
  cores,
  ram,
  volumes: { limit: 10, used: 0 },
  gigabytes: { limit: 1000, used: 0 },
  key_pairs: { limit: 100, used: 0 },
  server_groups: { limit: 10, used: 0 },
  image_count_total: { limit: 100, used: 0 },
  image_size_total: { limit: 102_400, used: 0 },
  image_stage_total: { limit: 20_480, used: 0 },
});

describe("flavorQuotaBlocker", () => {
  it("names the vCPU quota with what the launch needs and what is free", () => {
    expect(flavorQuotaBlocker(usage({ limit: 20, used: 16 }), flavor("m1.xlarge", 8, 16384), 1)).toBe("Exceeds your vCPU quota: needs 8, 4 free");
  });

  it("counts every instance of the launch", () => {
    expect(flavorQuotaBlocker(usage({ limit: 20, used: 16 }), flavor("m1.medium", 2, 4096), 2)).toBeNull();
    expect(flavorQuotaBlocker(usage({ limit: 20, used: 16 }), flavor("m1.medium", 2, 4096), 3)).toBe("Exceeds your vCPU quota: needs 6, 4 free");
  });

  it("says nothing free rather than a negative amount when the project is already over", () => {
    expect(flavorQuotaBlocker(usage({ limit: 1, used: 2 }), flavor("m1.tiny", 1, 512), 1)).toBe("Exceeds your vCPU quota: needs 1, 0 free");
  });

  it("words RAM in MB or GB, and lets an unlimited quota through", () => {
    expect(flavorQuotaBlocker(usage({ limit: -1, used: 40 }, { limit: 8192, used: 4096 }), flavor("m1.large", 4, 8192), 1)).toBe(
      "Exceeds your RAM quota: needs 8 GB, 4 GB free",
    );
    expect(flavorQuotaBlocker(usage({ limit: -1, used: 40 }, undefined, { limit: -1, used: 1 }), flavor("m1.xlarge", 8, 16384), 10)).toBeNull();
  });

  it("blocks every flavor when no instance is left", () => {
    expect(flavorQuotaBlocker(usage({ limit: 20, used: 0 }, undefined, { limit: 1, used: 1 }), flavor("m1.tiny", 1, 512), 1)).toBe(
      "Exceeds your instance quota: needs 1, 0 free",
    );
  });
});

describe("launchImpact", () => {
  it("adds count × flavor to what is used, and leaves the free amount after the launch", () => {
    const impacts = launchImpact(usage({ limit: 20, used: 4 }, { limit: 51200, used: 2048 }), flavor("m1.small", 1, 2048), 3);
    expect(impacts.map((i) => [i.spec.key, i.requested, i.freeAfter])).toEqual([
      ["instances", 3, 6],
      ["cores", 3, 13],
      ["ram", 6144, 43008],
    ]);
  });
});

describe("quotaProblem", () => {
  it("says in plain English how many instances are free", () => {
    const impacts = launchImpact(usage({ limit: 100, used: 0 }, undefined, { limit: 10, used: 2 }), flavor("m1.tiny", 1, 512), 9);
    expect(quotaProblem(impacts)).toBe("Needs 9 instances, but only 8 instances are free in your instance quota.");
  });

  it("words RAM in one unit, and a quota with nothing left", () => {
    const ram = launchImpact(usage({ limit: -1, used: 0 }, { limit: 51200, used: 50688 }), flavor("m1.small", 1, 2048), 1);
    expect(quotaProblem(ram)).toBe("Needs 2 GB, but only 0.5 GB is free in your RAM quota.");
    const none = launchImpact(usage({ limit: 20, used: 0 }, undefined, { limit: 1, used: 1 }), flavor("m1.tiny", 1, 512), 1);
    expect(quotaProblem(none)).toBe("Needs 1 instance, but none of your instance quota is free.");
  });
});

describe("countQuotaError", () => {
  const instances = (limit: number, used: number) => ({ instances: { limit, used } });

  it("refuses a count above the free instances, at the Count field", () => {
    expect(countQuotaError(instances(10, 2), 9, null)).toEqual({ field: "count", message: "Only 8 instances are free in your quota." });
    expect(countQuotaError(instances(10, 2), 8, null)).toBeNull();
    expect(countQuotaError(instances(10, 9), 2, null)?.message).toBe("Only 1 instance is free in your quota.");
    expect(countQuotaError(instances(10, 10), 1, null)?.message).toBe("No instances are free in your quota.");
  });

  it("lets a minimum count that fits launch fewer, and blames the minimum when even it does not fit", () => {
    expect(countQuotaError(instances(10, 2), 20, 5)).toBeNull();
    expect(countQuotaError(instances(10, 2), 20, 9)).toEqual({ field: "minCount", message: "Only 8 instances are free in your quota." });
    expect(countQuotaError(instances(-1, 50), 20, null)).toBeNull();
  });
});
