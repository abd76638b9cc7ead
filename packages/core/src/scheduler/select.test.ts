import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { capacity, free } from "./capacity";
import { computeFilter, resourceFitFilter } from "./filters";
import { selectHosts } from "./select";
import type { HostState, RequestSpec } from "./types";
import { ramWeigher, weigh } from "./weighers";

function host(name: string, over: Partial<HostState> = {}, used: { vcpus?: number; ram?: number; disk?: number } = {}): HostState {
  return {
    id: `00000000-0000-4000-8000-${name.padStart(12, "0").slice(-12)}`,
    hostname: name,
    enabled: true,
    disabledReason: null,
    up: true,
    hypervisorType: "qemu",
    architecture: "x86_64",
    instanceCount: 0,
    failedBuilds: 0,
    aggregates: [],
    inventories: {
      VCPU: { total: 8, reserved: 0, allocationRatio: 4, used: used.vcpus ?? 0 },
      MEMORY_MB: { total: 8192, reserved: 512, allocationRatio: 1, used: used.ram ?? 0 },
      DISK_GB: { total: 100, reserved: 0, allocationRatio: 1, used: used.disk ?? 0 },
    },
    ...over,
  };
}

const tiny: RequestSpec = { vcpus: 1, memoryMb: 512, diskGb: 1 };

describe("capacity", () => {
  it("applies reserved before the allocation ratio, as placement does", () => {
    expect(capacity({ total: 8, reserved: 2, allocationRatio: 4, used: 0 })).toBe(24);
    expect(free({ total: 8192, reserved: 512, allocationRatio: 1, used: 1000 })).toBe(6680);
  });
});

describe("filters", () => {
  it("ComputeFilter drops disabled and down hosts", () => {
    expect(computeFilter.check(host("a", { enabled: false }), tiny)).toEqual({ reason: "disabled" });
    expect(computeFilter.check(host("b", { up: false }), tiny)).toEqual({ reason: "down" });
    expect(computeFilter.check(host("c"), tiny)).toBeNull();
  });

  it("resource fit refuses RAM beyond (total - reserved) x ratio and says how much was free", () => {
    const h = host("a", {}, { ram: 7000 });
    expect(resourceFitFilter.check(h, { vcpus: 1, memoryMb: 1024, diskGb: 1 })).toEqual({
      reason: "MEMORY_MB",
      resourceClass: "MEMORY_MB",
      free: 680,
    });
    expect(resourceFitFilter.check(h, { vcpus: 1, memoryMb: 680, diskGb: 1 })).toBeNull();
  });

  it("never gives one instance more than the host physically has (max_unit), ratio or not", () => {
    expect(resourceFitFilter.check(host("a"), { vcpus: 9, memoryMb: 1, diskGb: 0 })?.reason).toBe("VCPU");
    expect(resourceFitFilter.check(host("a"), { vcpus: 8, memoryMb: 1, diskGb: 0 })).toBeNull();
  });

  it("vCPUs are over-committed by the ratio", () => {
    expect(resourceFitFilter.check(host("a", {}, { vcpus: 31 }), { vcpus: 1, memoryMb: 1, diskGb: 0 })).toBeNull();
    expect(resourceFitFilter.check(host("a", {}, { vcpus: 32 }), { vcpus: 1, memoryMb: 1, diskGb: 0 })?.reason).toBe("VCPU");
  });
});

describe("selectHosts", () => {
  it("explains a NoValidHost per filter, in plain words", () => {
    const hosts = [host("a", { enabled: false }), host("b", {}, { ram: 5632 }), host("c", {}, { ram: 6656 })];
    const result = selectHosts(hosts, { vcpus: 1, memoryMb: 4096, diskGb: 1 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.explanation).toBe("3 hosts considered: 1 disabled; 2 lacked RAM (needed 4096 MB, most free 2048 MB).");
  });

  it("counts a host that went down, with when, and one already tried for the build", () => {
    const hosts = [host("dead", { up: false, downSince: new Date("2026-12-07T12:03:05.000Z") }), host("tried"), host("never", { up: false })];
    const result = selectHosts(hosts, { ...tiny, triedHosts: ["dead", "tried"] });
    expect(!result.ok && result.explanation).toBe(
      "3 hosts considered: 2 down (its compute agent stopped answering; down since 12:03:05 UTC; its compute agent never connected); " +
        "1 already tried for this build.",
    );
  });

  it("says when there are no hosts at all", () => {
    const result = selectHosts([], tiny);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.explanation).toMatch(/No compute hosts are registered/);
  });

  it("spreads by default: the host with the most free RAM comes first, then alternates", () => {
    const result = selectHosts([host("busy", {}, { ram: 6000 }), host("idle"), host("half", {}, { ram: 3000 })], tiny, { maxAttempts: 2 });
    expect(result.ok && result.hosts.map((h) => h.hostname)).toEqual(["idle", "half"]);
  });

  it("packs with a negative RAM multiplier", () => {
    const ranked = weigh([host("idle"), host("busy", {}, { ram: 6000 })], tiny, [ramWeigher(-1)]);
    expect(ranked.map((h) => h.hostname)).toEqual(["busy", "idle"]);
  });

  it("never returns a host that cannot fit the request (random fleets)", () => {
    const hostArb = fc.record({
      enabled: fc.boolean(),
      up: fc.boolean(),
      vcpus: fc.integer({ min: 0, max: 40 }),
      ram: fc.integer({ min: 0, max: 9000 }),
      disk: fc.integer({ min: 0, max: 120 }),
    });
    const specArb = fc.record({
      vcpus: fc.integer({ min: 1, max: 16 }),
      memoryMb: fc.integer({ min: 64, max: 16384 }),
      diskGb: fc.integer({ min: 0, max: 200 }),
    });
    const fits = (h: HostState, spec: RequestSpec) =>
      (["VCPU", "MEMORY_MB", "DISK_GB"] as const).every((rc) => {
        const need = rc === "VCPU" ? spec.vcpus : rc === "MEMORY_MB" ? spec.memoryMb : spec.diskGb;
        return free(h.inventories[rc]) >= need && h.inventories[rc].total >= need;
      });
    fc.assert(
      fc.property(fc.array(hostArb, { maxLength: 30 }), specArb, (fleet, spec) => {
        const hosts = fleet.map((f, i) => host(`h${i}`, { enabled: f.enabled, up: f.up }, { vcpus: f.vcpus, ram: f.ram, disk: f.disk }));
        const result = selectHosts(hosts, spec, { maxAttempts: 3 });
        if (!result.ok) return hosts.every((h) => !h.enabled || !h.up || !fits(h, spec));
        return result.hosts.every((h) => h.enabled && h.up && fits(h, spec));
      }),
    );
  });
});
