import type { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../errors";
import { authorize } from "../../policy";
import { instanceIdInput } from "../../validation";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/**
 * Nova's os-start (`openstack server start`): a STOPPED instance's domain is started again on its host.
 * Answers once the host took the command; the rest arrives on the instance's stream.
 */
export async function startInstance({ ctx, input }: { ctx: CoreContext; input: z.input<typeof instanceIdInput> }): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.start");
  const { id } = parseInput(instanceIdInput, input);
  return beginInstanceTask(ctx, principal, { instanceId: id, operation: "start" });
}
