import type { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../errors";
import { authorize } from "../../policy";
import { migrateInstanceInput } from "../../validation";
import { prepareMove } from "./move-begin";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/**
 * Nova's cold migration (`openstack server migrate [--host H]`, cloud admins): a resize to the
 * same flavor on another host, which the scheduler picks or checks (a named host; `force`
 * skips the filters). The guest is powered off on its host and defined and started as it was
 * on the new one; it then waits in VERIFY_RESIZE for a confirm or a revert, as a resize does.
 */
export async function migrateInstance({
  ctx,
  input,
}: {
  ctx: CoreContext;
  input: z.input<typeof migrateInstanceInput>;
}): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.migrate");
  const { id, host, force } = parseInput(migrateInstanceInput, input);
  return beginInstanceTask(ctx, principal, {
    instanceId: id,
    operation: "migrate",
    prepare: (tx, instance) => prepareMove(tx, ctx, instance, { kind: "migrate", host, force }),
  });
}
