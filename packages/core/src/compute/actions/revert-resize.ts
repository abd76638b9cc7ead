import type { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../errors";
import { authorize } from "../../policy";
import { instanceIdInput } from "../../validation";
import { prepareConfirmOrRevert } from "./move-begin";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/**
 * Nova's revertResize (`openstack server resize revert`): the new guest is removed from the
 * destination, the new flavor's allocation freed and the old one the instance's again, and the
 * guest runs (or stays off) on its source host with its old flavor and disk.
 */
export async function revertResize({ ctx, input }: { ctx: CoreContext; input: z.input<typeof instanceIdInput> }): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.revertResize");
  const { id } = parseInput(instanceIdInput, input);
  return beginInstanceTask(ctx, principal, {
    instanceId: id,
    operation: "revert_resize",
    prepare: (tx, instance) => prepareConfirmOrRevert(tx, instance, "revert_resize"),
  });
}
