import { randomUUID } from "node:crypto";
import { schema, type Executor } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import type { CoreContext, Services } from "../context";
import { audit } from "../audit/record";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { Announcements } from "./announce";
import { enterPhase, lockInstance, releaseAllocations } from "./lifecycle";
import { findVisibleInstance } from "./queries";
import { destroyCommandFor } from "./spawn-command";
import { releaseInstancePorts } from "../network/ports";
import { detachInstanceVolumes } from "../volumes/attach";
import { instanceIdInput } from "../validation";
import { interruptTask } from "./actions/task";
import { DEADLOCK_DETECTED, pgErrorOf } from "../pg-errors";
import { abandonMove } from "./actions/migrations";
import type { z } from "zod";

/**
 * Deletes an instance in any phase. With a host whose agent is connected, the agent destroys and
 * undefines the domain and reports `deleted`; with no host (or a host that is down, as Nova's
 * "local delete") the records are finished here. Either way allocations and quota are freed.
 */
export async function deleteInstance({ ctx, input }: { ctx: CoreContext; input: z.input<typeof instanceIdInput> }): Promise<{ id: string }> {
  const principal = authorize(ctx.principal, "instances.delete");
  const { id } = parseInput(instanceIdInput, input);
  await findVisibleInstance(ctx.db, principal, id);
  let out = new Announcements();
  let otherHost: string | null = null;
  // A delete racing the conductor's claim or an agent's report for the same instance may meet
  // its locks the other way round: PostgreSQL then aborts one side, which runs again (as Nova
  // retries a DBDeadlock) instead of answering "Internal error".
  const hostId = await retryOnDeadlock(() => {
    out = new Announcements();
    otherHost = null;
    return ctx.db.transaction(async (tx) => {
      const instance = await lockInstance(tx, id);
      if (!instance || instance.vmState === "deleted") throw NimbusError.notFound("Instance", id);
      if (instance.taskState === "deleting") return instance.hostId;
      // Delete wins over a move too: its other side's guest goes as well (both allocations are the instance's, freed below).
      otherHost = await abandonMove(tx, instance);
      await tx
        .insert(schema.instanceActions)
        .values({ instanceId: instance.id, action: "delete", requestId: ctx.requestId, userId: principal.userId, projectId: instance.projectId });
      const building = instance.vmState === "building";
      // Delete wins over any action under way: it ends here, and its late report is ignored.
      await interruptTask(tx, out, instance, "Interrupted: the instance was deleted.");
      await enterPhase(
        tx,
        out,
        instance,
        "deleting",
        building ? { closeResult: "Error", details: "Build cancelled: the instance was deleted." } : {},
      );
      await audit(ctx, tx, {
        action: "instance.delete",
        outcome: "success",
        targetType: "instance",
        targetId: instance.id,
        details: { name: instance.name },
      });
      // A pending build request must not be picked up any more.
      await tx.update(schema.buildRequests).set({ status: "failed", updatedAt: new Date() }).where(eq(schema.buildRequests.instanceId, instance.id));
      return instance.hostId;
    });
  });
  out.flush(ctx.publisher);

  if (otherHost) {
    // No report of it is awaited: a host that misses it destroys the orphan when it registers again.
    const command = { ...(await destroyCommandFor(ctx.db, id, randomUUID())), requestId: ctx.requestId };
    await ctx.agents.destroy(otherHost, command).catch(() => null);
  }
  if (hostId) {
    const command = { ...(await destroyCommandFor(ctx.db, id, randomUUID())), requestId: ctx.requestId };
    const ack = await ctx.agents.destroy(hostId, command).catch(() => null);
    if (ack?.ok) return { id: id }; // the agent reports `deleted` when the domain is gone
  }
  await finishDelete(ctx, id);
  return { id: id };
}

/**
 * Final step of a delete: allocations released, ports (addresses, MACs) freed, volumes deleted
 * or detached as asked, instance marked deleted (quota freed).
 */
export async function finishDelete(services: Pick<Services, "db" | "publisher">, instanceId: string, db: Executor = services.db): Promise<void> {
  const out = new Announcements();
  await db.transaction(async (tx) => {
    const instance = await lockInstance(tx, instanceId);
    if (!instance || instance.vmState === "deleted") return;
    await releaseAllocations(tx, out, instanceId);
    await releaseInstancePorts(tx, instanceId);
    await detachInstanceVolumes(tx, instanceId);
    await enterPhase(tx, out, instance, "deleted");
    out.host(instance.hostId);
  });
  out.flush(services.publisher);
}

/** Runs `work` again (at most twice more) when PostgreSQL aborted it to break a deadlock. */
async function retryOnDeadlock<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (pgErrorOf(error).code !== DEADLOCK_DETECTED || attempt >= 3) throw error;
    }
  }
}
