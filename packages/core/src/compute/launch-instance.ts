import { randomBytes } from "node:crypto";
import { schema } from "@nimbus/db";
import { and, eq, or } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import { NimbusError } from "../errors";
import { authorize } from "../identity/policy";
import { enforceComputeQuota } from "../quota/enforce";
import { launchInstanceInput, type LaunchInstanceInput } from "../validation";
import { Announcements } from "./announce";

export interface LaunchResult {
  reservationId: string;
  instanceIds: string[];
}

/**
 * Nova's compute API create(): checks the request, reserves quota and records the instances
 * (vm_state building, task_state scheduling) with their build requests in one transaction,
 * then wakes the conductor. Returns at once; progress arrives on the instance's event stream.
 */
export async function launchInstance({ ctx, input }: { ctx: CoreContext; input: LaunchInstanceInput }): Promise<LaunchResult> {
  authorize(ctx.principal, "instances.launch");
  const principal = ctx.principal!;
  const request = launchInstanceInput.parse(input);

  const flavor = await ctx.db.query.flavors.findFirst({ where: eq(schema.flavors.id, request.flavorId) });
  if (!flavor || flavor.disabled || (!flavor.isPublic && !principal.isAdmin)) throw NimbusError.notFound("Flavor", request.flavorId);
  const image = await ctx.db.query.images.findFirst({
    where: and(
      eq(schema.images.id, request.imageId),
      or(eq(schema.images.visibility, "public"), eq(schema.images.ownerProjectId, principal.projectId)),
    ),
  });
  if (!image) throw NimbusError.notFound("Image", request.imageId);
  if (image.status !== "active") throw NimbusError.badRequest(`Image ${image.name} is ${image.status}, not active.`, [{ path: "imageId", message: "This image is not active." }]);
  if (flavor.memoryMb < image.minRamMb) {
    throw NimbusError.badRequest(`Flavor ${flavor.name} has ${flavor.memoryMb} MB of RAM; image ${image.name} needs at least ${image.minRamMb} MB.`, [
      { path: "flavorId", message: `Image needs at least ${image.minRamMb} MB of RAM.` },
    ]);
  }
  if (flavor.rootGb < image.minDiskGb) {
    throw NimbusError.badRequest(`Flavor ${flavor.name} has a ${flavor.rootGb} GB disk; image ${image.name} needs at least ${image.minDiskGb} GB.`, [
      { path: "flavorId", message: `Image needs a disk of at least ${image.minDiskGb} GB.` },
    ]);
  }
  const network = await ctx.db.query.networks.findFirst({
    where: and(eq(schema.networks.id, request.networkId), or(eq(schema.networks.shared, true), eq(schema.networks.projectId, principal.projectId))),
  });
  if (!network) throw NimbusError.notFound("Network", request.networkId);

  const reservationId = `r-${randomBytes(4).toString("hex")}`;
  const out = new Announcements();
  const instanceIds = await ctx.db.transaction(async (tx) => {
    await enforceComputeQuota(tx, principal.projectId, {
      instances: request.count,
      cores: request.count * flavor.vcpus,
      ram: request.count * flavor.memoryMb,
    });
    const ids: string[] = [];
    for (let index = 0; index < request.count; index++) {
      const name = request.count === 1 ? request.name : `${request.name}-${index + 1}`;
      const [instance] = await tx
        .insert(schema.instances)
        .values({
          name,
          projectId: principal.projectId,
          userId: principal.userId,
          flavorId: flavor.id,
          imageId: image.id,
          networkId: network.id,
          vcpus: flavor.vcpus,
          memoryMb: flavor.memoryMb,
          rootGb: flavor.rootGb,
          vmState: "building",
          taskState: "scheduling",
          progress: 10,
          reservationId,
          launchIndex: index,
          macAddress: randomMac(),
          metadata: request.description ? { description: request.description } : {},
        })
        .returning();
      if (!instance) throw new Error("instance insert returned nothing");
      const [action] = await tx
        .insert(schema.instanceActions)
        .values({ instanceId: instance.id, action: "create", requestId: ctx.requestId, userId: principal.userId, projectId: principal.projectId })
        .returning();
      const [event] = await tx
        .insert(schema.instanceActionEvents)
        .values({ actionId: action!.id, instanceId: instance.id, event: "scheduling" })
        .returning();
      await tx.insert(schema.buildRequests).values({ instanceId: instance.id });
      out.instance(instance, null);
      out.event(instance.projectId, event!);
      ids.push(instance.id);
    }
    return ids;
  });
  out.flush(ctx.publisher);
  ctx.buildRequested();
  return { reservationId, instanceIds };
}

/** A MAC in OpenStack's fa:16:3e prefix. */
export function randomMac(): string {
  const tail = [...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0"));
  return ["fa", "16", "3e", ...tail].join(":");
}

