/**
 * A host's use of a resource as shares of its capacity, in % with one decimal: what the host
 * charts draw. A host with no capacity that is used counts as full; used and free add up to 100.
 */
export function usageShare({ used, capacity }: { used: number; capacity: number }): { used: number; free: number } {
  const share = capacity > 0 ? Math.min(100, (used / capacity) * 100) : used > 0 ? 100 : 0;
  const shown = Math.round(share * 10) / 10;
  return { used: shown, free: Math.round((100 - shown) * 10) / 10 };
}
