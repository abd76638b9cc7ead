import { randomBytes } from "node:crypto";
import { schema } from "@nimbus/db";
import { and, eq, or } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import { audit } from "../audit/record";
import { NimbusError } from "../errors";
import { authorize } from "../identity/policy";
import { chooseInstanceCount, verifyInstanceQuota } from "../quota/enforce";
import { listAvailabilityZones } from "../hosts/aggregates";
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

  const [flavor, image, network] = await Promise.all([
    ctx.db.query.flavors.findFirst({ where: eq(schema.flavors.id, request.flavorId) }),
    ctx.db.query.images.findFirst({
      where: and(
        eq(schema.images.id, request.imageId),
        or(eq(schema.images.visibility, "public"), eq(schema.images.ownerProjectId, principal.projectId)),
      ),
    }),
    ctx.db.query.networks.findFirst({
      where: and(eq(schema.networks.id, request.networkId), or(eq(schema.networks.shared, true), eq(schema.networks.projectId, principal.projectId))),
    }),
  ]);
  if (!flavor || flavor.disabled || (!flavor.isPublic && !principal.isAdmin)) throw NimbusError.notFound("Flavor", request.flavorId);
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
  if (!network) throw NimbusError.notFound("Network", request.networkId);

  const { availabilityZone, forcedHost } = await resolvePlacementHint(ctx, request.availabilityZone);
  if (request.serverGroupId) {
    const group = await ctx.db.query.serverGroups.findFirst({
      where: and(eq(schema.serverGroups.id, request.serverGroupId), eq(schema.serverGroups.projectId, principal.projectId)),
    });
    if (!group) throw NimbusError.notFound("Server group", request.serverGroupId);
  }

  const reservationId = `r-${randomBytes(4).toString("hex")}`;
  const out = new Announcements();
  const launched = await ctx.db.transaction(async (tx) => {
    if (request.idempotencyKey) {
      // Claim the key first: a concurrent identical call waits here on the primary key until
      // this one commits, then finds it and returns the same instances.
      const [claimed] = await tx
        .insert(schema.launchRequests)
        .values({ projectId: principal.projectId, idempotencyKey: request.idempotencyKey, reservationId, instanceIds: [] })
        .onConflictDoNothing()
        .returning();
      if (!claimed) {
        const [earlier] = await tx
          .select()
          .from(schema.launchRequests)
          .where(and(eq(schema.launchRequests.projectId, principal.projectId), eq(schema.launchRequests.idempotencyKey, request.idempotencyKey)));
        return { reservationId: earlier!.reservationId, instanceIds: earlier!.instanceIds, replayed: true };
      }
    }
    const count = await chooseInstanceCount(tx, principal.projectId, {
      min: request.minCount ?? request.count,
      max: request.count,
      vcpus: flavor.vcpus,
      memoryMb: flavor.memoryMb,
    });
    const ids: string[] = [];
    for (let index = 0; index < count; index++) {
      const name = count === 1 ? request.name : `${request.name}-${index + 1}`;
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
          availabilityZone,
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
      await tx.insert(schema.buildRequests).values({ instanceId: instance.id, requestSpec: { availabilityZone, forcedHost, serverGroupId: request.serverGroupId } });
      if (request.serverGroupId) await tx.insert(schema.serverGroupMembers).values({ instanceId: instance.id, groupId: request.serverGroupId });
      out.instance(instance, null);
      out.event(instance.projectId, event!);
      ids.push(instance.id);
    }
    await audit(ctx, tx, {
      action: "instance.launch",
      outcome: "success",
      targetType: "reservation",
      targetId: reservationId,
      details: { name: request.name, count, flavor: flavor.name, image: image.name, instanceIds: ids },
    });
    if (request.idempotencyKey) {
      await tx
        .update(schema.launchRequests)
        .set({ instanceIds: ids })
        .where(and(eq(schema.launchRequests.projectId, principal.projectId), eq(schema.launchRequests.idempotencyKey, request.idempotencyKey)));
    }
    // Last, so the project's lock is held only to commit.
    await verifyInstanceQuota(tx, principal.projectId, { instances: count, cores: count * flavor.vcpus, ram: count * flavor.memoryMb });
    return { reservationId, instanceIds: ids, replayed: false };
  });
  if (launched.replayed) return { reservationId: launched.reservationId, instanceIds: launched.instanceIds };
  out.flush(ctx.publisher);
  ctx.buildRequested();
  return { reservationId, instanceIds: launched.instanceIds };
}

/** A MAC in OpenStack's fa:16:3e prefix. */
export function randomMac(): string {
  const tail = [...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0"));
  return ["fa", "16", "3e", ...tail].join(":");
}


/**
 * Nova's availability_zone hint: "zone", or for cloud admins "zone:host" (or ":host") to force
 * a host. A zone must exist; forcing a host is refused to anyone else.
 */
async function resolvePlacementHint(ctx: CoreContext, hint: string | null): Promise<{ availabilityZone: string | null; forcedHost: string | null }> {
  if (!hint) return { availabilityZone: null, forcedHost: null };
  const [zone = "", host = ""] = hint.split(":");
  if (host && !ctx.principal!.isAdmin) {
    throw new NimbusError("Forbidden", "Only cloud administrators may choose a host.", { fields: [{ path: "availabilityZone", message: "Choose a zone, not a host." }] });
  }
  if (zone && !(await listAvailabilityZones({ ctx })).includes(zone)) {
    throw NimbusError.badRequest(`There is no availability zone named ${zone}.`, [{ path: "availabilityZone", message: "No such availability zone." }]);
  }
  return { availabilityZone: zone || null, forcedHost: host || null };
}
