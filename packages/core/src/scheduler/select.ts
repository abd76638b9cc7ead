import { explainNoValidHost } from "./explain";
import { defaultFilters } from "./filters";
import type { Filter, FilterOutcome, HostState, Rejection, RequestSpec, ScheduleResult, Weigher } from "./types";
import { defaultWeighers, weigh } from "./weighers";

export interface SelectOptions {
  filters?: readonly Filter[];
  weighers?: readonly Weigher[];
  /** Chosen host plus alternates (Nova's max_attempts). */
  maxAttempts?: number;
  /** Pick at random among the best N (Nova's host_subset_size), to spread concurrent requests. */
  hostSubsetSize?: number;
  random?: () => number;
}

/**
 * Filters then weighs; returns the chosen host first followed by alternates, or an
 * explanation of which filter removed how many hosts and why.
 */
export function selectHosts(hosts: readonly HostState[], spec: RequestSpec, options: SelectOptions = {}): ScheduleResult {
  const filters = options.filters ?? defaultFilters;
  let remaining: HostState[] = [...hosts];
  const outcomes: FilterOutcome[] = [];
  for (const filter of filters) {
    const kept: HostState[] = [];
    const reasons: Rejection[] = [];
    for (const host of remaining) {
      const rejection = filter.check(host, spec);
      if (rejection) reasons.push(rejection);
      else kept.push(host);
    }
    if (reasons.length > 0) outcomes.push({ filter: filter.name, removed: reasons.length, reasons });
    remaining = kept;
    if (remaining.length === 0) break;
  }
  if (remaining.length === 0) {
    return { ok: false, considered: hosts.length, outcomes, explanation: explainNoValidHost(hosts.length, outcomes, spec) };
  }
  const ranked = weigh(remaining, spec, options.weighers ?? defaultWeighers);
  const subset = Math.min(ranked.length, Math.max(1, options.hostSubsetSize ?? 1));
  const pick = subset > 1 ? Math.floor((options.random ?? Math.random)() * subset) : 0;
  const chosen = ranked[pick]!;
  const alternates = ranked.filter((h) => h !== chosen);
  return { ok: true, hosts: [chosen, ...alternates].slice(0, Math.max(1, options.maxAttempts ?? 3)), considered: hosts.length };
}
