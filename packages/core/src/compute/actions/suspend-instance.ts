import type { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../errors";
import { authorize } from "../../policy";
import { instanceIdInput } from "../../validation";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/**
 * Nova's suspend (`openstack server suspend`): the guest's memory is saved to disk on its host and the domain stops (libvirt's save), freeing no allocation.
 * Answers once the host took the command; the rest arrives on the instance's stream.
 */
export async function suspendInstance({ ctx, input }: { ctx: CoreContext; input: z.input<typeof instanceIdInput> }): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.suspend");
  const { id } = parseInput(instanceIdInput, input);
  return beginInstanceTask(ctx, principal, { instanceId: id, operation: "suspend" });
}
