import { describe, expect, it } from "vitest";
import { resizeImpact } from "./resize-impact";

describe("the resize dialog's quota impact", () => {
  const tiny = { vcpus: 1, memoryMb: 512, rootGb: 1, flavorName: "m1.tiny" };
  const quota = (cores: [number, number], ram: [number, number]) => ({
    cores: { used: cores[0], limit: cores[1] },
    ram: { used: ram[0], limit: ram[1] },
  });

  it("says what an upsize adds, and what the quota takes", () => {
    const impact = resizeImpact(tiny, { name: "m1.medium", vcpus: 2, memoryMb: 4096, rootGb: 40 }, quota([1, 20], [512, 51200]));
    expect(impact.summary).toBe("+1 vCPU / +3.5 GB RAM");
    expect(impact.quotaSummary).toBe("Quota: +1 vCPU, +3.5 GB RAM from now on.");
    expect(impact.overQuota).toBeNull();
    expect(impact.refused).toBeNull();
  });

  it("refuses what the quota cannot take, in the server's words", () => {
    const impact = resizeImpact(tiny, { name: "m1.medium", vcpus: 2, memoryMb: 4096, rootGb: 40 }, quota([1, 1], [512, 51200]));
    expect(impact.overQuota).toBe("Quota exceeded for vCPUs: requested 1, already used 1 of 1.");
    expect(resizeImpact(tiny, { name: "m1.small", vcpus: 1, memoryMb: 2048, rootGb: 20 }, quota([1, -1], [512, 1024])).overQuota).toBe(
      "Quota exceeded for MB of RAM: requested 1536, already used 512 of 1024.",
    );
  });

  it("a downsize frees nothing until confirmed; a smaller disk and the same flavor are refused", () => {
    const small = { vcpus: 2, memoryMb: 4096, rootGb: 20, flavorName: "m1.big" };
    const impact = resizeImpact(small, { name: "m1.small", vcpus: 1, memoryMb: 2048, rootGb: 20 }, quota([2, 2], [4096, 4096]));
    expect(impact.summary).toBe("−1 vCPU / −2 GB RAM");
    expect(impact.quotaSummary).toBe("Quota: nothing more (the current flavor stays counted until the resize is confirmed).");
    expect(impact.overQuota).toBeNull();
    expect(resizeImpact(small, { name: "m1.tiny", vcpus: 1, memoryMb: 512, rootGb: 1 }, null).refused).toBe(
      "Its 1 GB disk is smaller than the instance's 20 GB: a disk cannot shrink.",
    );
    expect(resizeImpact(small, { name: "m1.big", ...small }, null).refused).toBe("This is the instance's flavor now.");
  });
});
