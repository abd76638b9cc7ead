import { describe, expect, it } from "vitest";
import {
  aggregateTenancyFilter,
  availabilityZoneFilter,
  availabilityZonesOf,
  forcedHostFilter,
  imagePropertiesFilter,
  serverGroupAffinityFilter,
  serverGroupAntiAffinityFilter,
} from "./filters";
import { selectHosts } from "./select";
import type { AggregateInfo, GroupSpec, HostState, RequestSpec } from "./types";
import { buildFailureWeigher, instanceCountWeigher, softAffinityWeigher, softAntiAffinityWeigher, weigh } from "./weighers";

let n = 0;
function host(name: string, over: Partial<HostState> = {}): HostState {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
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
      VCPU: { total: 8, reserved: 0, allocationRatio: 4, used: 0 },
      MEMORY_MB: { total: 8192, reserved: 0, allocationRatio: 1, used: 0 },
      DISK_GB: { total: 100, reserved: 0, allocationRatio: 1, used: 0 },
    },
    ...over,
  };
}
const spec: RequestSpec = { vcpus: 1, memoryMb: 512, diskGb: 1, projectId: "p1" };
const agg = (over: Partial<AggregateInfo>): AggregateInfo => ({ name: "agg", availabilityZone: null, tenantProjectIds: [], ...over });
const group = (policy: GroupSpec["policy"], members: [HostState, number][], maxServerPerHost = 1): GroupSpec => ({
  name: "g",
  policy,
  maxServerPerHost,
  membersByHost: new Map(members.map(([h, count]) => [h.id, count])),
});

describe("availability zones", () => {
  it("puts hosts in no AZ aggregate in the default zone", () => {
    expect(availabilityZonesOf(host("a"))).toEqual(["nova"]);
    expect(availabilityZonesOf(host("b", { aggregates: [agg({ availabilityZone: "az1" })] }))).toEqual(["az1"]);
  });
  it("keeps only hosts of the requested zone", () => {
    const inZone = host("a", { aggregates: [agg({ availabilityZone: "az1" })] });
    expect(availabilityZoneFilter.check(inZone, { ...spec, availabilityZone: "az1" })).toBeNull();
    expect(availabilityZoneFilter.check(host("b"), { ...spec, availabilityZone: "az1" })).toEqual({ reason: "not in zone az1" });
    expect(availabilityZoneFilter.check(host("b"), spec)).toBeNull();
  });
});

describe("tenancy, image and forced host", () => {
  it("keeps reserved aggregates for their projects only", () => {
    const reserved = host("a", { aggregates: [agg({ tenantProjectIds: ["p2"] })] });
    expect(aggregateTenancyFilter.check(reserved, spec)?.reason).toBe("reserved for other projects");
    expect(aggregateTenancyFilter.check(reserved, { ...spec, projectId: "p2" })).toBeNull();
    expect(aggregateTenancyFilter.check(host("open"), spec)).toBeNull();
  });
  it("matches image architecture and hypervisor type", () => {
    expect(imagePropertiesFilter.check(host("a"), { ...spec, imageProperties: { architecture: "aarch64" } })?.reason).toMatch(/architecture/);
    expect(imagePropertiesFilter.check(host("a"), { ...spec, imageProperties: { hypervisor_type: "QEMU", architecture: "x86_64" } })).toBeNull();
    expect(
      imagePropertiesFilter.check(host("a", { hypervisorType: "test" }), { ...spec, imageProperties: { hypervisor_type: "qemu" } })?.reason,
    ).toMatch(/hypervisor/);
  });
  it("forces one host when asked", () => {
    expect(forcedHostFilter.check(host("a"), { ...spec, forcedHost: "b" })).not.toBeNull();
    expect(forcedHostFilter.check(host("b"), { ...spec, forcedHost: "b" })).toBeNull();
  });
});

describe("server groups", () => {
  it("hard affinity keeps the members' host once one is placed", () => {
    const a = host("a");
    const b = host("b");
    expect(serverGroupAffinityFilter.check(b, { ...spec, group: group("affinity", [[a, 1]]) })).not.toBeNull();
    expect(serverGroupAffinityFilter.check(a, { ...spec, group: group("affinity", [[a, 1]]) })).toBeNull();
    expect(serverGroupAffinityFilter.check(b, { ...spec, group: group("affinity", []) })).toBeNull();
  });
  it("hard anti-affinity honours max servers per host", () => {
    const a = host("a");
    expect(serverGroupAntiAffinityFilter.check(a, { ...spec, group: group("anti-affinity", [[a, 1]]) })?.reason).toBe(
      "already had 1 member of group g",
    );
    expect(serverGroupAntiAffinityFilter.check(a, { ...spec, group: group("anti-affinity", [[a, 1]], 2) })).toBeNull();
  });
  it("explains an anti-affinity refusal", () => {
    const a = host("a");
    const result = selectHosts([a], { ...spec, group: group("anti-affinity", [[a, 1]]) });
    expect(!result.ok && result.explanation).toBe("1 host considered: 1 already had 1 member of group g.");
  });
  it("soft policies weigh instead of filtering", () => {
    const a = host("a");
    const b = host("b");
    expect(weigh([a, b], { ...spec, group: group("soft-affinity", [[b, 2]]) }, [softAffinityWeigher()])[0]).toBe(b);
    expect(weigh([b, a], { ...spec, group: group("soft-anti-affinity", [[b, 2]]) }, [softAntiAffinityWeigher()])[0]).toBe(a);
  });
});

describe("weighers", () => {
  it("sinks hosts that just failed builds", () => {
    const flaky = host("flaky", { failedBuilds: 3 });
    const fine = host("fine");
    expect(weigh([flaky, fine], spec, [buildFailureWeigher()])[0]).toBe(fine);
  });
  it("prefers emptier hosts with a negative instance-count multiplier", () => {
    const busy = host("busy", { instanceCount: 5 });
    const empty = host("empty");
    expect(weigh([busy, empty], spec, [instanceCountWeigher(-1)])[0]).toBe(empty);
  });
  it("picks among the best N with host_subset_size", () => {
    const hosts = [
      host("a"),
      host("b", { inventories: { ...host("x").inventories, MEMORY_MB: { total: 4096, reserved: 0, allocationRatio: 1, used: 0 } } }),
    ];
    const picked = selectHosts(hosts, spec, { hostSubsetSize: 2, random: () => 0.99 });
    expect(picked.ok && picked.hosts.map((h) => h.hostname)).toEqual(["b", "a"]);
  });
});
