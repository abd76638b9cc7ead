import { describe, expect, it } from "vitest";
import { createNetworkInput } from "./networks";
import { parseVlanRanges, pickVlanId } from "./vlan-ranges";

describe("VLAN ranges (NIMBUS_NETWORK_VLAN_RANGES, Neutron's network_vlan_ranges)", () => {
  it("reads ranges per physical network, and bare names as known physical networks with nothing to allocate", () => {
    const ranges = parseVlanRanges("physnet1:100:199, physnet1:300:300,physnet2");
    expect([...ranges]).toEqual([
      [
        "physnet1",
        [
          [100, 199],
          [300, 300],
        ],
      ],
      ["physnet2", []],
    ]);
    expect(parseVlanRanges("")).toEqual(new Map());
  });

  it("names the entry that does not fit", () => {
    expect(() => parseVlanRanges("physnet1:0:10")).toThrow(/"physnet1:0:10": a VLAN id is a whole number from 1 to 4094/);
    expect(() => parseVlanRanges("physnet1:100:4095")).toThrow(/4094/);
    expect(() => parseVlanRanges("physnet1:200:100")).toThrow(/ends before it starts/);
    expect(() => parseVlanRanges("physnet1:100")).toThrow(/"physnet1:100" is not <physical network>/);
    expect(() => parseVlanRanges("bad name:1:2")).toThrow(/is not <physical network>/);
  });

  it("allocates the lowest free id of the ranges, and none when every id is taken", () => {
    expect(pickVlanId([[100, 102]], [])).toBe(100);
    expect(pickVlanId([[100, 102]], [100, 101])).toBe(102);
    // Ranges in any order; an id taken outside them is no matter.
    expect(
      pickVlanId(
        [
          [300, 301],
          [100, 100],
        ],
        [100, 5],
      ),
    ).toBe(300);
    expect(pickVlanId([[100, 101]], [100, 101])).toBeNull();
    expect(pickVlanId([], [])).toBeNull();
  });
});

describe("a vlan network's provider attributes", () => {
  const parse = (provider: Record<string, unknown>) => createNetworkInput.safeParse({ name: "n", provider });
  const messages = (provider: Record<string, unknown>) => {
    const parsed = parse(provider);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("takes a physical network and a VLAN id from 1 to 4094, or leaves either to the ranges", () => {
    expect(parse({ networkType: "vlan", physicalNetwork: "physnet1", segmentationId: 101 }).data?.provider).toEqual({
      networkType: "vlan",
      physicalNetwork: "physnet1",
      segmentationId: 101,
    });
    expect(parse({ networkType: "vlan" }).success).toBe(true);
    expect(parse({ networkType: "vlan", physicalNetwork: "physnet1", segmentationId: 4094 }).success).toBe(true);
  });

  it("refuses an id out of range, and segment ids on other types, next to the field", () => {
    for (const id of [0, 4095, 1.5]) {
      expect(messages({ networkType: "vlan", physicalNetwork: "physnet1", segmentationId: id })).toEqual([
        "provider.segmentationId: The VLAN id is a whole number from 1 to 4094.",
      ]);
    }
    expect(messages({ networkType: "vxlan", segmentationId: 5 })).toEqual(["provider.segmentationId: Nimbus gives every vxlan network its VNI."]);
    expect(messages({ networkType: "flat", physicalNetwork: "physnet1", segmentationId: 5 })).toEqual([
      "provider.segmentationId: A flat network carries no VLAN id.",
    ]);
    expect(messages({ networkType: "flat" })).toEqual(["provider.physicalNetwork: A flat network names its physical network."]);
    expect(messages({ networkType: "gre" })[0]).toMatch(/^provider.networkType: A network is flat .*, vlan .* or vxlan/);
  });
});
