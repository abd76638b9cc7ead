import type { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../errors";
import { authorize } from "../../policy";
import { instanceIdInput } from "../../validation";
import { prepareConfirmOrRevert } from "./move-begin";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/**
 * Nova's confirmResize (`openstack server resize confirm`): the old guest is removed from the
 * source host (on one host, the disk's backup) and the old flavor's allocation freed; the
 * instance is ACTIVE or SHUTOFF again, as before the move, on its new flavor or host.
 */
export async function confirmResize({ ctx, input }: { ctx: CoreContext; input: z.input<typeof instanceIdInput> }): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.confirmResize");
  const { id } = parseInput(instanceIdInput, input);
  return beginInstanceTask(ctx, principal, {
    instanceId: id,
    operation: "confirm_resize",
    prepare: (tx, instance) => prepareConfirmOrRevert(tx, instance, "confirm_resize"),
  });
}
