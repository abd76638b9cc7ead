import { free } from "./capacity";
import type { HostState, RequestSpec, Weigher } from "./types";

/** RAMWeigher: more free RAM weighs more (spread); a negative multiplier packs. */
export const ramWeigher = (multiplier = 1): Weigher => ({
  name: "RAMWeigher",
  multiplier,
  value: (host) => free(host.inventories.MEMORY_MB),
});

export const cpuWeigher = (multiplier = 1): Weigher => ({
  name: "CPUWeigher",
  multiplier,
  value: (host) => free(host.inventories.VCPU),
});

export const defaultWeighers: readonly Weigher[] = [ramWeigher(1), cpuWeigher(1)];

/**
 * Nova's weighing: each weigher's raw values are normalised to [0, 1] over the candidates
 * (min → 0, max → 1; all equal → 0), multiplied, and summed. Highest total first; ties keep
 * the input order so the result is deterministic.
 */
export function weigh(hosts: readonly HostState[], spec: RequestSpec, weighers: readonly Weigher[]): HostState[] {
  const totals = new Array<number>(hosts.length).fill(0);
  for (const weigher of weighers) {
    const values = hosts.map((h) => weigher.value(h, spec));
    const min = Math.min(...values);
    const max = Math.max(...values);
    const range = max - min;
    values.forEach((v, i) => {
      totals[i]! += range === 0 ? 0 : (weigher.multiplier * (v - min)) / range;
    });
  }
  return hosts
    .map((host, index) => ({ host, index, total: totals[index]! }))
    .sort((a, b) => b.total - a.total || a.index - b.index)
    .map((x) => x.host);
}
