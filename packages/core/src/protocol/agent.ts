/**
 * The socket.io contract between the web server and compute agents (namespace `/agent`): the
 * handshake, what an agent sends (registration, heartbeats, numbered reports, download
 * progress, console output) and the commands the server sends it, each acknowledged. Every
 * payload has a zod schema; both sides parse what they receive and never cast wire JSON.
 */
import { z } from "zod";
import { eachOnce, INT4_MAX, text } from "../validation";
import type { INSTANCE_OPERATIONS } from "../instance/operations";

/**
 * 2: spawn commands carry images, ports, volumes and the config drive; agents stream consoles.
 * 3: reports that pile up travel together (`instance.reports`).
 * 4: report messages are numbered and several may be on their way at once (go-back-N).
 * 5: `ports.refresh` and `group.members`: security group rule and membership changes reach
 *    running guests; a remote group's members live in an ipset per host.
 * 6: `instance.action` (stop, start, reboot, pause, suspend and their undoing) and its reports
 *    (`task_started`, `task_done`, `task_failed`); agents report their domains' power states
 *    (`power_state`) on registration and whenever one changes.
 * 7: the moves: `resize` / `migrate` (power off on the source), `resize_finish` (the guest on
 *    the new flavor or host), `confirm_resize`, `revert_resize`, `finish_revert`, `evacuate`;
 *    and `instance.vnc`: where a guest's graphical console (VNC) listens, for the console proxy.
 * 8: `rebuild` (Nova's rebuild on the instance's own host: the guest destroyed, its ports kept, a
 *    fresh root disk from the image and a new config drive, defined and started as it was).
 *
 * 8: `instance.action` `snapshot` (Nova's createImage): the host copies the root disk and PUTs it to
 *    SNAPSHOT_UPLOAD_PATH (./http) with its host credential; an agent of 7 would refuse the command.
 *
 * 9: live migration (Nova's os-migrateLive): `live_migrate` (the destination prepares and answers
 *    its `migrateData` in its `task_done`), `live_migrate_source` (the source moves the running
 *    guest and reports `task_progress` with a percentage meanwhile), `live_migrate_finish` (the
 *    destination confirms the guest runs), `live_migrate_rollback` (the destination undoes).
 *
 * Additions since 6, which agents and servers of either side ignore (zod strips unknown keys):
 * a host may report its `tunnelAddress`; a server sends `network.entries` only to a host that
 * did, and a port spec carries its network's `segmentationId`. An agent that reports no tunnel
 * address keeps its tenant networks on the host, as before. Routers: a host may report its
 * `physicalNetworks`; a server sends `routers.sync` (an agent of before answers nothing for it,
 * so its routers stay unbuilt until it is updated).
 */
export const PROTOCOL_VERSION = 9;
/** The longest plain-words message a report or a refused command's ack may carry. */
export const MAX_PROTOCOL_MESSAGE_CHARS = 2000;
export const AGENT_NAMESPACE = "/agent";

// ───────────── handshake ─────────────

export const hostnameSchema = text("hostname").regex(/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,252}$/, "hostname must be a DNS name");

/**
 * An agent authenticates with its own host credential (from enrolment) or, on a single-machine
 * install, with the shared bootstrap secret.
 */
export const agentHandshakeSchema = z
  .object({
    credential: text("credential").min(16).max(512).optional(),
    secret: text("secret").min(16).max(512).optional(),
    hostname: hostnameSchema,
    protocolVersion: z.number().int().positive(),
    agentVersion: text("agentVersion").max(64),
  })
  .refine((v) => (v.credential === undefined) !== (v.secret === undefined), "present either a host credential or the shared secret");

export type AgentHandshake = z.infer<typeof agentHandshakeSchema>;

// ───────────── agent → server ─────────────

/** A provider physical network's name (Neutron's `provider:physical_network`, e.g. `physnet1`). */
export const physicalNetworkNameSchema = text("physical network").regex(
  /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
  "a physical network's name is letters, digits, '_', '.' and '-' (at most 64)",
);

/**
 * What an agent says its host is. The amounts are stored in int4 columns (compute_hosts), so a
 * figure past INT4_MAX is refused here, by name, rather than by the database.
 */
export const hostRegistrationSchema = z.object({
  hypervisorType: text("hypervisorType").min(1).max(64),
  hypervisorUri: text("hypervisorUri").min(1).max(512),
  cpuModel: text("cpuModel").max(128),
  vcpus: z.number().int().positive().max(INT4_MAX),
  memoryMb: z.number().int().positive().max(INT4_MAX),
  diskGb: z.number().int().nonnegative().max(INT4_MAX),
  /** Instance UUIDs of the Nimbus domains libvirt has on this host right now (reconciliation). */
  domains: z.array(z.uuid()).max(100_000).refine(eachOnce(), "each domain is listed once"),
  /**
   * The IPv4 address this host's VXLAN tunnels use (NIMBUS_TUNNEL_IP): other hosts send its
   * ports' traffic there. Absent: the host's tenant networks reach no other host.
   */
  tunnelAddress: z.ipv4().optional(),
  /**
   * The provider physical networks this host has a bridge for (NIMBUS_PHYSNETS, names only):
   * a router with a gateway on a flat external network of one of them may run here. Absent: none.
   */
  physicalNetworks: z.array(physicalNetworkNameSchema).max(64).refine(eachOnce(), "each physical network is listed once").optional(),
});
export type HostRegistration = z.infer<typeof hostRegistrationSchema>;

/**
 * A build's phases and delete's end; then a task's steps (an `instance.action`, named by its
 * commandId: `task_started` once the host began it, `task_done` or `task_failed` with the power
 * state it left), and `power_state`: what the domain's power is now (after the agent started, or
 * when it changed with no command: a guest shut down from inside).
 */
export const reportPhaseSchema = z.enum([
  "networking",
  "block_device_mapping",
  "spawning",
  "active",
  "error",
  "deleted",
  "task_started",
  "task_done",
  "task_failed",
  "power_state",
  "task_progress",
]);
export type ReportPhase = z.infer<typeof reportPhaseSchema>;

/**
 * Where a live migration's source sends the guest, as its destination prepared it (Nova's
 * LibvirtLiveMigrateData): the destination's libvirt as the source's libvirtd reaches it
 * (peer to peer), the URI its QEMU takes the guest's memory and disks on, and its state
 * directory (the source rewrites the guest's file paths from its own to it).
 */
export const liveMigrationTargetSchema = z.object({
  libvirtUri: text("libvirtUri").min(1).max(1024),
  migrateUri: text("migrateUri").min(1).max(1024),
  stateDir: text("stateDir").min(1).max(1024),
  /** A simulated destination (libvirt's test driver): the guest is moved by the agents themselves. */
  simulated: z.boolean(),
});
export type LiveMigrationTarget = z.infer<typeof liveMigrationTargetSchema>;

export const powerStateSchema = z.enum(["nostate", "running", "paused", "shutdown", "crashed", "suspended"]);

export const instanceReportSchema = z.object({
  instanceId: z.uuid(),
  commandId: z.uuid(),
  /** Per-instance sequence number: duplicates and stale reports are ignored by the server. */
  seq: z.number().int().nonnegative(),
  phase: reportPhaseSchema,
  powerState: powerStateSchema,
  at: z.iso.datetime(),
  /** Plain words for the user when phase is "error". */
  message: text("message").max(MAX_PROTOCOL_MESSAGE_CHARS).optional(),
  /** `task_progress`: how far the task is, in percent (a live migration's data sent of its total). */
  progress: z.number().int().min(0).max(100).optional(),
  /** `task_done` of a `live_migrate`: where the source sends the guest (Nova's migrate_data). */
  migrateData: liveMigrationTargetSchema.optional(),
});
export type InstanceReport = z.infer<typeof instanceReportSchema>;

/**
 * Reports travel in the order they were made, in numbered messages (`instance.reports`): `n`
 * counts a connection's messages from 0. The agent sends a message as soon as it has reports,
 * up to MAX_REPORT_MESSAGES_IN_FLIGHT unacknowledged; the server applies a connection's
 * messages strictly in order of `n` (those that wait together, in one go) and acknowledges
 * each once applied. A message it could not apply (a passing fault) is not acknowledged, and
 * neither is any later one until that one comes again: the agent, hearing no acknowledgement
 * in time, sends every unacknowledged message again, the same reports under the same numbers
 * (go-back-N). A message numbered below what the server expects is one it already has: it is
 * acknowledged as the first one was.
 */
export const MAX_REPORTS_PER_MESSAGE = 50;
export const MAX_REPORT_MESSAGES_IN_FLIGHT = 16;
export const instanceReportsSchema = z.object({
  n: z.number().int().nonnegative(),
  reports: z.array(instanceReportSchema).min(1).max(MAX_REPORTS_PER_MESSAGE),
});
export type InstanceReportsMessage = z.infer<typeof instanceReportsSchema>;

/** Image download progress during block_device_mapping (live only; not stored). */
export const downloadProgressSchema = z.object({
  instanceId: z.uuid(),
  imageId: z.uuid(),
  bytes: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative(),
});
export type DownloadProgress = z.infer<typeof downloadProgressSchema>;

export const MAX_CONSOLE_CHUNK_CHARS = 64 * 1024;

/** A piece of the guest's serial console log, at its byte offset in the console file. */
export const consoleChunkSchema = z.object({
  instanceId: z.uuid(),
  offset: z.number().int().nonnegative(),
  data: text("data").max(MAX_CONSOLE_CHUNK_CHARS),
});
export type ConsoleChunk = z.infer<typeof consoleChunkSchema>;

// ───────────── server → agent ─────────────

const macSchema = z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
/** The largest VXLAN network identifier (24 bits). */
export const VNI_MAX = 16_777_215;
const ipv4Schema = z.ipv4();

/**
 * An image the agent fetches from the server (GET `IMAGE_DOWNLOAD_PATH(id)`, see ./http, with its host
 * credential), verifies against `checksumSha256` and keeps once per host (Nova's `_base`).
 */
export const imageRefSchema = z.object({
  id: z.uuid(),
  name: z.string().max(255),
  /** qcow2 or raw for disks; aki / ari for a kernel / ramdisk. */
  diskFormat: z.string().min(1).max(16),
  sizeBytes: z.number().int().nonnegative(),
  checksumSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ImageRef = z.infer<typeof imageRefSchema>;

/** Addresses a rule admits, or a remote group's members: CIDRs, blocks of consecutive addresses. */
const remoteCidrsSchema = z.array(z.string().max(64)).max(10_000);

export const securityGroupRuleSpecSchema = z.object({
  id: z.uuid(),
  direction: z.enum(["ingress", "egress"]),
  ethertype: z.literal("IPv4"),
  protocol: z.enum(["tcp", "udp", "icmp"]).nullable(),
  portRangeMin: z.number().int().min(0).max(65535).nullable(),
  portRangeMax: z.number().int().min(0).max(65535).nullable(),
  /** CIDRs the rule admits: the rule's prefix, or the addresses of the remote group's ports. */
  remoteCidrs: remoteCidrsSchema.nullable(),
  /**
   * The remote group, when the rule names one: a host that keeps ipsets admits its members
   * through the group's set (filled from `remoteCidrs` when new, then kept by `group.members`).
   */
  remoteGroupId: z.uuid().nullable(),
});
export type SecurityGroupRuleSpec = z.infer<typeof securityGroupRuleSpecSchema>;

/**
 * A rule whose remote group's members a host keeps in an ipset, sent by `group.members`: one of
 * any protocol (the agent renders it as `<all>`, the only element libvirt takes `ipset` on). The
 * default group's "from its own members" is one. The server picks the same rules in SQL
 * (port-filters.ts, `anyProtocol`).
 */
export function usesMemberSet(rule: SecurityGroupRuleSpec): rule is SecurityGroupRuleSpec & { remoteGroupId: string } {
  return rule.remoteGroupId !== null && rule.protocol === null;
}

/** A Neutron port as the host plugs it: its network's bridge and DHCP entry, and its firewall. */
export const portSpecSchema = z.object({
  id: z.uuid(),
  networkId: z.uuid(),
  networkName: z.string().max(255),
  macAddress: macSchema,
  ipAddress: ipv4Schema,
  cidr: z.string().max(64),
  gatewayIp: ipv4Schema.nullable(),
  dnsNameservers: z.array(ipv4Schema).max(8),
  enableDhcp: z.boolean(),
  mtu: z.number().int().min(68).max(9216),
  /**
   * The network's VXLAN network identifier: a host with a tunnel address puts a VXLAN device of
   * this VNI on the network's bridge. Null or absent (an older server): host-local.
   */
  segmentationId: z.number().int().min(1).max(VNI_MAX).nullish(),
  /**
   * A vlan provider network's segment: the host puts a VLAN device of this id on its interface
   * for the physical network (NIMBUS_PHYSNETS) into the network's bridge. Null or absent: none.
   */
  vlan: z.object({ physicalNetwork: physicalNetworkNameSchema, id: z.number().int().min(1).max(4094) }).nullish(),
  /** Every rule of every security group on the port (no rules at all: everything dropped). */
  securityGroupRules: z.array(securityGroupRuleSpecSchema).max(1_000),
});
export type PortSpec = z.infer<typeof portSpecSchema>;

/** A volume attached at build: made on this host (blank or from `image`) if it has no bits yet. */
export const volumeSpecSchema = z.object({
  id: z.uuid(),
  sizeGb: z.number().int().positive(),
  device: z.string().regex(/^vd[a-z]$/),
  /** 0: the instance boots from this volume. */
  bootIndex: z.number().int().nonnegative().nullable(),
  /** The image the volume is made from when it has no bits yet; null: blank. */
  image: imageRefSchema.nullable(),
  /** The bits already exist on this host (an earlier attachment made them). */
  exists: z.boolean(),
});
export type VolumeSpec = z.infer<typeof volumeSpecSchema>;

/** The OpenStack config drive's content (openstack/latest/*), written by the agent to an ISO. */
export const configDriveSchema = z.object({
  /** meta_data.json */
  metaData: z.object({
    uuid: z.uuid(),
    name: z.string().max(255),
    hostname: z.string().max(255),
    availability_zone: z.string().max(255),
    project_id: z.uuid(),
    launch_index: z.number().int().nonnegative(),
    public_keys: z.record(z.string(), z.string()),
    meta: z.record(z.string(), z.string()),
  }),
  /** network_data.json (links, networks, services) as Nova writes it. */
  networkData: z.record(z.string(), z.unknown()),
  /** user_data, base64; null when none was given. */
  userData: z.string().max(90_000).nullable(),
});
export type ConfigDrive = z.infer<typeof configDriveSchema>;

/**
 * The API request a command comes from (x-openstack-request-id, or the console call's id): the
 * host logs it with the command's lines, so one grep follows a launch or delete from the API to
 * the host. Optional: an agent or server without it still speaks the protocol.
 */
export const requestIdSchema = z
  .string()
  .max(128)
  .regex(/^[\x21-\x7e]+$/, "printable characters, no spaces");

export const spawnCommandSchema = z.object({
  commandId: z.uuid(),
  requestId: requestIdSchema.optional(),
  instance: z.object({
    id: z.uuid(),
    name: z.string().min(1).max(255),
    hostname: z.string().min(1).max(63),
    vcpus: z.number().int().positive(),
    memoryMb: z.number().int().positive(),
    rootGb: z.number().int().nonnegative(),
  }),
  /** The root disk's image: the instance disk is a qcow2 overlay on its cached base, grown to rootGb. Null when booting from a volume. */
  image: imageRefSchema.nullable(),
  /** Direct kernel boot (Glance's kernel_id / ramdisk_id / os_command_line properties). */
  kernel: imageRefSchema.nullable(),
  ramdisk: imageRefSchema.nullable(),
  kernelCommandLine: z.string().max(2048).nullable(),
  ports: z.array(portSpecSchema).max(16),
  volumes: z.array(volumeSpecSchema).max(16),
  configDrive: configDriveSchema.nullable(),
});
export type SpawnCommand = z.infer<typeof spawnCommandSchema>;

export const destroyCommandSchema = z.object({
  commandId: z.uuid(),
  requestId: requestIdSchema.optional(),
  instanceId: z.uuid(),
  /** Volumes attached to the instance: deleted (delete-on-termination) or only detached. */
  volumes: z
    .array(z.object({ id: z.uuid(), delete: z.boolean() }))
    .max(16)
    .default([]),
  /** The instance's ports, so the host can drop their DHCP entries and filters. */
  ports: z
    .array(z.object({ id: z.uuid(), networkId: z.uuid(), macAddress: macSchema, ipAddress: ipv4Schema }))
    .max(16)
    .default([]),
});

/** Most ports in one `ports.refresh` command. */
export const MAX_PORTS_PER_REFRESH = 64;

/**
 * The ports' firewalls as they are now (a rule of one of their groups changed): the host
 * redefines each port's filter it still has, which re-applies it to the running guest.
 */
export const portsRefreshCommandSchema = z.object({
  commandId: z.uuid(),
  ports: z.array(portSpecSchema).min(1).max(MAX_PORTS_PER_REFRESH),
});
export type PortsRefreshCommand = z.infer<typeof portsRefreshCommandSchema>;

/** A remote security group's members as they are now: the host replaces its set's contents. */
export const groupMembersCommandSchema = z.object({
  commandId: z.uuid(),
  groupId: z.uuid(),
  /**
   * When the server decided to send this list (ms, its database's clock): two web processes may
   * send one group's members moments apart, and a host keeps the later list whichever arrives last.
   */
  version: z.number().nonnegative(),
  cidrs: remoteCidrsSchema,
});
export type GroupMembersCommand = z.infer<typeof groupMembersCommandSchema>;

/** Most forwarding entries in one `network.entries` command (a full list of a larger network goes in several). */
export const MAX_NETWORK_ENTRIES = 5_000;

/** One port of another host on the network: its MAC and IP, reached through that host's tunnel address. */
export const forwardingEntrySchema = z.object({ mac: macSchema, ip: ipv4Schema, dst: ipv4Schema });
export type ForwardingEntry = z.infer<typeof forwardingEntrySchema>;

/**
 * The forwarding entries a host keeps for one network (Neutron's l2population): for each port
 * of the network on another host, a VXLAN forwarding entry (`bridge fdb … dst <tunnel address>`)
 * and a permanent neighbour entry (answered by the VXLAN device's ARP proxy), so no broadcast
 * or unknown unicast ever crosses hosts.
 *
 * Entries carry the network's revisions: `full` lists every entry as of `toRevision` (the host
 * keeps exactly these, in place of what it has, in the kernel too); otherwise the command holds
 * what changed after `fromRevision` up to `toRevision`, and a host that has not applied
 * `fromRevision` answers that it is out of step, and is then sent the full list. A command whose
 * `toRevision` the host has already passed is acknowledged and changes nothing (two web
 * processes may send one change moments apart). A full list of more than MAX_NETWORK_ENTRIES
 * goes in parts: the first `full`, the rest as changes from and to the same revision.
 */
export const networkEntriesCommandSchema = z
  .object({
    commandId: z.uuid(),
    networkId: z.uuid(),
    segmentationId: z.number().int().min(1).max(VNI_MAX),
    mtu: z.number().int().min(68).max(9216),
    full: z.boolean(),
    fromRevision: z.number().int().min(-1),
    toRevision: z.number().int().nonnegative(),
    upsert: z.array(forwardingEntrySchema).max(MAX_NETWORK_ENTRIES),
    /** Entries to drop, by MAC (and IP, for the neighbour entry). */
    remove: z.array(forwardingEntrySchema.pick({ mac: true, ip: true })).max(MAX_NETWORK_ENTRIES),
  })
  .refine((c) => c.toRevision >= c.fromRevision, "toRevision must not be below fromRevision");
export type NetworkEntriesCommand = z.infer<typeof networkEntriesCommandSchema>;

/** How a host's refusal of `network.entries` begins when it has not applied `fromRevision`: the server then sends the full list. */
export const NETWORK_ENTRIES_OUT_OF_STEP = "out of step";

/** Most routers one host runs (one `routers.sync` lists them all). */
export const MAX_ROUTERS_PER_HOST = 256;

/** A router's leg into one of its subnets: the subnet's gateway address on the network's bridge. */
export const routerInterfaceSpecSchema = z.object({
  /** The router_interface port: the network's bridge on this host, its MAC and (gateway) address, as a port spec. */
  port: portSpecSchema,
  /** The subnet's prefix length (the port spec's `cidr` names the subnet). */
  prefix: z.number().int().min(1).max(30),
});

/** A router this host runs (Neutron's L3 agent's router info). */
export const routerSpecSchema = z.object({
  id: z.uuid(),
  interfaces: z.array(routerInterfaceSpecSchema).max(64),
  /** Its leg on an external flat network, on the host's bridge for that physical network; null: none. */
  gateway: z
    .object({
      portId: z.uuid(),
      physicalNetwork: physicalNetworkNameSchema,
      macAddress: macSchema,
      ipAddress: ipv4Schema,
      prefix: z.number().int().min(1).max(30),
      /** The external subnet's gateway (the router's default route); null: none. */
      nextHop: ipv4Schema.nullable(),
      mtu: z.number().int().min(68).max(9216),
    })
    .nullable(),
  /** Whether the subnets' traffic out through the gateway takes the gateway's address (SNAT). */
  enableSnat: z.boolean(),
  /** 1:1 NAT: the floating address (on the gateway's leg) to the fixed address of an associated port. */
  floatingIps: z.array(z.object({ floatingIpAddress: ipv4Schema, fixedIpAddress: ipv4Schema })).max(1_000),
});
export type RouterSpec = z.infer<typeof routerSpecSchema>;

/**
 * Every router this host is to run, as it should be now (`routers.sync`): the host builds each
 * (a network namespace with a leg into each network and the external bridge, its NAT rules),
 * removes what is not listed, and acknowledges once they are so. Idempotent: the same list
 * again changes nothing; the server sends it after every change and whenever the host registers.
 */
export const routersSyncCommandSchema = z.object({
  commandId: z.uuid(),
  routers: z.array(routerSpecSchema).max(MAX_ROUTERS_PER_HOST),
});
export type RoutersSyncCommand = z.infer<typeof routersSyncCommandSchema>;

/** Deletes a detached volume's bits on the host that holds them. */
export const volumeDeleteCommandSchema = z.object({ commandId: z.uuid(), volumeId: z.uuid() });
export type VolumeDeleteCommand = z.infer<typeof volumeDeleteCommandSchema>;
export type DestroyCommand = z.infer<typeof destroyCommandSchema>;

/** The longest graceful shutdown a command may ask for (Nova's shutdown_timeout, per image os_shutdown_timeout). */
export const MAX_SHUTDOWN_TIMEOUT_SECONDS = 3600;
const actionBase = { commandId: z.uuid(), instanceId: z.uuid() };
/** How long the guest has to shut down by itself (ACPI) before it is powered off. */
const shutdownTimeout = { shutdownTimeoutSeconds: z.number().int().min(0).max(MAX_SHUTDOWN_TIMEOUT_SECONDS) };

/** What a move step that defines the guest needs: its spawn command and whether it is left running. */
const moveSpawn = { sameHost: z.boolean(), powerOn: z.boolean(), spawn: spawnCommandSchema };
/** The ports of a guest that leaves a host, so the host can drop their DHCP entries and filters. */
const movePorts = destroyCommandSchema.shape.ports;

/**
 * An action on an instance the host runs (`instance.action`), one variant per operation with
 * its own parameters. Acknowledged at once; the host then reports `task_started` and
 * `task_done` or `task_failed` under the same commandId. A resent command (same id) is not run twice.
 */
export const instanceActionCommandSchema = z.discriminatedUnion("operation", [
  z.object({ ...actionBase, operation: z.literal("stop"), ...shutdownTimeout }),
  z.object({ ...actionBase, operation: z.literal("start") }),
  z.object({ ...actionBase, operation: z.literal("reboot"), ...shutdownTimeout }),
  z.object({ ...actionBase, operation: z.literal("reboot_hard") }),
  z.object({ ...actionBase, operation: z.literal("pause") }),
  z.object({ ...actionBase, operation: z.literal("unpause") }),
  z.object({ ...actionBase, operation: z.literal("suspend") }),
  z.object({ ...actionBase, operation: z.literal("resume") }),
  // The moves (Nova's resize_instance, finish_resize, confirm_resize, revert_resize,
  // finish_revert_resize, rebuild for an evacuation). `sameHost`: source and destination are
  // this host. A step that defines the guest carries its spawn command (flavor, image, ports,
  // config drive as on the new host), `powerOn` whether it is left running.
  z.object({ ...actionBase, operation: z.literal("resize"), ...shutdownTimeout, sameHost: z.boolean() }),
  z.object({ ...actionBase, operation: z.literal("migrate"), ...shutdownTimeout, sameHost: z.boolean() }),
  z.object({ ...actionBase, operation: z.literal("resize_finish"), ...moveSpawn }),
  z.object({ ...actionBase, operation: z.literal("confirm_resize"), sameHost: z.boolean(), ports: movePorts }),
  z.object({ ...actionBase, operation: z.literal("revert_resize"), ...moveSpawn, ports: movePorts }),
  z.object({ ...actionBase, operation: z.literal("finish_revert"), ...moveSpawn }),
  z.object({ ...actionBase, operation: z.literal("evacuate"), ...moveSpawn }),
  // Nova's snapshot: the root disk copied (a running guest's memory saved meanwhile, so the copy
  // is consistent, and the guest put back as it was) and uploaded to SNAPSHOT_UPLOAD_PATH(imageId).
  z.object({ ...actionBase, operation: z.literal("snapshot"), imageId: z.uuid(), imageName: z.string().max(255) }),
  // Nova's rebuild on this host: the guest goes (its ports stay plugged), the root disk and the
  // config drive are made again from `spawn` (the new image, name, key, user data, metadata),
  // and the guest is defined and started, or left off when `powerOn` is false (it was SHUTOFF).
  // The host reports `task_started` as it begins spawning (rebuild_spawning).
  z.object({ ...actionBase, operation: z.literal("rebuild"), powerOn: z.boolean(), spawn: spawnCommandSchema }),
  // Live migration (Nova's pre_live_migration, live_migration, post_live_migration_at_destination,
  // rollback_live_migration_at_destination). The destination plugs the ports and, for a block
  // migration, makes an empty root overlay on the image's cached base for the copy to fill.
  // `paused`: the guest is paused on its source (libvirt keeps it so; a simulated twin is paused too).
  z.object({ ...actionBase, operation: z.literal("live_migrate"), blockMigration: z.boolean(), paused: z.boolean(), spawn: spawnCommandSchema }),
  z.object({
    ...actionBase,
    operation: z.literal("live_migrate_source"),
    blockMigration: z.boolean(),
    target: liveMigrationTargetSchema,
    ports: movePorts,
  }),
  z.object({ ...actionBase, operation: z.literal("live_migrate_finish") }),
  z.object({ ...actionBase, operation: z.literal("live_migrate_rollback"), ports: movePorts }),
]);
export type InstanceActionCommand = z.infer<typeof instanceActionCommandSchema>;
/** Every operation has its command variant (checked when the table of operations grows). */
const _everyOperationHasACommand: (typeof INSTANCE_OPERATIONS)[number] extends InstanceActionCommand["operation"] ? true : never = true;
void _everyOperationHasACommand;

/**
 * Where does this instance's graphical console listen? (Nova's `get_vnc_console`.) The host
 * reads the running domain's VNC display and answers with `VncConsoleAck`.
 */
export const vncConsoleCommandSchema = z.object({ commandId: z.uuid(), instanceId: z.uuid() });
export type VncConsoleCommand = z.infer<typeof vncConsoleCommandSchema>;

/**
 * The address the console proxy connects to for a host's displays: an IP address or a DNS name
 * (the agent's NIMBUS_VNC_SERVER_PROXYCLIENT_ADDRESS, Nova's `server_proxyclient_address`).
 */
export const consoleHostSchema = z.union([z.ipv4(), z.ipv6(), hostnameSchema]);

/** Where the display is (the proxy's side of it), or in plain words why there is none. */
export const vncConsoleAckSchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), host: consoleHostSchema, port: z.number().int().min(1).max(65535) }),
  z.object({ ok: z.literal(false), error: z.string().max(MAX_PROTOCOL_MESSAGE_CHARS) }),
]);
export type VncConsoleAck = z.infer<typeof vncConsoleAckSchema>;

/** Every command is acknowledged; a refusal says why in plain words. */
export const commandAckSchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), error: z.string().max(MAX_PROTOCOL_MESSAGE_CHARS) }),
]);
export type CommandAck = z.infer<typeof commandAckSchema>;

/** The acknowledgement of `instance.reports`: every report was taken, except those refused (and why). */
export const reportsAckSchema = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    refused: z
      .array(z.object({ instanceId: z.uuid(), seq: z.number().int().nonnegative(), error: z.string().max(MAX_PROTOCOL_MESSAGE_CHARS) }))
      .max(MAX_REPORTS_PER_MESSAGE),
  }),
  z.object({ ok: z.literal(false), error: z.string().max(MAX_PROTOCOL_MESSAGE_CHARS) }),
]);
export type ReportsAck = z.infer<typeof reportsAckSchema>;

export const registrationAckSchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), hostId: z.uuid(), heartbeatIntervalMs: z.number().int().positive() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type RegistrationAck = z.infer<typeof registrationAckSchema>;

/** socket.io typings for the `/agent` namespace, server side. Payloads arrive as `unknown`. */
export interface AgentToServerEvents {
  "host.register": (payload: unknown, ack: (response: RegistrationAck) => void) => void;
  "host.heartbeat": (payload: unknown) => void;
  "instance.reports": (payload: unknown, ack: (response: ReportsAck) => void) => void;
  "instance.download": (payload: unknown) => void;
  "instance.console": (payload: unknown, ack: (response: CommandAck) => void) => void;
}
/**
 * Each command the server sends an agent, by event name, with its payload; every one is
 * acknowledged with a `CommandAck`, but `instance.vnc` with a `VncConsoleAck`.
 */
export interface AgentCommands {
  "instance.spawn": SpawnCommand;
  "instance.destroy": DestroyCommand;
  "instance.action": InstanceActionCommand;
  "volume.delete": VolumeDeleteCommand;
  "ports.refresh": PortsRefreshCommand;
  "group.members": GroupMembersCommand;
  "network.entries": NetworkEntriesCommand;
  "instance.vnc": VncConsoleCommand;
  "routers.sync": RoutersSyncCommand;
}
export type AgentCommand = keyof AgentCommands;
/**
 * socket.io typings of the commands on the wire: the server sends each through a `send` typed by
 * `AgentCommands`; the agent receives it as `unknown` and parses it with the command's schema,
 * and the server parses the ack's answer (a `CommandAck`) as `unknown` too.
 */
export type ServerToAgentEvents = { [E in AgentCommand]: (payload: unknown, ack: (response: unknown) => void) => void };

/** The socket.io room of the agent serving a host. */
export const hostRoom = (hostId: string) => `host:${hostId}`;
