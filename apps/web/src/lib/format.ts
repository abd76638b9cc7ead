/** Display helpers shared by the console's pages (pure, browser only). */

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** "14:03:07" */
export function formatTime(value: Date | string | null | undefined): string {
  return value ? timeFormat.format(toDate(value)) : "—";
}

/** "21 Nov 2026, 14:03:07" */
export function formatDateTime(value: Date | string | null | undefined): string {
  return value ? dateTimeFormat.format(toDate(value)) : "—";
}

/** Seconds between two instants with two decimals: "0.42 s". */
export function formatDuration(start: Date | string, finish: Date | string): string {
  const ms = Math.max(0, toDate(finish).getTime() - toDate(start).getTime());
  return `${(ms / 1000).toFixed(2)} s`;
}

/** "block_device_mapping" → "Block device mapping" */
export function humanize(value: string): string {
  const words = value.replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Power states as Horizon words them. */
export function formatPowerState(state: string): string {
  return state === "nostate" ? "No state" : humanize(state);
}

/** MB of RAM, switching to GB from 1024 MB: "512 MB", "2 GB", "1.5 GB". */
export function formatMemory(mb: number): string {
  if (mb < 1024) return `${mb} MB`;
  const gb = mb / 1024;
  return `${Number.isInteger(gb) ? gb : gb.toFixed(1)} GB`;
}

export type MemoryUnit = "MB" | "GB";

/** One unit for figures shown together (a chart's, a row's): GB once any of them reaches 1024 MB, MB otherwise. */
export function memoryUnitFor(values: readonly number[]): MemoryUnit {
  return values.some((mb) => Math.abs(mb) >= 1024) ? "GB" : "MB";
}

/** MB of RAM in the given unit: "512 MB", "0.5 GB", "50 GB" (GB with at most one decimal). */
export function formatMemoryIn(mb: number, unit: MemoryUnit): string {
  if (unit === "MB") return `${mb} MB`;
  const gb = Math.round((mb / 1024) * 10) / 10;
  return `${gb} GB`;
}

/** Bytes in the largest unit under 1024 of it: "192.0 KB", the figure and its unit joined by a no-break space (never wrapped apart). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)}\u00a0${units[unit]}`;
}

/** Whole numbers stay whole, fractions (capacity after allocation ratios) get one decimal. */
export function formatAmount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
