import type { CoreContext, Services } from "../../context";
import { isNimbusError } from "../../errors";
import { prepareConfirmOrRevert } from "./move-begin";
import { unconfirmedResizes } from "./migrations";
import { beginInstanceTask } from "./task";

/**
 * Nova's `_poll_unconfirmed_resizes`: a resize or migration left in VERIFY_RESIZE longer than
 * the confirm window (NIMBUS_RESIZE_CONFIRM_WINDOW_SECONDS; 0: never) is confirmed by the
 * system, recorded in the action log as a confirmResize with no user. Resolves with how many
 * it began.
 */
export async function confirmExpiredResizes(services: Services): Promise<number> {
  const windowMs = services.resizeConfirmWindowMs ?? 0;
  if (windowMs <= 0) return 0;
  let begun = 0;
  for (const instanceId of await unconfirmedResizes(services.db, windowMs)) {
    const ctx: CoreContext = {
      ...services,
      principal: null,
      requestId: `req-auto-confirm-${instanceId.slice(0, 8)}-${Date.now()}`,
      remoteAddress: null,
    };
    try {
      await beginInstanceTask(ctx, null, {
        instanceId,
        operation: "confirm_resize",
        prepare: (tx, instance) => prepareConfirmOrRevert(tx, instance, "confirm_resize"),
      });
      begun++;
    } catch (error) {
      // Another process confirmed it, a user acted first, or it was deleted: nothing to do.
      if (!isNimbusError(error)) throw error;
    }
  }
  return begun;
}
