import type { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../errors";
import { authorize } from "../../policy";
import { instanceIdInput } from "../../validation";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/**
 * Nova's os-stop (`openstack server stop`): the guest is asked to shut down (ACPI) and powered off if it has not within the shutdown timeout (the image's os_shutdown_timeout, else NIMBUS_SHUTDOWN_TIMEOUT_SECONDS). STOPPED keeps its allocation on the host, as in Nova, so it can always start again there.
 * Answers once the host took the command; the rest arrives on the instance's stream.
 */
export async function stopInstance({ ctx, input }: { ctx: CoreContext; input: z.input<typeof instanceIdInput> }): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.stop");
  const { id } = parseInput(instanceIdInput, input);
  return beginInstanceTask(ctx, principal, { instanceId: id, operation: "stop" });
}
