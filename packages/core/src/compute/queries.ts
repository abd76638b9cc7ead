import { schema, type Executor } from "@nimbus/db";
import { and, asc, desc, eq, ne } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import type { Principal } from "../policy";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { displayStatus, type TaskState, type VmState } from "../instance/state-machine";
import { eventPayload } from "./announce";
import { buildWaitOf } from "./build-wait";
import { graphicalConsoleOf, guestConsoleOf } from "./guest-console";
import { instanceIdInput } from "../validation";
import type { z } from "zod";

/** Loads an instance the caller may see; another project's instance is NotFound, never Forbidden. */
export async function findVisibleInstance(db: Executor, principal: Principal, id: string) {
  const [row] = await db
    .select()
    .from(schema.instances)
    .where(and(eq(schema.instances.id, id), eq(schema.instances.projectId, principal.projectId), ne(schema.instances.vmState, "deleted")));
  if (!row) throw NimbusError.notFound("Instance", id);
  return row;
}

const summaryColumns = {
  id: schema.instances.id,
  name: schema.instances.name,
  vmState: schema.instances.vmState,
  taskState: schema.instances.taskState,
  powerState: schema.instances.powerState,
  progress: schema.instances.progress,
  createdAt: schema.instances.createdAt,
  launchedAt: schema.instances.launchedAt,
  fault: schema.instances.fault,
  fixedIp: schema.instances.fixedIp,
  macAddress: schema.instances.macAddress,
  keyName: schema.instances.keyName,
  configDrive: schema.instances.configDrive,
  guestBootedAt: schema.instances.guestBootedAt,
  vcpus: schema.instances.vcpus,
  memoryMb: schema.instances.memoryMb,
  rootGb: schema.instances.rootGb,
  flavorName: schema.flavors.name,
  imageName: schema.images.name,
  networkName: schema.networks.name,
  hostname: schema.computeHosts.hostname,
};

function withStatus<T extends { vmState: string; taskState: string | null }>(row: T) {
  return { ...row, status: displayStatus(row.vmState as VmState, row.taskState as TaskState | null) };
}

export async function listInstances({ ctx }: { ctx: CoreContext }) {
  const principal = authorize(ctx.principal, "instances.list");
  const rows = await ctx.db
    .select(summaryColumns)
    .from(schema.instances)
    .innerJoin(schema.flavors, eq(schema.flavors.id, schema.instances.flavorId))
    .leftJoin(schema.images, eq(schema.images.id, schema.instances.imageId))
    .leftJoin(schema.networks, eq(schema.networks.id, schema.instances.networkId))
    .leftJoin(schema.computeHosts, eq(schema.computeHosts.id, schema.instances.hostId))
    .where(and(eq(schema.instances.projectId, principal.projectId), ne(schema.instances.vmState, "deleted")))
    .orderBy(desc(schema.instances.createdAt), asc(schema.instances.launchIndex));
  return rows.map(withStatus);
}

export async function getInstance({ ctx, input }: { ctx: CoreContext; input: z.input<typeof instanceIdInput> }) {
  const principal = authorize(ctx.principal, "instances.get");
  const { id } = parseInput(instanceIdInput, input);
  const visible = await findVisibleInstance(ctx.db, principal, id);
  const [row] = await ctx.db
    .select({ ...summaryColumns, hypervisorType: schema.computeHosts.hypervisorType })
    .from(schema.instances)
    .innerJoin(schema.flavors, eq(schema.flavors.id, schema.instances.flavorId))
    .leftJoin(schema.images, eq(schema.images.id, schema.instances.imageId))
    .leftJoin(schema.networks, eq(schema.networks.id, schema.instances.networkId))
    .leftJoin(schema.computeHosts, eq(schema.computeHosts.id, schema.instances.hostId))
    .where(eq(schema.instances.id, id));
  if (!row) throw NimbusError.notFound("Instance", id);
  const actions = await ctx.db.query.instanceActions.findMany({
    where: eq(schema.instanceActions.instanceId, id),
    orderBy: asc(schema.instanceActions.startTime),
    with: { events: { orderBy: asc(schema.instanceActionEvents.id) } },
  });
  const [ports, volumes, buildWait] = await Promise.all([
    ctx.db
      .select({
        id: schema.ports.id,
        macAddress: schema.ports.macAddress,
        ipAddress: schema.ports.ipAddress,
        status: schema.ports.status,
        networkName: schema.networks.name,
      })
      .from(schema.ports)
      .innerJoin(schema.networks, eq(schema.networks.id, schema.ports.networkId))
      .where(eq(schema.ports.instanceId, id)),
    ctx.db
      .select({
        id: schema.volumes.id,
        name: schema.volumes.name,
        sizeGb: schema.volumes.sizeGb,
        device: schema.volumeAttachments.device,
        bootIndex: schema.volumeAttachments.bootIndex,
        deleteOnTermination: schema.volumeAttachments.deleteOnTermination,
      })
      .from(schema.volumeAttachments)
      .innerJoin(schema.volumes, eq(schema.volumes.id, schema.volumeAttachments.volumeId))
      .where(eq(schema.volumeAttachments.instanceId, id))
      .orderBy(asc(schema.volumeAttachments.device)),
    buildWaitOf(ctx.db, ctx, visible),
  ]);
  const { hypervisorType, ...instance } = row;
  const host = instance.hostname && hypervisorType ? { hostname: instance.hostname, hypervisorType } : null;
  return {
    instance: withStatus(instance),
    /** What the build waits for on its host, when it waits (see BuildWait). */
    buildWait,
    /** What the serial console can show, in plain words. */
    guestConsole: guestConsoleOf(instance, host),
    /** Whether the graphical console has a screen to show, and if not why. */
    graphicalConsole: graphicalConsoleOf(instance, host),
    ports,
    volumes,
    actions: actions.map((a) => ({
      id: a.id,
      action: a.action,
      requestId: a.requestId,
      startTime: a.startTime.toISOString(),
      finishTime: a.finishTime?.toISOString() ?? null,
      message: a.message,
      events: a.events.map(eventPayload),
    })),
  };
}
