import { z } from "zod";

/**
 * Nova's and Cinder's default quotas, and Glance's per-project image limits; -1 means unlimited.
 * The image limits are Glance's (unified limits), in Glance's units (MiB for sizes):
 * - `image_count_total` 100: images the project owns in any state but deleted (killed ones count
 *   until deleted, as in Glance); a catalogue of 100 is plenty, a flood of uploads is not.
 * - `image_size_total` 102,400 MiB (100 GiB): the bytes of the project's active images plus what
 *   its uploads under way have received; five images at the default per-image cap
 *   (NIMBUS_IMAGE_MAX_BYTES, 20 GiB), a tenth of the volume storage default.
 * - `image_stage_total` 20,480 MiB (20 GiB): what its uploads under way may hold at once; one
 *   upload at the per-image cap, so parallel uploads cannot fill the store's disk together.
 */
export const DEFAULT_QUOTAS = {
  instances: 10,
  cores: 20,
  ram: 51_200,
  volumes: 10,
  gigabytes: 1_000,
  key_pairs: 100,
  server_groups: 10,
  image_count_total: 100,
  image_size_total: 102_400,
  image_stage_total: 20_480,
} as const;

/** The image quotas' sizes are in MiB (as Glance's); usage is counted in bytes and compared exactly. */
export const QUOTA_MIB = 1024 * 1024;

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
  image_count_total: "images",
  image_size_total: "MiB of image storage",
  image_stage_total: "MiB of image uploads under way",
};

export function describeOverage(o: QuotaOverage): string {
  return `Quota exceeded for ${LABEL[o.resource]}: requested ${o.requested}, already used ${o.used} of ${o.limit}.`;
}
