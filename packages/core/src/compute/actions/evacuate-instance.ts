import { schema } from "@nimbus/db";
import { and, eq, ne } from "@nimbus/db/orm";
import type { z } from "zod";
import type { CoreContext } from "../../context";
import { NimbusError, isNimbusError, parseInput } from "../../errors";
import { authorize } from "../../policy";
import { isUp } from "../../placement/usage";
import { evacuateHostInput, evacuateInstanceInput } from "../../validation";
import { prepareMove } from "./move-begin";
import { beginInstanceTask, type InstanceActionStarted } from "./task";

/**
 * Nova's evacuate (`openstack server evacuate [--host H]`, cloud admins): an instance of a host
 * that is down is rebuilt on another host from its image (rebuilding, rebuild_spawning), with
 * the same ports and addresses, and ends as it was (ACTIVE, or SHUTOFF if it was); its old
 * host's allocation is freed once it runs. The down host's domain is destroyed when its agent
 * comes back (Nova's _destroy_evacuated_instances). Refused while the host is up.
 */
export async function evacuateInstance({
  ctx,
  input,
}: {
  ctx: CoreContext;
  input: z.input<typeof evacuateInstanceInput>;
}): Promise<InstanceActionStarted> {
  const principal = authorize(ctx.principal, "instances.evacuate");
  const { id, host, force } = parseInput(evacuateInstanceInput, input);
  return beginInstanceTask(ctx, principal, {
    instanceId: id,
    operation: "evacuate",
    prepare: (tx, instance) => prepareMove(tx, ctx, instance, { kind: "evacuate", host, force }),
  });
}

export interface HostEvacuation {
  hostname: string;
  started: { id: string; name: string }[];
  refused: { id: string; name: string; reason: string }[];
}

/**
 * Evacuates every instance of a down host (the console's "Evacuate host", novaclient's
 * `host-evacuate`): each to a host the scheduler picks, each on its own; what one cannot
 * (a busy instance, no room anywhere) is said per instance and does not stop the others.
 */
export async function evacuateHost({ ctx, input }: { ctx: CoreContext; input: z.input<typeof evacuateHostInput> }): Promise<HostEvacuation> {
  const principal = authorize(ctx.principal, "hosts.evacuate");
  const { hostId } = parseInput(evacuateHostInput, input);
  const [host] = await ctx.db.select().from(schema.computeHosts).where(eq(schema.computeHosts.id, hostId));
  if (!host) throw NimbusError.notFound("Host", hostId);
  if (isUp(host, ctx.hostDownAfterMs)) throw NimbusError.conflict(`Host ${host.hostname} is up: only a host that is down can be evacuated.`);
  const instances = await ctx.db
    .select({ id: schema.instances.id, name: schema.instances.name })
    .from(schema.instances)
    .where(and(eq(schema.instances.hostId, hostId), ne(schema.instances.vmState, "deleted"), ne(schema.instances.vmState, "building")));
  const result: HostEvacuation = { hostname: host.hostname, started: [], refused: [] };
  for (const instance of instances) {
    try {
      await beginInstanceTask(ctx, principal, {
        instanceId: instance.id,
        operation: "evacuate",
        prepare: (tx, row) => prepareMove(tx, ctx, row, { kind: "evacuate" }),
      });
      result.started.push(instance);
    } catch (error) {
      if (!isNimbusError(error)) throw error;
      result.refused.push({ ...instance, reason: error.message });
    }
  }
  return result;
}
