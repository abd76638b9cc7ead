import type { Inventory } from "./types";

/** Placement's capacity: (total − reserved) × allocation ratio. */
export function capacity(inv: Inventory): number {
  return Math.floor((inv.total - inv.reserved) * inv.allocationRatio);
}

export function free(inv: Inventory): number {
  return capacity(inv) - inv.used;
}
