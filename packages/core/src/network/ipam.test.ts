import { describe, expect, it } from "vitest";
import { cidrsOfAddresses, cidrsOfRange, ipToInt, parseCidr } from "./ipam";

/** Every address a list of CIDRs holds, as numbers in order. */
const addressesOf = (cidrs: string[]) =>
  cidrs.flatMap((cidr) => {
    const { network, broadcast } = parseCidr(cidr);
    return Array.from({ length: broadcast - network + 1 }, (_, i) => network + i);
  });

describe("cidrsOfRange", () => {
  it("covers a run of addresses with the fewest aligned blocks", () => {
    expect(cidrsOfRange(ipToInt("10.0.0.2"), ipToInt("10.0.0.9"))).toEqual(["10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/31"]);
    expect(cidrsOfRange(ipToInt("10.0.0.7"), ipToInt("10.0.0.7"))).toEqual(["10.0.0.7/32"]);
    expect(cidrsOfRange(ipToInt("10.128.0.0"), ipToInt("10.128.255.255"))).toEqual(["10.128.0.0/16"]);
    expect(cidrsOfRange(0, 2 ** 32 - 1)).toEqual(["0.0.0.0/0"]);
  });

  it("holds exactly the addresses of the range, no more", () => {
    for (const [first, last] of [
      [ipToInt("192.168.1.1"), ipToInt("192.168.3.254")],
      [ipToInt("10.0.0.3"), ipToInt("10.0.1.0")],
      [ipToInt("255.255.255.250"), ipToInt("255.255.255.255")],
    ] as const) {
      const addresses = addressesOf(cidrsOfRange(first, last));
      expect(addresses).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
    }
  });
});

describe("cidrsOfAddresses", () => {
  it("joins consecutive addresses into blocks and keeps the rest apart", () => {
    const addresses = ["10.0.0.9", "10.0.0.2", "10.0.0.3", "10.0.0.5", "10.0.0.3", "10.0.0.4", "192.0.2.1"].map(ipToInt);
    expect(cidrsOfAddresses(addresses)).toEqual(["10.0.0.2/31", "10.0.0.4/31", "10.0.0.9/32", "192.0.2.1/32"]);
    expect(addressesOf(cidrsOfAddresses(addresses))).toEqual([...new Set(addresses)].sort((a, b) => a - b));
    expect(cidrsOfAddresses([])).toEqual([]);
  });
});
