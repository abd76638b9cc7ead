import type { QuotaUsage } from "./api-types";
import { formatMemory } from "./format";

export type QuotaResourceKey = keyof QuotaUsage;

export interface QuotaResourceSpec {
  key: QuotaResourceKey;
  label: string;
  /** How an amount of this resource reads: "3", "3 vCPUs", "2 GB". */
  format(amount: number): string;
}

export const QUOTA_RESOURCES: readonly QuotaResourceSpec[] = [
  { key: "instances", label: "Instances", format: (n) => `${n} ${n === 1 ? "instance" : "instances"}` },
  { key: "cores", label: "vCPUs", format: (n) => `${n} ${n === 1 ? "vCPU" : "vCPUs"}` },
  { key: "ram", label: "RAM", format: formatMemory },
];

/** -1 means unlimited, as in Nova. */
export function isUnlimited(limit: number): boolean {
  return limit < 0;
}

/** What is left under the limit (never negative), or null when there is no limit. */
export function freeOf({ limit, used }: { limit: number; used: number }): number | null {
  return isUnlimited(limit) ? null : Math.max(0, limit - used);
}
