import { formatMemory } from "@/lib/format";

export interface FlavorSize {
  vcpus: number;
  memoryMb: number;
  rootGb: number;
}

export interface QuotaFigure {
  limit: number;
  used: number;
}

export interface ResizeImpact {
  vcpusDelta: number;
  memoryMbDelta: number;
  /** "+2 vCPUs / +2 GB RAM", "−1 vCPU / no change in RAM". */
  summary: string;
  /** What the project's quota takes from the resize: only increases count (the larger flavor is held until confirm). */
  quotaSummary: string;
  /** Why the project's quota cannot take it, in the server's words; null when it can. */
  overQuota: string | null;
  /** Why the flavor cannot be chosen at all (a disk that would shrink, the same flavor); null when it can. */
  refused: string | null;
}

function signed(n: number, unit: (abs: number) => string): string {
  if (n === 0) return "";
  return `${n > 0 ? "+" : "−"}${unit(Math.abs(n))}`;
}

const vcpuWord = (n: number) => `${n} vCPU${n === 1 ? "" : "s"}`;

/**
 * What resizing an instance of `current` to `flavor` changes and costs, as the resize dialog
 * shows it: the difference in vCPUs and RAM, what the quota counts (the larger flavor from the
 * resize until its confirm: an upsize asks for the increase, a downsize frees nothing yet), and
 * whether the project's quota can take it (a limit of -1 is unlimited).
 */
export function resizeImpact(
  current: FlavorSize & { flavorName?: string | null },
  flavor: FlavorSize & { name: string },
  quota: { cores: QuotaFigure; ram: QuotaFigure } | null,
): ResizeImpact {
  const vcpusDelta = flavor.vcpus - current.vcpus;
  const memoryMbDelta = flavor.memoryMb - current.memoryMb;
  const cpu = vcpusDelta === 0 ? "no change in vCPUs" : signed(vcpusDelta, vcpuWord);
  const ram = memoryMbDelta === 0 ? "no change in RAM" : `${signed(memoryMbDelta, formatMemory)} RAM`;
  const summary = `${cpu} / ${ram}`;
  const asked = { cores: Math.max(0, vcpusDelta), ram: Math.max(0, memoryMbDelta) };
  const quotaSummary =
    asked.cores === 0 && asked.ram === 0
      ? "Quota: nothing more (the current flavor stays counted until the resize is confirmed)."
      : `Quota: ${[asked.cores > 0 ? `+${vcpuWord(asked.cores)}` : null, asked.ram > 0 ? `+${formatMemory(asked.ram)} RAM` : null].filter(Boolean).join(", ")} from now on.`;
  let overQuota: string | null = null;
  if (quota) {
    const over = (asked: number, figure: QuotaFigure) => figure.limit >= 0 && asked > 0 && figure.used + asked > figure.limit;
    if (over(asked.cores, quota.cores)) {
      overQuota = `Quota exceeded for vCPUs: requested ${asked.cores}, already used ${quota.cores.used} of ${quota.cores.limit}.`;
    } else if (over(asked.ram, quota.ram)) {
      overQuota = `Quota exceeded for MB of RAM: requested ${asked.ram}, already used ${quota.ram.used} of ${quota.ram.limit}.`;
    }
  }
  let refused: string | null = null;
  if (current.flavorName === flavor.name) refused = "This is the instance's flavor now.";
  else if (flavor.rootGb < current.rootGb)
    refused = `Its ${flavor.rootGb} GB disk is smaller than the instance's ${current.rootGb} GB: a disk cannot shrink.`;
  return { vcpusDelta, memoryMbDelta, summary, quotaSummary, overQuota, refused };
}
