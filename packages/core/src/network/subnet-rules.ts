/** What makes a subnet valid, as field issues a form can show (pure: no database). */
import { z } from "zod";
import type { FieldIssue } from "../errors";
import { defaultAllocationPools, intToIp, ipToInt, isIpv4, parseCidr, type ParsedCidr } from "./ipam";
import { text } from "../validation";

export const MAX_DNS_NAMESERVERS = 5;
export const MAX_ALLOCATION_POOLS = 16;

/**
 * A subnet as the API takes it. Only the shapes are checked here; what the values mean (a CIDR,
 * a gateway inside it, pools that fit) is checked by `checkSubnet`, which names the field.
 * `gatewayIp`: absent or "" for the CIDR's first host address (Neutron's default), null for none.
 * `allocationPools`: empty for every host address except the gateway's.
 */
export const subnetFieldsSchema = z.object({
  name: text("Name").trim().default(""),
  cidr: text("The CIDR").trim().max(64),
  gatewayIp: text("The gateway").trim().max(64).nullable().optional(),
  allocationPools: z
    .array(z.object({ start: text("A pool's first address").trim().max(64), end: text("A pool's last address").trim().max(64) }))
    .max(100)
    .default([]),
  dnsNameservers: z.array(text("A DNS server").trim().max(64)).max(100).default([]),
  enableDhcp: z.boolean().default(true),
});
export type SubnetFields = z.output<typeof subnetFieldsSchema>;

/** A subnet ready to store: gateway resolved, pools defaulted. */
export interface CheckedSubnet {
  name: string;
  cidr: string;
  gatewayIp: string | null;
  allocationPools: { start: string; end: string }[];
  dnsNameservers: string[];
  enableDhcp: boolean;
}

/** Whether two CIDRs share any address. */
export function cidrsOverlap(a: ParsedCidr, b: ParsedCidr): boolean {
  return a.network <= b.broadcast && b.network <= a.broadcast;
}

/**
 * Checks a subnet against Neutron's rules and the network's other subnets: a valid IPv4 CIDR of
 * at most /30 that overlaps none of them, a gateway that is a host address inside it, pools of
 * host addresses inside it that neither overlap nor hold the gateway, IPv4 DNS servers.
 * Returns every problem at once, each with its field.
 */
export function checkSubnet(
  fields: SubnetFields,
  siblings: { name: string; cidr: string }[],
): { subnet: CheckedSubnet | null; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const issue = (path: string, message: string, kind?: FieldIssue["kind"]) => issues.push(kind ? { path, message, kind } : { path, message });

  if (fields.name.length > 255) issue("name", "Use at most 255 characters.");

  let cidr: ParsedCidr | null = null;
  if (fields.cidr === "") issue("cidr", "Enter a CIDR such as 10.0.0.0/24.");
  else {
    try {
      cidr = parseCidr(fields.cidr);
    } catch (error) {
      issue("cidr", (error as Error).message);
    }
  }
  if (cidr && cidr.prefix > 30) {
    issue("cidr", `A /${cidr.prefix} leaves no addresses to hand out: use a /30 or larger (a smaller prefix).`);
    cidr = null;
  }
  if (cidr) {
    for (const sibling of siblings) {
      if (cidrsOverlap(cidr, parseCidr(sibling.cidr))) {
        issue("cidr", `${fields.cidr} overlaps ${sibling.cidr}${sibling.name ? ` (subnet ${sibling.name})` : ""} of this network.`, "overlap");
      }
    }
  }
  const firstHost = cidr ? cidr.network + 1 : null;
  const lastHost = cidr ? cidr.broadcast - 1 : null;

  // Gateway: absent or blank is the first host address; null is none.
  let gatewayIp: string | null = null;
  if (fields.gatewayIp === undefined || fields.gatewayIp === "") {
    gatewayIp = firstHost === null ? null : intToIp(firstHost);
  } else if (fields.gatewayIp !== null) {
    const gateway = fields.gatewayIp;
    if (!isIpv4(gateway)) issue("gatewayIp", `${gateway} is not an IPv4 address.`);
    else if (cidr) {
      const n = ipToInt(gateway);
      if (n < cidr.network || n > cidr.broadcast) issue("gatewayIp", `The gateway must be inside ${fields.cidr}.`);
      else if (n === cidr.network) issue("gatewayIp", `${gateway} is the network address of ${fields.cidr}; the gateway needs a host address.`);
      else if (n === cidr.broadcast) issue("gatewayIp", `${gateway} is the broadcast address of ${fields.cidr}; the gateway needs a host address.`);
    }
    gatewayIp = gateway;
  }

  let allocationPools: { start: string; end: string }[] = [];
  if (fields.allocationPools.length === 0) {
    if (cidr && (gatewayIp === null || isIpv4(gatewayIp))) allocationPools = defaultAllocationPools(fields.cidr, gatewayIp);
  } else {
    allocationPools = checkPools(fields.allocationPools, { cidr, cidrText: fields.cidr, firstHost, lastHost, gatewayIp }, (message) =>
      issue("allocationPools", message),
    );
  }

  if (fields.dnsNameservers.length > MAX_DNS_NAMESERVERS) issue("dnsNameservers", `Give at most ${MAX_DNS_NAMESERVERS} DNS nameservers.`);
  const seen = new Set<string>();
  for (const server of fields.dnsNameservers) {
    if (!isIpv4(server)) issue("dnsNameservers", `${server || "(blank)"} is not an IPv4 address.`);
    else if (seen.has(server)) issue("dnsNameservers", `${server} is listed twice.`);
    seen.add(server);
  }

  if (issues.length > 0 || !cidr) return { subnet: null, issues };
  return {
    subnet: {
      name: fields.name,
      cidr: fields.cidr,
      gatewayIp,
      allocationPools,
      dnsNameservers: fields.dnsNameservers,
      enableDhcp: fields.enableDhcp,
    },
    issues,
  };
}

function checkPools(
  pools: { start: string; end: string }[],
  {
    cidr,
    cidrText,
    firstHost,
    lastHost,
    gatewayIp,
  }: { cidr: ParsedCidr | null; cidrText: string; firstHost: number | null; lastHost: number | null; gatewayIp: string | null },
  problem: (message: string) => void,
): { start: string; end: string }[] {
  if (pools.length > MAX_ALLOCATION_POOLS) problem(`Give at most ${MAX_ALLOCATION_POOLS} allocation pools.`);
  const ranges: { start: number; end: number; label: string }[] = [];
  for (const [index, pool] of pools.entries()) {
    const label = `Pool ${index + 1} (${pool.start || "?"}–${pool.end || "?"})`;
    const bad = [pool.start, pool.end].filter((ip) => !isIpv4(ip));
    if (bad.length > 0) {
      problem(`${label}: ${bad[0] || "(blank)"} is not an IPv4 address.`);
      continue;
    }
    const start = ipToInt(pool.start);
    const end = ipToInt(pool.end);
    if (start > end) {
      problem(`${label} ends before it starts.`);
      continue;
    }
    if (cidr && firstHost !== null && lastHost !== null && (start < firstHost || end > lastHost)) {
      problem(`${label} is not inside the host addresses of ${cidrText} (${intToIp(firstHost)}–${intToIp(lastHost)}).`);
      continue;
    }
    if (gatewayIp && isIpv4(gatewayIp)) {
      const gateway = ipToInt(gatewayIp);
      if (gateway >= start && gateway <= end) {
        problem(`${label} contains the gateway ${gatewayIp}.`);
        continue;
      }
    }
    ranges.push({ start, end, label });
  }
  ranges.sort((a, b) => a.start - b.start);
  for (let i = 1; i < ranges.length; i++) {
    const previous = ranges[i - 1]!;
    const current = ranges[i]!;
    if (current.start <= previous.end) problem(`${previous.label} and ${current.label} overlap.`);
  }
  return ranges.map((r) => ({ start: intToIp(r.start), end: intToIp(r.end) }));
}

/** Field issues under a prefix: `cidr` of the first subnet of a new network is `subnet.cidr`. */
export function prefixIssues(issues: FieldIssue[], prefix: string): FieldIssue[] {
  return issues.map((i) => ({ path: `${prefix}${i.path}`, message: i.message }));
}

/** One message for API callers; forms show each issue next to its field. */
export function issuesMessage(issues: FieldIssue[]): string {
  return issues.map((i) => i.message).join(" ");
}
