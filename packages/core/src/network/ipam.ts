/** IPv4 address arithmetic for subnets and allocation pools (pure: safe in the browser). */

export interface ParsedCidr {
  /** Network address as an unsigned 32-bit number. */
  network: number;
  prefix: number;
  broadcast: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: string): boolean {
  return IPV4.test(value);
}

export function ipToInt(ip: string): number {
  if (!isIpv4(ip)) throw new Error(`${ip} is not an IPv4 address.`);
  return ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

export function intToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The dotted netmask of a prefix length: 24 → 255.255.255.0. */
export function netmaskOf(prefix: number): string {
  return intToIp(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
}

/** Parses `a.b.c.d/n`; the address must be the network address (10.0.0.0/24, not 10.0.0.5/24). */
export function parseCidr(cidr: string): ParsedCidr {
  const [address = "", bits = ""] = cidr.split("/");
  const prefix = Number(bits);
  if (!isIpv4(address) || !/^\d{1,2}$/.test(bits) || prefix > 32) throw new Error(`${cidr} is not an IPv4 CIDR such as 10.0.0.0/24.`);
  const size = 2 ** (32 - prefix);
  const value = ipToInt(address);
  const network = value - (value % size);
  if (network !== value) throw new Error(`${cidr} is not a network address; did you mean ${intToIp(network)}/${prefix}?`);
  return { network, prefix, broadcast: network + size - 1 };
}

/** Neutron's default pool: every host address except the gateway's. */
export function defaultAllocationPools(cidr: string, gatewayIp: string | null): { start: string; end: string }[] {
  const { network, broadcast, prefix } = parseCidr(cidr);
  if (prefix > 30) throw new Error(`${cidr} is too small: use a /30 or larger.`);
  const first = network + 1;
  const last = broadcast - 1;
  const gateway = gatewayIp ? ipToInt(gatewayIp) : null;
  if (gateway === null || gateway < first || gateway > last) return [{ start: intToIp(first), end: intToIp(last) }];
  const pools = [];
  if (gateway > first) pools.push({ start: intToIp(first), end: intToIp(gateway - 1) });
  if (gateway < last) pools.push({ start: intToIp(gateway + 1), end: intToIp(last) });
  return pools;
}

/** How many addresses the pools hold. */
export function poolSize(pools: { start: string; end: string }[]): number {
  return pools.reduce((sum, p) => sum + ipToInt(p.end) - ipToInt(p.start) + 1, 0);
}

/**
 * The fewest CIDR blocks that hold exactly the addresses `first`..`last` (inclusive, as numbers):
 * 10.0.0.2–10.0.0.9 → 10.0.0.2/31, 10.0.0.4/30, 10.0.0.8/31. Each block is the largest aligned
 * one that starts at the next address and still ends inside the range.
 */
export function cidrsOfRange(first: number, last: number): string[] {
  const blocks: string[] = [];
  for (let start = first; start <= last; ) {
    let size = 1;
    while (size < 2 ** 32 && start % (size * 2) === 0 && start + size * 2 - 1 <= last) size *= 2;
    blocks.push(`${intToIp(start)}/${32 - Math.log2(size)}`);
    start += size;
  }
  return blocks;
}

/** The fewest CIDR blocks that hold exactly the given addresses (as numbers, in any order, repeats allowed). */
export function cidrsOfAddresses(addresses: number[]): string[] {
  const sorted = [...new Set(addresses)].sort((a, b) => a - b);
  const blocks: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    if (i === j) blocks.push(`${intToIp(sorted[i]!)}/32`);
    else blocks.push(...cidrsOfRange(sorted[i]!, sorted[j]!));
    i = j + 1;
  }
  return blocks;
}
