import { count as plural } from "../plural";
import type { Filter, FilterOutcome, HostState, Rejection, RequestSpec, ResourceClass } from "./types";

const NOUN: Record<ResourceClass, { word: string; unit: (n: number) => string; need: (s: RequestSpec) => number }> = {
  VCPU: { word: "vCPUs", unit: (n) => (n === 1 ? "vCPU" : "vCPUs"), need: (s) => s.vcpus },
  MEMORY_MB: { word: "RAM", unit: () => "MB", need: (s) => s.memoryMb },
  DISK_GB: { word: "disk", unit: () => "GB", need: (s) => s.diskGb },
};

/**
 * Plain words for a NoValidHost, e.g.
 * "3 hosts considered: 1 disabled; 2 lacked RAM (needed 4096 MB, most free 2048 MB)".
 */
export function explainNoValidHost(considered: number, outcomes: readonly FilterOutcome[], spec: RequestSpec): string {
  if (considered === 0) return "No compute hosts are registered: ask an operator to start a compute agent.";
  const parts: string[] = [];
  for (const outcome of outcomes) {
    const groups = new Map<string, typeof outcome.reasons>();
    for (const r of outcome.reasons) groups.set(r.reason, [...(groups.get(r.reason) ?? []), r]);
    for (const [reason, list] of groups) {
      const rc = list[0]?.resourceClass;
      if (rc) {
        const noun = NOUN[rc];
        const mostFree = Math.max(...list.map((r) => r.free ?? 0));
        const needed = noun.need(spec);
        const most = Math.max(mostFree, 0);
        parts.push(`${list.length} lacked ${noun.word} (needed ${needed} ${noun.unit(needed)}, most free ${most} ${noun.unit(most)})`);
      } else if (reason === "down") {
        parts.push(`${list.length} down (${list.map((r) => describeDown(r.downSince ?? null)).join("; ")})`);
      } else {
        parts.push(`${list.length} ${reason}`);
      }
    }
  }
  return `${plural(considered, "host")} considered: ${parts.join("; ")}.`;
}

/** A time of day as a fault states it, e.g. "12:03:05 UTC" (the fault is stored, so it names its zone). */
export function clockTime(at: Date): string {
  return `${at.toISOString().slice(11, 19)} UTC`;
}

/** Why a host is down, in plain words: "its compute agent stopped answering; down since 12:03:05 UTC". */
export function describeDown(downSince: Date | null): string {
  return downSince ? `its compute agent stopped answering; down since ${clockTime(downSince)}` : "its compute agent never connected";
}

export interface HostVerdict {
  hostname: string;
  /** null when the host passes every filter. */
  rejectedBy: string | null;
  reason: string | null;
}

/** Per host: the first filter that refuses it and why, in plain words (for the placement preview). */
export function hostVerdicts(hosts: readonly HostState[], spec: RequestSpec, filters: readonly Filter[]): HostVerdict[] {
  return hosts.map((host) => {
    for (const filter of filters) {
      const rejection = filter.check(host, spec);
      if (rejection) return { hostname: host.hostname, rejectedBy: filter.name, reason: describeRejection(rejection, spec, host) };
    }
    return { hostname: host.hostname, rejectedBy: null, reason: null };
  });
}

function describeRejection(rejection: Rejection, spec: RequestSpec, host: HostState): string {
  const rc = rejection.resourceClass;
  if (rc) {
    const noun = NOUN[rc];
    const needed = noun.need(spec);
    const available = Math.max(rejection.free ?? 0, 0);
    return `lacks ${noun.word}: needs ${needed} ${noun.unit(needed)}, ${available} ${noun.unit(available)} free`;
  }
  if (rejection.reason === "down") return `down (${describeDown(rejection.downSince ?? null)})`;
  // The operator's reason, as the host inventory shows it (this preview is for operators only).
  if (rejection.reason === "disabled" && host.disabledReason) return `disabled: ${host.disabledReason}`;
  return rejection.reason;
}
