import { DEFAULT_QUOTAS, findOverages, type QuotaVector } from "@nimbus/core/quota-limits";
import type { Flavor, QuotaUsage } from "@/lib/api-types";
import { figuresOf, freeOf, QUOTA_RESOURCES, type QuotaResourceSpec } from "@/lib/quota";

export interface ResourceImpact {
  spec: QuotaResourceSpec;
  limit: number;
  used: number;
  /** What this launch would add (0 until a flavor is chosen, for vCPUs and RAM). */
  requested: number;
  /** Left after this launch; null without a limit; negative when the launch does not fit. */
  freeAfter: number | null;
}

/** Quota use of a launch of `count` instances of `flavor`, per resource (as the server will count it). */
export function launchImpact(usage: QuotaUsage, flavor: Flavor | undefined, count: number): ResourceImpact[] {
  const requested = {
    instances: count,
    cores: flavor ? count * flavor.vcpus : 0,
    ram: flavor ? count * flavor.memoryMb : 0,
  };
  return QUOTA_RESOURCES.map((spec) => {
    const { limit, used } = usage[spec.key];
    const free = freeOf({ limit, used });
    return { spec, limit, used, requested: requested[spec.key], freeAfter: free === null ? null : limit - used - requested[spec.key] };
  });
}

/** The first resource the launch would exceed, by the server's own rule, or undefined when it fits. */
function firstOverage(impacts: ResourceImpact[]): ResourceImpact | undefined {
  const by = (pick: (i: ResourceImpact) => number): QuotaVector => Object.fromEntries(impacts.map((i) => [i.spec.key, pick(i)]));
  const [over] = findOverages(
    { ...DEFAULT_QUOTAS, ...by((i) => i.limit) },
    by((i) => i.used),
    by((i) => i.requested),
  );
  return over && impacts.find((i) => i.spec.key === over.resource);
}

/** The first resource the launch would exceed, in a sentence, or null when it fits. */
export function quotaProblem(impacts: ResourceImpact[]): string | null {
  const over = firstOverage(impacts);
  if (!over) return null;
  const free = Math.max(0, over.limit - over.used);
  const { format } = figuresOf(over.spec, [over.requested, free]);
  const needs = `Needs ${format(over.requested)}`;
  if (free === 0) return `${needs}, but none of your ${over.spec.quotaName} quota is free.`;
  const verb = free === 1 || over.spec.key === "ram" ? "is" : "are";
  return `${needs}, but only ${format(free)} ${verb} free in your ${over.spec.quotaName} quota.`;
}

/**
 * Why a launch of `count` instances (at least `minCount` of them, when given) does not fit the
 * instance quota, for the field that asks too much; null when it fits. Said at the Count field,
 * as the other count errors are, rather than by greying every flavor a step later.
 */
export function countQuotaError(
  usage: Pick<QuotaUsage, "instances">,
  count: number,
  minCount: number | null,
): { field: "count" | "minCount"; message: string } | null {
  const free = freeOf(usage.instances);
  const needed = minCount ?? count;
  if (free === null || needed <= free) return null;
  const message =
    free === 0 ? "No instances are free in your quota." : `Only ${free} ${free === 1 ? "instance is" : "instances are"} free in your quota.`;
  return { field: minCount === null ? "count" : "minCount", message };
}

/**
 * Why `count` instances of `flavor` cannot be launched within the quota, in the words shown next
 * to the flavor ("Exceeds your vCPU quota: needs 8, 4 free"), or null when they fit.
 */
export function flavorQuotaBlocker(usage: QuotaUsage, flavor: Flavor, count: number): string | null {
  const over = firstOverage(launchImpact(usage, flavor, count));
  if (!over) return null;
  const free = Math.max(0, over.limit - over.used);
  return `Exceeds your ${over.spec.quotaName} quota: needs ${over.spec.amount(over.requested)}, ${over.spec.amount(free)} free`;
}
