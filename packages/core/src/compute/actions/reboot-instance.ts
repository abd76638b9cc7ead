import type { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../errors";
import { authorize } from "../../policy";
import { rebootInstanceInput } from "../../validation";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/**
 * Nova's reboot (`openstack server reboot [--hard]`). SOFT: the guest is asked to shut down and
 * started again once it has (a guest that does not within the shutdown timeout is power-cycled,
 * as Nova's libvirt driver falls back to a hard reboot); only an ACTIVE idle instance. HARD: the
 * domain is powered off and started again, from ACTIVE, SHUTOFF, PAUSED, SUSPENDED or ERROR,
 * and it may interrupt a soft reboot, pause, unpause, suspend or resume under way (Nova's
 * ALLOW_REBOOT). Both end ACTIVE.
 */
export async function rebootInstance({
  ctx,
  input,
}: {
  ctx: CoreContext;
  input: z.input<typeof rebootInstanceInput>;
}): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.reboot");
  const { id, type } = parseInput(rebootInstanceInput, input);
  return beginInstanceTask(ctx, principal, { instanceId: id, operation: type === "HARD" ? "reboot_hard" : "reboot" });
}
