import type { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../errors";
import { authorize } from "../../policy";
import { resizeInstanceInput } from "../../validation";
import { prepareMove } from "./move-begin";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/**
 * Nova's resize (`openstack server resize --flavor F`): the scheduler picks a host for the new
 * flavor (the instance's own one allowed unless NIMBUS_ALLOW_RESIZE_TO_SAME_HOST is off), the
 * new flavor is claimed there while the old one stays held by the migration, the guest is
 * powered off, its disk grown and its domain defined on the new flavor, and it waits in
 * VERIFY_RESIZE for a confirm or a revert (or the auto-confirm). Quota counts the larger flavor
 * from now on. Refused in plain words: the same flavor, a smaller disk, a busy or building
 * instance, a project whose quota cannot take the increase.
 */
export async function resizeInstance({
  ctx,
  input,
}: {
  ctx: CoreContext;
  input: z.input<typeof resizeInstanceInput>;
}): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.resize");
  const { id, flavorId } = parseInput(resizeInstanceInput, input);
  return beginInstanceTask(ctx, principal, {
    instanceId: id,
    operation: "resize",
    prepare: (tx, instance) => prepareMove(tx, ctx, instance, { kind: "resize", flavorId }),
  });
}
