import { randomBytes } from "node:crypto";
import { jsonValue, rowFromJson, rowsFromJson, schema, statement, type Database, type Executor } from "@nimbus/db";
import { and, eq, sql } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import { audit } from "../audit/record";
import { NimbusError, parseInput } from "../errors";
import { authorize, type Principal } from "../policy";
import { armInstanceQuota, chooseInstanceCount, enforceQuota, instanceQuotaRefusal, type InstanceQuotaVector } from "../quota/enforce";
import type { QuotaResource } from "../quota/limits";
import { listAvailabilityZones } from "../hosts/aggregates";
import { launchInstanceInput, type LaunchInstanceInput } from "../validation";
import { Announcements } from "./announce";
import { imageVisibleTo } from "../images/visibility";
import { allocatePort } from "../network/ports";
import { networkVisibleTo } from "../network/networks";
import { DEFAULT_SECURITY_GROUP, resolveSecurityGroups } from "../network/security-groups";
import { attachLaunchVolumes, checkLaunchVolumes, newLaunchVolumes } from "../volumes/attach";
import type { FlavorRow, ImageRow, InstanceActionEventRow, InstanceRow } from "@nimbus/db/schema";
import { z } from "zod";

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
  const principal = authorize(ctx.principal, "instances.launch");
  const request = parseInput(launchInstanceInput, input);

  const [{ flavor, flavorOffered, image, network, subnets, defaultGroupId }, keyPair] = await Promise.all([
    launchContext(ctx.db, { flavorId: request.flavorId, imageId: request.imageId, networkId: request.networkId, projectId: principal.projectId }),
    request.keyName
      ? ctx.db.query.keyPairs.findFirst({ where: and(eq(schema.keyPairs.userId, principal.userId), eq(schema.keyPairs.name, request.keyName)) })
      : Promise.resolve(undefined),
  ]);
  if (!flavor || flavor.disabled || (!flavor.isPublic && !flavorOffered && !principal.isAdmin))
    throw NimbusError.notFound("Flavor", request.flavorId);
  if (request.keyName && !keyPair) {
    throw new NimbusError("NotFound", `You have no key pair named ${request.keyName}.`, {
      fields: [{ path: "keyName", message: "No such key pair." }],
    });
  }
  if (request.imageId && !image) throw NimbusError.notFound("Image", request.imageId);
  if (image) checkImageFits(image, flavor, request.bootSource.type === "image");
  if (!network) throw NimbusError.notFound("Network", request.networkId);

  const { availabilityZone, forcedHost } = await resolvePlacementHint(ctx, principal, request.availabilityZone);
  if (request.serverGroupId) {
    const group = await ctx.db.query.serverGroups.findFirst({
      where: and(eq(schema.serverGroups.id, request.serverGroupId), eq(schema.serverGroups.projectId, principal.projectId)),
    });
    if (!group) throw NimbusError.notFound("Server group", request.serverGroupId);
  }

  const reservationId = `r-${randomBytes(4).toString("hex")}`;
  const out = new Announcements();
  /** What the commit's quota check compares against, once armed. */
  let quota: { limits: Record<QuotaResource, number>; requested: InstanceQuotaVector } | undefined;
  const launched = await ctx.db
    .transaction(async (tx) => {
      const key = request.idempotencyKey ? { projectId: principal.projectId, idempotencyKey: request.idempotencyKey } : null;
      if (key) {
        // Claim the key first: a concurrent identical call waits here on the primary key until
        // this one commits, then finds it and returns the same instances. (Found by a statement of
        // its own: one started before that commit would not see the row.)
        const [claimed] = await claimLaunchKey(tx, { ...key, reservationId });
        if (!claimed) {
          const [earlier] = await readLaunchKey(tx, key);
          return { reservationId: earlier!.reservation_id, instanceIds: z.array(z.string()).parse(jsonValue(earlier!.instance_ids)), replayed: true };
        }
      }
      // The default group read with the context (its deletion meanwhile fails the port's binding).
      const securityGroupIds =
        request.securityGroupIds.length === 0 && defaultGroupId
          ? [defaultGroupId]
          : await resolveSecurityGroups(tx, principal.projectId, request.securityGroupIds);
      const launchVolumes = { bootSource: request.bootSource, extra: request.volumes };
      const { requiredHostId } = await checkLaunchVolumes(tx, principal.projectId, launchVolumes);
      const volumeHost = requiredHostId ? await tx.query.computeHosts.findFirst({ where: eq(schema.computeHosts.id, requiredHostId) }) : undefined;
      const minCount = request.minCount ?? request.count;
      // A fixed count needs no proposal: the check at commit refuses it the same way.
      const count =
        minCount === request.count
          ? request.count
          : await chooseInstanceCount(tx, principal.projectId, { min: minCount, max: request.count, vcpus: flavor.vcpus, memoryMb: flavor.memoryMb });
      // Before the volumes are inserted: the check counts the project's volume rows, these included once they exist.
      const newVolumes = newLaunchVolumes(launchVolumes, count);
      if (newVolumes.volumes > 0) await enforceQuota(tx, principal.projectId, newVolumes);
      const ids: string[] = [];
      for (let index = 0; index < count; index++) {
        const name = count === 1 ? request.name : `${request.name}-${index + 1}`;
        const [inserted] = await insertInstance(tx, {
          name,
          projectId: principal.projectId,
          userId: principal.userId,
          flavorId: flavor.id,
          imageId: image?.id ?? null,
          networkId: network.id,
          vcpus: flavor.vcpus,
          memoryMb: flavor.memoryMb,
          rootGb: flavor.rootGb,
          reservationId,
          launchIndex: index,
          availabilityZone,
          metadata: JSON.stringify({ ...request.metadata, ...(request.description ? { description: request.description } : {}) }),
          keyName: keyPair?.name ?? null,
          keyData: keyPair?.publicKey ?? null,
          userData: request.userData === null ? null : Buffer.from(request.userData, "utf8").toString("base64"),
          configDrive: request.configDrive,
        });
        const instance = inserted && rowFromJson(schema.instances, inserted);
        if (!instance) throw new Error("instance insert returned nothing");
        const port = await allocatePort(
          tx,
          { networkId: network.id, projectId: principal.projectId, instanceId: instance.id, securityGroupIds },
          subnets,
        );
        instance.fixedIp = port.ipAddress;
        instance.macAddress = port.macAddress;
        await attachLaunchVolumes(
          tx,
          { instanceId: instance.id, instanceName: name, projectId: principal.projectId, userId: principal.userId, image: image ?? null },
          launchVolumes,
        );
        // Volumes whose bits already live on a host pin the instance to that host.
        const pinnedHost = volumeHost?.hostname ?? forcedHost;
        const event = await recordBuild(tx, {
          instance,
          requestId: ctx.requestId,
          userId: principal.userId,
          requestSpec: { availabilityZone, forcedHost: pinnedHost, serverGroupId: request.serverGroupId },
        });
        if (request.serverGroupId) await tx.insert(schema.serverGroupMembers).values({ instanceId: instance.id, groupId: request.serverGroupId });
        out.instance(instance, null);
        out.event(instance.projectId, event);
        ids.push(instance.id);
      }
      // Sent together: the audit record, the quota check the database runs as this commits (see
      // armInstanceQuota) and what a repeat of the key returns.
      const [limits] = await Promise.all([
        armInstanceQuota(tx, principal.projectId),
        audit(ctx, tx, {
          action: "instance.launch",
          outcome: "success",
          targetType: "reservation",
          targetId: reservationId,
          details: {
            name: request.name,
            count,
            flavor: flavor.name,
            image: image?.name ?? null,
            bootSource: request.bootSource.type,
            instanceIds: ids,
          },
        }),
        key && recordLaunchKey(tx, { ...key, instanceIds: JSON.stringify(ids) }),
      ]);
      quota = { limits, requested: { instances: count, cores: count * flavor.vcpus, ram: count * flavor.memoryMb } };
      return { reservationId, instanceIds: ids, replayed: false };
    })
    .catch((error: unknown) => {
      throw (quota && instanceQuotaRefusal(error, quota.limits, quota.requested)) ?? error;
    });
  if (launched.replayed) return { reservationId: launched.reservationId, instanceIds: launched.instanceIds };
  out.flush(ctx.publisher);
  ctx.buildRequested();
  return { reservationId, instanceIds: launched.instanceIds };
}

/** An idempotency key claimed for this launch (no row: another launch holds it). Built once, as the statements below. */
const claimLaunchKey = statement<"projectId" | "idempotencyKey" | "reservationId", { claimed: boolean }>(
  (v) => sql`
    insert into ${schema.launchRequests} (project_id, idempotency_key, reservation_id, instance_ids)
    values (${v.projectId}::uuid, ${v.idempotencyKey}::text, ${v.reservationId}::text, '[]'::jsonb)
    on conflict do nothing
    returning true as claimed`,
);
const readLaunchKey = statement<"projectId" | "idempotencyKey", { reservation_id: string; instance_ids: unknown }>(
  (v) =>
    sql`select reservation_id, instance_ids from ${schema.launchRequests} where project_id = ${v.projectId}::uuid and idempotency_key = ${v.idempotencyKey}::text`,
);
/** The instances a key's launch created, for its repeats. */
const recordLaunchKey = statement<"projectId" | "idempotencyKey" | "instanceIds">(
  (v) =>
    sql`update ${schema.launchRequests} set instance_ids = ${v.instanceIds}::jsonb where project_id = ${v.projectId}::uuid and idempotency_key = ${v.idempotencyKey}::text`,
);

/**
 * A launched instance's row: building, scheduling, 10% (built once, see `statement`; the
 * launch path runs it for every instance).
 */
const insertInstance = statement<
  | "name"
  | "projectId"
  | "userId"
  | "flavorId"
  | "imageId"
  | "networkId"
  | "vcpus"
  | "memoryMb"
  | "rootGb"
  | "reservationId"
  | "launchIndex"
  | "availabilityZone"
  | "metadata"
  | "keyName"
  | "keyData"
  | "userData"
  | "configDrive"
>(
  (v) => sql`
  insert into ${schema.instances} (name, project_id, user_id, flavor_id, image_id, network_id, vcpus, memory_mb, root_gb, vm_state, task_state,
    progress, reservation_id, launch_index, availability_zone, metadata, key_name, key_data, user_data, config_drive)
  values (${v.name}::text, ${v.projectId}::uuid, ${v.userId}::uuid, ${v.flavorId}::uuid, ${v.imageId}::uuid, ${v.networkId}::uuid,
    ${v.vcpus}::int, ${v.memoryMb}::int, ${v.rootGb}::int, 'building', 'scheduling', 10, ${v.reservationId}::text, ${v.launchIndex}::int,
    ${v.availabilityZone}::text, ${v.metadata}::jsonb, ${v.keyName}::text, ${v.keyData}::text, ${v.userData}::text, ${v.configDrive}::boolean)
  returning *`,
);

/**
 * What every launch reads first, in one statement: the flavor, the image and the network as
 * the caller may see them (absent otherwise), the network's subnets in the order addresses are
 * taken from them, and the project's default security group. Read before the transaction: a
 * network, subnet or group deleted meanwhile fails the inserts that refer to it, in plain words.
 */
async function launchContext(db: Database, ids: { flavorId: string; imageId: string | null; networkId: string; projectId: string }) {
  const { images, networks, subnets } = schema;
  const [row] = await readLaunchContext(db, ids);
  return {
    flavor: row?.flavor ? rowFromJson(schema.flavors, row.flavor) : undefined,
    /** A private flavor offered to the project (Nova's flavor access). */
    flavorOffered: row?.flavor_offered ?? false,
    image: row?.image ? rowFromJson(images, row.image) : undefined,
    network: row?.network ? rowFromJson(networks, row.network) : undefined,
    subnets: rowsFromJson(subnets, row?.subnets ?? "[]"),
    defaultGroupId: row?.default_group_id ?? null,
  };
}

const readLaunchContext = statement<
  "flavorId" | "imageId" | "networkId" | "projectId",
  { flavor: unknown; flavor_offered: boolean; image: unknown; network: unknown; subnets: unknown; default_group_id: string | null }
>((v) => {
  const { images, networks, subnets, securityGroups } = schema;
  return sql`
    select
      (select row_to_json(f) from ${schema.flavors} f where f.id = ${v.flavorId}::uuid and f.deleted_at is null) as flavor,
      exists (select 1 from ${schema.flavorProjects} fp where fp.flavor_id = ${v.flavorId}::uuid and fp.project_id = ${v.projectId}::uuid) as flavor_offered,
      (select row_to_json(${images}) from ${images} where ${images.id} = ${v.imageId}::uuid and ${imageVisibleTo(v.projectId)}) as image,
      (select row_to_json(${networks}) from ${networks} where ${networks.id} = ${v.networkId}::uuid and ${networkVisibleTo(v.projectId)}) as network,
      (select coalesce(json_agg(row_to_json(s) order by s.created_at, s.id), '[]'::json) from ${subnets} s where s.network_id = ${v.networkId}::uuid) as subnets,
      (select g.id from ${securityGroups} g where g.project_id = ${v.projectId}::uuid and g.name = ${DEFAULT_SECURITY_GROUP}) as default_group_id`;
});

/**
 * The rest of an instance's record, in one statement: its address on the instance row, the
 * create action with its open scheduling event (Nova's os-instance-actions), and the build
 * request the conductor claims. Returns the event, announced with the instance.
 */
async function recordBuild(
  tx: Executor,
  { instance, requestId, userId, requestSpec }: { instance: InstanceRow; requestId: string; userId: string; requestSpec: schema.BuildRequestSpec },
): Promise<InstanceActionEventRow> {
  const [row] = await insertBuildRecords(tx, {
    instanceId: instance.id,
    fixedIp: instance.fixedIp,
    macAddress: instance.macAddress,
    requestId,
    userId,
    projectId: instance.projectId,
    requestSpec: JSON.stringify(requestSpec),
  });
  if (!row) throw new Error("recording the build returned nothing");
  return rowFromJson(schema.instanceActionEvents, row.event);
}
const insertBuildRecords = statement<
  "instanceId" | "fixedIp" | "macAddress" | "requestId" | "userId" | "projectId" | "requestSpec",
  { event: unknown }
>(
  (v) => sql`
    with addressed as (
      update ${schema.instances} set fixed_ip = ${v.fixedIp}::text, mac_address = ${v.macAddress}::text where id = ${v.instanceId}::uuid
    ), action as (
      insert into ${schema.instanceActions} (instance_id, action, request_id, user_id, project_id)
      values (${v.instanceId}::uuid, 'create', ${v.requestId}::text, ${v.userId}::uuid, ${v.projectId}::uuid)
      returning id
    ), opened as (
      insert into ${schema.instanceActionEvents} (action_id, instance_id, event)
      select id, ${v.instanceId}::uuid, 'scheduling' from action
      returning *
    ), build as (
      insert into ${schema.buildRequests} (instance_id, request_spec) values (${v.instanceId}::uuid, ${v.requestSpec}::jsonb)
    )
    select row_to_json(opened) as event from opened`,
);

/** The image must be an active disk image that fits the flavor (min_ram; for a local root disk min_disk and its virtual size). */
function checkImageFits(image: ImageRow, flavor: FlavorRow, localDisk: boolean): void {
  if (image.status !== "active")
    throw NimbusError.badRequest(`Image ${image.name} is ${image.status}, not active.`, [{ path: "imageId", message: "This image is not active." }]);
  if (image.diskFormat === "aki" || image.diskFormat === "ari") {
    throw NimbusError.badRequest(`Image ${image.name} is a kernel or ramdisk, not a bootable disk.`, [
      { path: "imageId", message: "Choose a disk image." },
    ]);
  }
  if (flavor.memoryMb < image.minRamMb) {
    throw NimbusError.badRequest(`Flavor ${flavor.name} has ${flavor.memoryMb} MB of RAM; image ${image.name} needs at least ${image.minRamMb} MB.`, [
      { path: "flavorId", message: `Image needs at least ${image.minRamMb} MB of RAM.` },
    ]);
  }
  // A 0 GB root disk means "as large as the image" (Nova's zero-disk flavors).
  if (!localDisk || flavor.rootGb === 0) return;
  const needGb = Math.max(image.minDiskGb, Math.ceil((image.virtualSizeBytes ?? 0) / 1024 ** 3));
  if (flavor.rootGb < needGb) {
    throw NimbusError.badRequest(`Flavor ${flavor.name} has a ${flavor.rootGb} GB disk; image ${image.name} needs at least ${needGb} GB.`, [
      { path: "flavorId", message: `Image needs a disk of at least ${needGb} GB.` },
    ]);
  }
}

/**
 * Nova's availability_zone hint: "zone", or for cloud admins "zone:host" (or ":host") to force
 * a host. A zone must exist; forcing a host is refused to anyone else.
 */
async function resolvePlacementHint(
  ctx: CoreContext,
  principal: Principal,
  hint: string | null,
): Promise<{ availabilityZone: string | null; forcedHost: string | null }> {
  if (!hint) return { availabilityZone: null, forcedHost: null };
  const [zone = "", host = ""] = hint.split(":");
  if (host && !principal.isAdmin) {
    throw new NimbusError("Forbidden", "Only cloud administrators may choose a host.", {
      fields: [{ path: "availabilityZone", message: "Choose a zone, not a host." }],
    });
  }
  if (zone && !(await listAvailabilityZones({ ctx })).includes(zone)) {
    throw NimbusError.badRequest(`There is no availability zone named ${zone}.`, [
      { path: "availabilityZone", message: "No such availability zone." },
    ]);
  }
  return { availabilityZone: zone || null, forcedHost: host || null };
}
