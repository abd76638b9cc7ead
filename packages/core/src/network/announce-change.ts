import type { Transaction } from "@nimbus/db";
import type { CoreContext } from "../context";
import type { NetworkChanged } from "../protocol/browser";

/**
 * Runs a change of a project's networks, subnets, routers or floating IPs in a transaction and,
 * once it committed, tells the project's viewers (their topology, instance and floating IP
 * views fetch again). A change that fails announces nothing.
 */
export async function networkChange<T>(
  ctx: Pick<CoreContext, "db" | "publisher">,
  change: NetworkChanged,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const result = await ctx.db.transaction(work);
  ctx.publisher.networkChanged?.(change);
  return result;
}
