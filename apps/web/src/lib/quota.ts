import type { QuotaUsage } from "./api-types";
import { formatBytes, formatMemory, formatMemoryIn, memoryUnitFor } from "./format";

export type QuotaResourceKey = keyof QuotaUsage;
/** The compute quotas the overview and the launch wizard weigh (volumes and key pairs have their own pages). */
export type ComputeQuotaKey = "instances" | "cores" | "ram";

export interface QuotaResourceSpec {
  key: QuotaResourceKey;
  label: string;
  /** The quota's name in a sentence: "Exceeds your vCPU quota". */
  quotaName: string;
  /** How an amount of this resource reads: "3", "3 vCPUs", "2 GB". */
  format(amount: number): string;
  /** The bare figure, where the sentence already names the resource: "3", "2 GB". */
  amount(amount: number): string;
  /**
   * The spec with one unit for every figure in `values`, for figures read side by side ("50 GB"
   * and "+0.5 GB", not "+512 MB"); without it the spec's own words are already of one unit.
   */
  inUnitOf?(values: readonly number[]): Pick<QuotaResourceSpec, "format" | "amount">;
  /** Figures too long for the donut's hole (MB, MiB): it shows the share used instead. */
  longFigures?: boolean;
  /** What passing the limit stops, in a sentence: "new launches" unless said. */
  refused?: string;
}

export const QUOTA_RESOURCES: readonly (QuotaResourceSpec & { key: ComputeQuotaKey })[] = [
  { key: "instances", label: "Instances", quotaName: "instance", format: (n) => `${n} ${n === 1 ? "instance" : "instances"}`, amount: String },
  { key: "cores", label: "vCPUs", quotaName: "vCPU", format: (n) => `${n} ${n === 1 ? "vCPU" : "vCPUs"}`, amount: String },
  {
    key: "ram",
    label: "RAM",
    quotaName: "RAM",
    format: formatMemory,
    amount: formatMemory,
    inUnitOf: (values) => {
      const unit = memoryUnitFor(values);
      return { format: (n) => formatMemoryIn(n, unit), amount: (n) => formatMemoryIn(n, unit) };
    },
    longFigures: true,
  },
];

/** Cinder's quotas, shown on the volumes page. */
export const VOLUME_QUOTA_RESOURCES: readonly QuotaResourceSpec[] = [
  {
    key: "volumes",
    label: "Volumes",
    quotaName: "volume",
    format: (n) => `${n} ${n === 1 ? "volume" : "volumes"}`,
    amount: String,
    refused: "new volumes",
  },
  {
    key: "gigabytes",
    label: "Volume storage",
    quotaName: "volume storage",
    format: (n) => `${n} GB`,
    amount: (n) => `${n} GB`,
    refused: "new volumes",
  },
];

/** Image sizes in the quotas are MiB, as Glance's. */
const mib = (n: number) => formatBytes(n * 1024 * 1024);

/** Glance's image quotas, shown on the images page. */
export const IMAGE_QUOTA_RESOURCES: readonly QuotaResourceSpec[] = [
  {
    key: "image_count_total",
    label: "Images",
    quotaName: "image",
    format: (n) => `${n} ${n === 1 ? "image" : "images"}`,
    amount: String,
    refused: "new images",
  },
  { key: "image_size_total", label: "Image storage", quotaName: "image storage", format: mib, amount: mib, longFigures: true, refused: "uploads" },
  {
    key: "image_stage_total",
    label: "Uploads under way",
    quotaName: "image upload",
    format: mib,
    amount: mib,
    longFigures: true,
    refused: "more upload data",
  },
];

/** `spec`'s words for figures shown together: one unit for all of `values`. */
export function figuresOf(spec: QuotaResourceSpec, values: readonly number[]): Pick<QuotaResourceSpec, "format" | "amount"> {
  return spec.inUnitOf?.(values) ?? spec;
}

/** -1 means unlimited, as in Nova. */
export function isUnlimited(limit: number): boolean {
  return limit < 0;
}

/** What is left under the limit (never negative), or null when there is no limit. */
export function freeOf({ limit, used }: { limit: number; used: number }): number | null {
  return isUnlimited(limit) ? null : Math.max(0, limit - used);
}

/** Every limit an administrator sets on a project (Nova's os-quota-sets), in the quota editor's words. */
export const QUOTA_LIMIT_FIELDS = [
  { key: "instances", label: "Instances" },
  { key: "cores", label: "vCPUs" },
  { key: "ram", label: "RAM (MB)" },
  { key: "volumes", label: "Volumes" },
  { key: "gigabytes", label: "Volume storage (GB)" },
  { key: "key_pairs", label: "Key pairs" },
  { key: "server_groups", label: "Server groups" },
  { key: "image_count_total", label: "Images" },
  { key: "image_size_total", label: "Image storage (MiB)" },
  { key: "image_stage_total", label: "Image uploads under way (MiB)" },
] as const;
export type QuotaLimitKey = (typeof QUOTA_LIMIT_FIELDS)[number]["key"];
