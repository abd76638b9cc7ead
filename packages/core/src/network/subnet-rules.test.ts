import { describe, expect, it } from "vitest";
import { randomPoolAddresses } from "./ports";
import { checkRule } from "./security-group-rules";
import { checkSubnet, subnetFieldsSchema } from "./subnet-rules";

const subnet = (fields: Record<string, unknown>) => subnetFieldsSchema.parse({ cidr: "10.0.0.0/24", ...fields });
const pathsOf = (issues: { path: string }[]) => issues.map((i) => i.path);

describe("checkSubnet", () => {
  it("defaults the gateway to the first host and the pool to the rest", () => {
    const { subnet: checked, issues } = checkSubnet(subnet({}), []);
    expect(issues).toEqual([]);
    expect(checked).toMatchObject({ gatewayIp: "10.0.0.1", allocationPools: [{ start: "10.0.0.2", end: "10.0.0.254" }], enableDhcp: true });
  });

  it("keeps no gateway when asked for none", () => {
    const { subnet: checked } = checkSubnet(subnet({ gatewayIp: null }), []);
    expect(checked).toMatchObject({ gatewayIp: null, allocationPools: [{ start: "10.0.0.1", end: "10.0.0.254" }] });
  });

  it("names the field of each problem", () => {
    expect(pathsOf(checkSubnet(subnet({ cidr: "10.0.0.5/24" }), []).issues)).toEqual(["cidr"]);
    expect(checkSubnet(subnet({ cidr: "10.0.0.5/24" }), []).issues[0]!.message).toContain("did you mean 10.0.0.0/24");
    expect(pathsOf(checkSubnet(subnet({ cidr: "10.0.0.0/31" }), []).issues)).toEqual(["cidr"]);
    expect(pathsOf(checkSubnet(subnet({ gatewayIp: "10.0.1.1" }), []).issues)).toEqual(["gatewayIp"]);
    expect(pathsOf(checkSubnet(subnet({ gatewayIp: "10.0.0.0" }), []).issues)).toEqual(["gatewayIp"]);
    expect(pathsOf(checkSubnet(subnet({ gatewayIp: "10.0.0.255" }), []).issues)).toEqual(["gatewayIp"]);
    expect(pathsOf(checkSubnet(subnet({ gatewayIp: "gateway" }), []).issues)).toEqual(["gatewayIp"]);
    expect(pathsOf(checkSubnet(subnet({ dnsNameservers: ["8.8.8.8", "8.8.8.8", "dns"] }), []).issues)).toEqual(["dnsNameservers", "dnsNameservers"]);
  });

  it("refuses pools outside the CIDR, holding the gateway, or overlapping each other", () => {
    const pools = (allocationPools: { start: string; end: string }[]) => checkSubnet(subnet({ allocationPools }), []).issues.map((i) => i.message);
    expect(pools([{ start: "10.0.0.10", end: "10.0.1.20" }])).toEqual([expect.stringContaining("is not inside the host addresses of 10.0.0.0/24")]);
    expect(pools([{ start: "10.0.0.0", end: "10.0.0.20" }])).toEqual([expect.stringContaining("is not inside")]);
    expect(pools([{ start: "10.0.0.1", end: "10.0.0.20" }])).toEqual([expect.stringContaining("contains the gateway 10.0.0.1")]);
    expect(pools([{ start: "10.0.0.20", end: "10.0.0.10" }])).toEqual([expect.stringContaining("ends before it starts")]);
    expect(
      pools([
        { start: "10.0.0.10", end: "10.0.0.20" },
        { start: "10.0.0.20", end: "10.0.0.30" },
      ]),
    ).toEqual([expect.stringContaining("overlap")]);
    expect(
      pools([
        { start: "10.0.0.10", end: "10.0.0.20" },
        { start: "10.0.0.21", end: "10.0.0.30" },
      ]),
    ).toEqual([]);
  });

  it("refuses a CIDR overlapping another subnet of the network", () => {
    const { issues } = checkSubnet(subnet({ cidr: "10.0.0.128/25" }), [{ name: "first", cidr: "10.0.0.0/24" }]);
    expect(issues).toEqual([{ path: "cidr", message: "10.0.0.128/25 overlaps 10.0.0.0/24 (subnet first) of this network.", kind: "overlap" }]);
    expect(checkSubnet(subnet({ cidr: "10.0.1.0/24" }), [{ name: "first", cidr: "10.0.0.0/24" }]).issues).toEqual([]);
  });
});

describe("checkRule", () => {
  const base = {
    groupId: "00000000-0000-4000-8000-000000000000",
    direction: "ingress" as const,
    protocol: "tcp" as const,
    portRangeMin: null,
    portRangeMax: null,
    remoteIpPrefix: null,
    remoteGroupId: null,
  };

  it("takes one port as a range of one, and a bare address as its /32", () => {
    expect(checkRule({ ...base, portRangeMin: 22, remoteIpPrefix: "203.0.113.5" }).rule).toMatchObject({
      portRangeMin: 22,
      portRangeMax: 22,
      remoteIpPrefix: "203.0.113.5/32",
    });
    expect(checkRule({ ...base, protocol: "any", remoteIpPrefix: "0.0.0.0/0" }).rule).toMatchObject({ protocol: null, remoteIpPrefix: null });
  });

  it("names the field of each problem", () => {
    expect(pathsOf(checkRule({ ...base, portRangeMin: 0, portRangeMax: 70000 }).issues)).toEqual(["portRangeMin", "portRangeMax"]);
    expect(pathsOf(checkRule({ ...base, portRangeMin: 90, portRangeMax: 80 }).issues)).toEqual(["portRangeMax"]);
    expect(pathsOf(checkRule({ ...base, protocol: "icmp", portRangeMin: 80 }).issues)).toEqual(["portRangeMin"]);
    expect(pathsOf(checkRule({ ...base, remoteIpPrefix: "10.0.0.1/24" }).issues)).toEqual(["remoteIpPrefix"]);
    expect(pathsOf(checkRule({ ...base, remoteIpPrefix: "10.0.0.0/24", remoteGroupId: base.groupId }).issues)).toEqual(["remoteGroupId"]);
  });
});

describe("randomPoolAddresses", () => {
  it("draws only addresses of the pools, never the gateway", () => {
    const pools = [
      { start: "10.0.0.2", end: "10.0.0.5" },
      { start: "10.0.0.10", end: "10.0.0.11" },
    ];
    const allowed = new Set(["10.0.0.2", "10.0.0.3", "10.0.0.5", "10.0.0.10", "10.0.0.11"]);
    for (let i = 0; i < 200; i++) {
      for (const ip of randomPoolAddresses(pools, "10.0.0.4", 16)) expect(allowed.has(ip), ip).toBe(true);
    }
    expect(randomPoolAddresses([{ start: "10.0.0.4", end: "10.0.0.4" }], "10.0.0.4", 16)).toEqual([]);
  });
});
