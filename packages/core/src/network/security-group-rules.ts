/**
 * Security group rules as values (Neutron's rule checks), with no database: what the API
 * accepts, how a rule is normalised and compared, and how a stored rule's protocol is filtered
 * on a host. The verbs (security-group-admin) and the port specs (ports) both build on it.
 */
import type { SecurityGroupRuleRow } from "@nimbus/db/schema";
import { z } from "zod";
import type { FieldIssue } from "../errors";
import { isIpv4, parseCidr } from "./ipam";
import { text } from "../validation";

export const RULE_PROTOCOLS = ["tcp", "udp", "icmp", "any"] as const;
export type RuleProtocol = (typeof RULE_PROTOCOLS)[number];

/** A stored rule's protocol as the host filters it: tcp, udp or icmp, or null for any. */
export function filteredProtocol(protocol: string | null): "tcp" | "udp" | "icmp" | null {
  return protocol === "tcp" || protocol === "udp" || protocol === "icmp" ? protocol : null;
}

/**
 * A rule as the API takes it. Port ranges (TCP and UDP only; a single `portRangeMin` is one
 * port), the remote CIDR and the remote group are checked by `checkRule`, which names the field.
 * Neither remote: anywhere.
 */
export const addRuleInput = z.object({
  groupId: z.uuid("Choose a security group."),
  direction: z.enum(["ingress", "egress"], "Choose ingress or egress."),
  protocol: z.enum(RULE_PROTOCOLS, "Choose TCP, UDP, ICMP or any.").default("any"),
  portRangeMin: z
    .number()
    .int("Ports are whole numbers.")
    .min(0, "Ports run from 1 to 65535.")
    .max(65535, "Ports run from 1 to 65535.")
    .nullable()
    .default(null),
  portRangeMax: z
    .number()
    .int("Ports are whole numbers.")
    .min(0, "Ports run from 1 to 65535.")
    .max(65535, "Ports run from 1 to 65535.")
    .nullable()
    .default(null),
  remoteIpPrefix: text("The remote CIDR").trim().max(64).nullable().default(null),
  remoteGroupId: z.uuid("Not a security group id.").nullable().default(null),
});
export type AddRuleInput = z.output<typeof addRuleInput>;

/** A rule in the form it is stored and compared in. */
export interface NormalRule {
  direction: "ingress" | "egress";
  protocol: "tcp" | "udp" | "icmp" | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
}

/**
 * Neutron's rule checks: ports only for TCP/UDP, 1–65535 with min ≤ max; a remote CIDR (a bare
 * address is its /32; 0.0.0.0/0 is "anywhere") or a remote group, not both.
 */
export function checkRule(input: AddRuleInput): { rule: NormalRule | null; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const protocol = input.protocol === "any" ? null : input.protocol;
  let portRangeMin = input.portRangeMin;
  let portRangeMax = input.portRangeMax;
  if (protocol === "tcp" || protocol === "udp") {
    if (portRangeMin === null && portRangeMax !== null) issues.push({ path: "portRangeMin", message: "Enter the first port of the range." });
    if (portRangeMin !== null && portRangeMax === null) portRangeMax = portRangeMin;
    for (const [path, port] of [
      ["portRangeMin", portRangeMin],
      ["portRangeMax", portRangeMax],
    ] as const) {
      if (port !== null && (port < 1 || port > 65535)) issues.push({ path, message: "Ports run from 1 to 65535." });
    }
    if (portRangeMin !== null && portRangeMax !== null && portRangeMin > portRangeMax) {
      issues.push({ path: "portRangeMax", message: `The last port cannot be below the first (${portRangeMin}).` });
    }
  } else if (portRangeMin !== null || portRangeMax !== null) {
    issues.push({ path: "portRangeMin", message: "Port ranges apply to TCP and UDP only." });
    portRangeMin = portRangeMax = null;
  }

  let remoteIpPrefix = input.remoteIpPrefix || null;
  if (remoteIpPrefix !== null && input.remoteGroupId !== null) {
    issues.push({ path: "remoteGroupId", message: "Choose a remote CIDR or a remote group, not both." });
  } else if (remoteIpPrefix !== null) {
    const cidr = isIpv4(remoteIpPrefix) ? `${remoteIpPrefix}/32` : remoteIpPrefix;
    try {
      const parsed = parseCidr(cidr);
      remoteIpPrefix = parsed.prefix === 0 ? null : cidr;
    } catch (error) {
      issues.push({ path: "remoteIpPrefix", message: (error as Error).message });
    }
  }
  if (issues.length > 0) return { rule: null, issues };
  return { rule: { direction: input.direction, protocol, portRangeMin, portRangeMax, remoteIpPrefix, remoteGroupId: input.remoteGroupId }, issues };
}

export function sameRule(a: NormalRule, b: SecurityGroupRuleRow): boolean {
  return (
    a.direction === b.direction &&
    a.protocol === (b.protocol ?? null) &&
    a.portRangeMin === b.portRangeMin &&
    a.portRangeMax === b.portRangeMax &&
    a.remoteIpPrefix === b.remoteIpPrefix &&
    a.remoteGroupId === b.remoteGroupId
  );
}
