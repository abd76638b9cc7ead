import { rowFromJson, schema, statement, type Executor } from "@nimbus/db";
import { desc, eq, inArray, sql, type Placeholder } from "@nimbus/db/orm";
import type { ConfigDrive, DestroyCommand, ImageRef, PortSpec, SpawnCommand } from "../protocol/agent";
import { imageRefOf } from "../images/refs";
import { netmaskOf, parseCidr } from "../network/ipam";
import { portSpecColumns, portSpecsFromJson } from "../network/ports";
import { volumeSpecColumn, volumeSpecsFromJson } from "../volumes/attach";
import type { ImageRow, InstanceRow } from "@nimbus/db/schema";

/** Nova's hostname from a display name: lower case, [a-z0-9-], at most 63 characters. */
function hostnameFor(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return cleaned || "instance";
}

/**
 * Everything the host needs to build an instance: the root image (or volumes), the kernel and
 * ramdisk of a direct-kernel-boot image, the ports with their firewall rules, and the config
 * drive. Read fresh at every (re)delivery, so a redelivered command describes the same build.
 */
export async function spawnCommandFor(db: Executor, instanceId: string, hostId: string, commandId: string): Promise<SpawnCommand | null> {
  const [row] = await readSpawnCommand(db, { instanceId });
  if (!row?.instance) return null;
  const instance = rowFromJson(schema.instances, row.instance);
  const ports = portSpecsFromJson(row.ports, row.rules);
  const volumes = volumeSpecsFromJson(row.volumes, hostId);
  const bootsFromVolume = volumes.some((v) => v.bootIndex === 0);
  const image = row.image ? rowFromJson(schema.images, row.image) : null;
  const { kernel, ramdisk } = await bootPartsOf(db, image);
  return {
    commandId,
    ...(row.request_id ? { requestId: row.request_id } : {}),
    instance: {
      id: instance.id,
      name: instance.name,
      hostname: hostnameFor(instance.name),
      vcpus: instance.vcpus,
      memoryMb: instance.memoryMb,
      rootGb: instance.rootGb,
    },
    image: image && !bootsFromVolume ? imageRefOf(image) : null,
    kernel,
    ramdisk,
    kernelCommandLine: image?.properties.os_command_line ?? null,
    ports,
    volumes,
    configDrive: instance.configDrive ? configDriveFor(instance, ports) : null,
  };
}

/** Everything a spawn command says, read in one statement (it is read at every delivery). */
const readSpawnCommand = statement<
  "instanceId",
  { instance: unknown; image: unknown; ports: unknown; rules: unknown; volumes: unknown; request_id: string | null }
>(
  (v) => sql`
    select (select row_to_json(i) from ${schema.instances} i where i.id = ${v.instanceId}::uuid) as instance,
      ${latestRequestId(v.instanceId)} as request_id,
      (select row_to_json(img) from ${schema.images} img join ${schema.instances} i on i.image_id = img.id where i.id = ${v.instanceId}::uuid) as image,
      ${portSpecColumns(v.instanceId)},
      ${volumeSpecColumn(v.instanceId)}`,
);

/** Glance's kernel_id / ramdisk_id properties, resolved to images the agent can fetch. */
async function bootPartsOf(db: Executor, image: ImageRow | null): Promise<{ kernel: ImageRef | null; ramdisk: ImageRef | null }> {
  const kernelId = image?.properties.kernel_id;
  const ramdiskId = image?.properties.ramdisk_id;
  const ids = [kernelId, ramdiskId].filter((id): id is string => typeof id === "string" && id.length > 0);
  if (ids.length === 0) return { kernel: null, ramdisk: null };
  const rows = await db.select().from(schema.images).where(inArray(schema.images.id, ids));
  const find = (id: string | undefined) => {
    if (!id) return null;
    const row = rows.find((r) => r.id === id);
    if (!row) throw new Error(`Image ${image!.name} names ${id} as its kernel or ramdisk, and there is no such image.`);
    return imageRefOf(row);
  };
  return { kernel: find(kernelId), ramdisk: find(ramdiskId) };
}

/** OpenStack's config drive (openstack/latest): meta_data.json, network_data.json, user_data. */
function configDriveFor(instance: InstanceRow, ports: PortSpec[]): ConfigDrive {
  const publicKeys: Record<string, string> = instance.keyName && instance.keyData ? { [instance.keyName]: instance.keyData } : {};
  return {
    metaData: {
      uuid: instance.id,
      name: instance.name,
      hostname: hostnameFor(instance.name),
      availability_zone: instance.availabilityZone ?? "nova",
      project_id: instance.projectId,
      launch_index: instance.launchIndex,
      public_keys: publicKeys,
      meta: instance.metadata,
    },
    networkData: networkDataFor(ports),
    userData: instance.userData,
  };
}

/** Nova's network_data.json: one link and one static IPv4 network per port, plus DNS services. */
function networkDataFor(ports: PortSpec[]): Record<string, unknown> {
  return {
    links: ports.map((p) => ({ id: `tap${p.id.slice(0, 11)}`, vif_id: p.id, type: "bridge", ethernet_mac_address: p.macAddress, mtu: p.mtu })),
    networks: ports.map((p, i) => ({
      id: `network${i}`,
      type: p.enableDhcp ? "ipv4_dhcp" : "ipv4",
      link: `tap${p.id.slice(0, 11)}`,
      ip_address: p.ipAddress,
      netmask: netmaskOf(parseCidr(p.cidr).prefix),
      network_id: p.networkId,
      routes: p.gatewayIp ? [{ network: "0.0.0.0", netmask: "0.0.0.0", gateway: p.gatewayIp }] : [],
    })),
    services: [...new Set(ports.flatMap((p) => p.dnsNameservers))].map((address) => ({ type: "dns", address })),
  };
}

/** The request of the instance's latest action (its create, rebuild, evacuate …): what its spawn command carries. */
function latestRequestId(instanceId: Placeholder) {
  const a = schema.instanceActions;
  return sql`(select ${a.requestId} from ${a} where ${a.instanceId} = ${instanceId}::uuid order by ${a.startTime} desc, ${a.id} desc limit 1)`;
}

/** A destroy command: the host removes the domain, disks, config drive, DHCP entries and filters, and the volumes' bits as asked. */
export async function destroyCommandFor(db: Executor, instanceId: string, commandId: string): Promise<DestroyCommand> {
  const [attachments, ports, [latest]] = await Promise.all([
    db.select().from(schema.volumeAttachments).where(eq(schema.volumeAttachments.instanceId, instanceId)),
    db.select().from(schema.ports).where(eq(schema.ports.instanceId, instanceId)),
    db
      .select({ requestId: schema.instanceActions.requestId })
      .from(schema.instanceActions)
      .where(eq(schema.instanceActions.instanceId, instanceId))
      .orderBy(desc(schema.instanceActions.startTime), desc(schema.instanceActions.id))
      .limit(1),
  ]);
  return {
    commandId,
    ...(latest?.requestId ? { requestId: latest.requestId } : {}),
    instanceId,
    volumes: attachments.map((a) => ({ id: a.volumeId, delete: a.deleteOnTermination })),
    ports: ports.map((p) => ({ id: p.id, networkId: p.networkId, macAddress: p.macAddress, ipAddress: p.ipAddress })),
  };
}
