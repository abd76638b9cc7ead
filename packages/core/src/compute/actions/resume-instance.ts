import type { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../errors";
import { authorize } from "../../policy";
import { instanceIdInput } from "../../validation";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/**
 * Nova's resume (`openstack server resume`): a SUSPENDED guest is restored from its saved memory and runs on where it stopped.
 * Answers once the host took the command; the rest arrives on the instance's stream.
 */
export async function resumeInstance({ ctx, input }: { ctx: CoreContext; input: z.input<typeof instanceIdInput> }): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.resume");
  const { id } = parseInput(instanceIdInput, input);
  return beginInstanceTask(ctx, principal, { instanceId: id, operation: "resume" });
}
