import type { SecurityGroupRule } from "./types";

/** "TCP", "ICMP", "Any" */
export function protocolLabel(protocol: SecurityGroupRule["protocol"]): string {
  return protocol ? protocol.toUpperCase() : "Any";
}

/** "22", "8000–8080", or "Any" (all ports, or a protocol without ports). */
export function portRangeLabel(rule: Pick<SecurityGroupRule, "protocol" | "portRangeMin" | "portRangeMax">): string {
  if (rule.protocol !== "tcp" && rule.protocol !== "udp") return "Any";
  if (rule.portRangeMin === null) return "Any";
  return rule.portRangeMin === rule.portRangeMax || rule.portRangeMax === null
    ? String(rule.portRangeMin)
    : `${rule.portRangeMin}–${rule.portRangeMax}`;
}

/** Where the traffic comes from (ingress) or goes to (egress). */
export function remoteLabel(rule: Pick<SecurityGroupRule, "remoteIpPrefix" | "remoteGroupId" | "remoteGroupName">): string {
  if (rule.remoteGroupId) return `group ${rule.remoteGroupName ?? rule.remoteGroupId}`;
  return rule.remoteIpPrefix ?? "0.0.0.0/0 (anywhere)";
}

/** "ingress TCP 22 from 0.0.0.0/0 (anywhere)": names a rule, e.g. for its delete button. */
export function describeRule(rule: SecurityGroupRule): string {
  const ports = rule.protocol === "tcp" || rule.protocol === "udp" ? ` port ${portRangeLabel(rule)}` : "";
  return `${rule.direction} ${protocolLabel(rule.protocol)}${ports} ${rule.direction === "ingress" ? "from" : "to"} ${remoteLabel(rule)}`;
}
