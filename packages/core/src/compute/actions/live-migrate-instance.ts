import type { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../errors";
import { authorize } from "../../policy";
import { liveMigrateInstanceInput } from "../../validation";
import { prepareMove } from "./move-begin";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/**
 * Nova's os-migrateLive (cloud admins): the running or paused guest moves to another host, the
 * scheduler's choice or a named one (checked by the filters unless `force`); its steps are
 * ./live-migration's.
 */
export async function liveMigrateInstance({
  ctx,
  input,
}: {
  ctx: CoreContext;
  input: z.input<typeof liveMigrateInstanceInput>;
}): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.liveMigrate");
  const { instanceId, host, force, blockMigration } = parseInput(liveMigrateInstanceInput, input);
  return beginInstanceTask(ctx, principal, {
    instanceId,
    operation: "live_migrate",
    // "auto": Nova's choice by shared storage; Nimbus hosts keep their disks in their own state directories.
    prepare: (tx, instance) => prepareMove(tx, ctx, instance, { kind: "live-migrate", host, force, blockMigration: blockMigration !== false }),
  });
}
