import { explainNoValidHost } from "./explain";
import { defaultFilters } from "./filters";
import type { Filter, FilterOutcome, HostState, RequestSpec, ScheduleResult, Weigher } from "./types";
import { defaultWeighers, weigh } from "./weighers";

export interface SelectOptions {
  filters?: readonly Filter[];
  weighers?: readonly Weigher[];
  /** Chosen host plus alternates (Nova's max_attempts). */
  maxAttempts?: number;
}

/**
 * Filters then weighs; returns the best host first followed by alternates, or an explanation of
 * which filter removed how many hosts and why.
 */
export function selectHosts(hosts: readonly HostState[], spec: RequestSpec, options: SelectOptions = {}): ScheduleResult {
  const filters = options.filters ?? defaultFilters;
  let remaining = [...hosts];
  const outcomes: FilterOutcome[] = [];
  for (const filter of filters) {
    const kept: HostState[] = [];
    const reasons = [];
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
  return { ok: true, hosts: ranked.slice(0, Math.max(1, options.maxAttempts ?? 3)), considered: hosts.length };
}
