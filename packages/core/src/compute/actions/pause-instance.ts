import type { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../errors";
import { authorize } from "../../policy";
import { instanceIdInput } from "../../validation";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/**
 * Nova's pause (`openstack server pause`): the guest's vCPUs stop, its memory stays in the host's RAM.
 * Answers once the host took the command; the rest arrives on the instance's stream.
 */
export async function pauseInstance({ ctx, input }: { ctx: CoreContext; input: z.input<typeof instanceIdInput> }): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.pause");
  const { id } = parseInput(instanceIdInput, input);
  return beginInstanceTask(ctx, principal, { instanceId: id, operation: "pause" });
}
