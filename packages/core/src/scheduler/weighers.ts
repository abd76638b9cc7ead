import { free } from "./capacity";
import type { HostState, RequestSpec, Weigher } from "./types";

/** RAMWeigher: more free RAM weighs more (spread); a negative multiplier packs. */
export const ramWeigher = (multiplier = 1): Weigher => ({ name: "RAMWeigher", multiplier, value: (h) => free(h.inventories.MEMORY_MB) });
export const cpuWeigher = (multiplier = 1): Weigher => ({ name: "CPUWeigher", multiplier, value: (h) => free(h.inventories.VCPU) });
export const diskWeigher = (multiplier = 1): Weigher => ({ name: "DiskWeigher", multiplier, value: (h) => free(h.inventories.DISK_GB) });
/** NumInstancesWeigher: a negative multiplier prefers emptier hosts (Nova's default is 0: off). */
export const instanceCountWeigher = (multiplier = 0): Weigher => ({ name: "NumInstancesWeigher", multiplier, value: (h) => h.instanceCount });
/** BuildFailureWeigher: hosts that just failed builds sink (Nova: 1,000,000 against failures). */
export const buildFailureWeigher = (multiplier = 1_000_000): Weigher => ({ name: "BuildFailureWeigher", multiplier, value: (h) => -h.failedBuilds });

const membersHere = (host: HostState, spec: RequestSpec) => spec.group?.membersByHost.get(host.id) ?? 0;
/** Soft affinity: hosts with more members of the group weigh more. */
export const softAffinityWeigher = (multiplier = 1): Weigher => ({
  name: "ServerGroupSoftAffinityWeigher",
  multiplier,
  value: (h, s) => (s.group?.policy === "soft-affinity" ? membersHere(h, s) : 0),
});
/** Soft anti-affinity: hosts with fewer members of the group weigh more. */
export const softAntiAffinityWeigher = (multiplier = 1): Weigher => ({
  name: "ServerGroupSoftAntiAffinityWeigher",
  multiplier,
  value: (h, s) => (s.group?.policy === "soft-anti-affinity" ? -membersHere(h, s) : 0),
});

export interface WeigherMultipliers {
  ram: number;
  cpu: number;
  disk: number;
  instanceCount: number;
  buildFailure: number;
  softAffinity: number;
  softAntiAffinity: number;
}

export const DEFAULT_MULTIPLIERS: WeigherMultipliers = {
  ram: 1,
  cpu: 1,
  disk: 1,
  instanceCount: 0,
  buildFailure: 1_000_000,
  softAffinity: 1,
  softAntiAffinity: 1,
};

export function weighersFor(m: Partial<WeigherMultipliers> = {}): Weigher[] {
  const x = { ...DEFAULT_MULTIPLIERS, ...m };
  return [
    ramWeigher(x.ram),
    cpuWeigher(x.cpu),
    diskWeigher(x.disk),
    instanceCountWeigher(x.instanceCount),
    buildFailureWeigher(x.buildFailure),
    softAffinityWeigher(x.softAffinity),
    softAntiAffinityWeigher(x.softAntiAffinity),
  ].filter((w) => w.multiplier !== 0);
}

export const defaultWeighers: readonly Weigher[] = weighersFor();

/**
 * Nova's weighing: each weigher's raw values are normalised to [0, 1] over the candidates
 * (min → 0, max → 1; all equal → 0), multiplied, and summed. Highest total first; ties keep
 * the input order so the result is deterministic.
 */
export function weigh(hosts: readonly HostState[], spec: RequestSpec, weighers: readonly Weigher[]): HostState[] {
  const totals = new Float64Array(hosts.length);
  const values = new Float64Array(hosts.length);
  for (const weigher of weighers) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < hosts.length; i++) {
      const v = weigher.value(hosts[i]!, spec);
      values[i] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const range = max - min;
    if (range === 0) continue;
    for (let i = 0; i < hosts.length; i++) totals[i]! += (weigher.multiplier * (values[i]! - min)) / range;
  }
  return hosts
    .map((host, index) => ({ host, index, total: totals[index]! }))
    .sort((a, b) => b.total - a.total || a.index - b.index)
    .map((x) => x.host);
}
