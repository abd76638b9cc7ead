import { z } from "zod";

/** Nova's default quotas; -1 means unlimited. */
export const DEFAULT_QUOTAS = {
  instances: 10,
  cores: 20,
  ram: 51_200,
  volumes: 10,
  gigabytes: 1_000,
  key_pairs: 100,
  server_groups: 10,
} as const;

export type QuotaResource = keyof typeof DEFAULT_QUOTAS;

/** A quota limit as an admin sets it: a whole number, -1 for unlimited. */
export const quotaLimitSchema = z
  .number({ error: "Enter a whole number (-1 for unlimited)." })
  .int("Enter a whole number (-1 for unlimited).")
  .min(-1, "Use -1 for unlimited.")
  .max(1_000_000_000, "Use at most 1,000,000,000.");
export type QuotaVector = Partial<Record<QuotaResource, number>>;

export interface QuotaOverage {
  resource: QuotaResource;
  requested: number;
  used: number;
  limit: number;
}

/** Every resource where used + requested would pass the limit. */
export function findOverages(limits: Record<QuotaResource, number>, used: QuotaVector, requested: QuotaVector): QuotaOverage[] {
  const overs: QuotaOverage[] = [];
  for (const [resource, amount] of Object.entries(requested) as [QuotaResource, number][]) {
    const limit = limits[resource];
    const inUse = used[resource] ?? 0;
    if (limit >= 0 && amount > 0 && inUse + amount > limit) overs.push({ resource, requested: amount, used: inUse, limit });
  }
  return overs;
}

const LABEL: Record<QuotaResource, string> = {
  instances: "instances",
  cores: "vCPUs",
  ram: "MB of RAM",
  volumes: "volumes",
  gigabytes: "GB of volume storage",
  key_pairs: "key pairs",
  server_groups: "server groups",
};

export function describeOverage(o: QuotaOverage): string {
  return `Quota exceeded for ${LABEL[o.resource]}: requested ${o.requested}, already used ${o.used} of ${o.limit}.`;
}
