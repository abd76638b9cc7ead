import type { DestroyCommand, InstanceReport, LiveMigrationTarget, PortSpec, SpawnCommand } from "@nimbus/core/protocol/agent";
import type { DownloadListener, ImageSource } from "../image-cache";

export type PowerState = InstanceReport["powerState"];

/** How a guest's NIC is attached (NIMBUS_VIF): QEMU user-mode, a libvirt network, a host bridge, or no NIC. */
export type Vif = { kind: "user" } | { kind: "network"; name: string } | { kind: "bridge"; name: string } | { kind: "none" };

/** One NIC of the guest: a port, where it attaches, and the nwfilter that enforces its security groups. */
export interface NicSpec {
  portId: string;
  vif: Exclude<Vif, { kind: "none" }>;
  macAddress: string;
  /** The libvirt nwfilter of the port's security groups; null: unfiltered. */
  filter: string | null;
}

/** A disk of the guest: the root overlay or a volume, at its device (`vda`, `vdb`, …). */
export interface DiskSpec {
  device: string;
  file: string;
  /** The volume's id, which the guest sees as the disk's serial; null for the root overlay. */
  volumeId: string | null;
}

/** What the block_device_mapping step made on this host for the instance. */
export interface BlockDevices {
  /** `<stateDir>/instances/<id>`; null on a simulated host, which makes no files. */
  instanceDir: string | null;
  disks: DiskSpec[];
  /** The config drive ISO (`disk.config`), attached as a read-only CD-ROM. */
  configDrive: string | null;
  /** Direct kernel boot: the cached kernel and ramdisk. */
  kernel: string | null;
  ramdisk: string | null;
  /** The file the guest's serial console is written to. */
  consoleLog: string | null;
}

/** No block devices at all: what a simulated host's instances get (it makes no files). Shared, so never mutated. */
export const NO_BLOCK_DEVICES: BlockDevices = { instanceDir: null, disks: [], configDrive: null, kernel: null, ramdisk: null, consoleLog: null };

/** What the preparation steps of a spawn produced, handed to the final `spawn` step. */
export interface SpawnPlan {
  nics: NicSpec[];
  blockDevices: BlockDevices;
}

export interface BlockDeviceContext {
  images: ImageSource;
  /** Progress of each image download the spawn waits for. */
  onDownload: (imageId: string, ...progress: Parameters<DownloadListener>) => void;
}

/** What the hypervisor offers, as sent in `host.register`. */
export interface NodeInventory {
  hypervisorType: string;
  uri: string;
  cpuModel: string;
  vcpus: number;
  memoryMb: number;
}

/**
 * A hypervisor as the compute manager sees it (Nova's virt driver). A spawn runs in three steps,
 * each reported to the server before it starts: `plugNetwork` (networking),
 * `prepareBlockDevices` (block_device_mapping: image downloads, disks, volumes, config drive),
 * `spawn` (spawning). Domains are keyed by the instance id, so repeating a step for the same
 * instance never makes a second domain. A failed spawn is undone with `abortSpawn`.
 */
export interface ComputeDriver {
  nodeInfo(): Promise<NodeInventory>;
  /** UUIDs of the domains this agent manages (other domains on the host are not instances). */
  listDomainUuids(): Promise<string[]>;
  /** Plugs the instance's ports into the host's networks and returns the guest's NICs. */
  plugNetwork(command: SpawnCommand): Promise<NicSpec[]>;
  /** Fetches the images and makes the instance's directory, disks, new volumes and config drive. */
  prepareBlockDevices(command: SpawnCommand, context: BlockDeviceContext): Promise<BlockDevices>;
  /** Defines and starts the domain and resolves once it runs. */
  spawn(command: SpawnCommand, plan: SpawnPlan): Promise<void>;
  /**
   * Removes everything a spawn of `command` may have made: the domain, the instance directory,
   * the volumes the command asked to make, and the ports' plumbing. Harmless for what is not there.
   */
  abortSpawn(command: SpawnCommand): Promise<void>;
  /**
   * Stops and undefines the domain, removes the instance directory and the volumes flagged
   * `delete`, and unplugs the ports; what is already gone is not an error.
   */
  destroy(command: DestroyCommand): Promise<void>;
  /**
   * Nova's rebuild's destroy: the domain stopped and undefined and the instance directory (root
   * overlay, config drive, console log) removed, while its volumes and its ports' plumbing (DHCP
   * entries, filters) stay for the guest that is made again. What is already gone is not an error.
   */
  discardGuest(instanceId: string): Promise<void>;
  /** Removes a detached volume's file; a missing file is not an error. */
  deleteVolume(volumeId: string): Promise<void>;
  /**
   * Re-applies the ports' security group rules to the guests that have them; resolves with the
   * ids of the ports refreshed (none where ports are not filtered, as on the test driver).
   */
  refreshPortFilters(ports: PortSpec[]): Promise<string[]>;
  /**
   * A remote security group's members as they were at `version` (no-op where ports are not
   * filtered); an older list than one already taken is ignored.
   */
  replaceGroupMembers(groupId: string, cidrs: string[], version: number): Promise<void>;
  /**
   * The lifecycle operations on an existing domain (Nova's virt driver: power_off, power_on,
   * reboot, pause, unpause, suspend, resume). Each resolves once the domain is in the state it
   * asked for and rejects, in plain words, when it cannot be; a missing domain is an error.
   * `powerOff` asks the guest to shut down (ACPI) and powers it off after `shutdownTimeoutMs`.
   */
  powerOff(instanceId: string, options: { shutdownTimeoutMs: number }): Promise<void>;
  powerOn(instanceId: string): Promise<void>;
  /** Soft: shut down (up to `shutdownTimeoutMs`, then forced) and start again; hard: power-cycle at once. */
  reboot(instanceId: string, options: { hard: boolean; shutdownTimeoutMs: number }): Promise<void>;
  pause(instanceId: string): Promise<void>;
  unpause(instanceId: string): Promise<void>;
  /** Saves the guest's memory to the host's disk and stops the domain (libvirt's save). */
  suspend(instanceId: string): Promise<void>;
  /** Restores a suspended guest from its saved memory. */
  resume(instanceId: string): Promise<void>;
  /**
   * The disk side of a move (Nova's resize on libvirt): before a resize on one host the root
   * disk is kept aside (`disk.resize-backup`) so a revert can put it back; `growDisk` grows the
   * root disk to `rootGb` (never shrinks it); a confirm drops the backup. No-ops where the
   * instance has no disk file (a simulated host, a guest booted from a volume).
   */
  backupDisk(instanceId: string): Promise<void>;
  restoreDisk(instanceId: string): Promise<void>;
  dropDiskBackup(instanceId: string): Promise<void>;
  growDisk(instanceId: string, rootGb: number): Promise<void>;
  /**
   * Nova's cold snapshot: a running or paused guest's memory is saved (so the disk is consistent
   * and QEMU lets go of it), its root disk is copied, flattened with its base image, into a
   * self-contained qcow2 at `snapshotFileOf(imageId)`, and the guest is put back in the power
   * state it had, whether or not the copy worked. A host with no disks (simulated) makes a small
   * blank qcow2 instead and says so (`simulated`), as Nova's fake driver does. The caller removes
   * the file once it is uploaded.
   */
  snapshot(instanceId: string, imageId: string): Promise<{ file: string; simulated: boolean }>;
  /**
   * Nova's pre_live_migration on the destination (its ports already plugged into `nics`): the
   * images cached, the instance directory, config drive and, for a block migration, the root
   * overlay made empty on the image's cached base, of the instance's size, for libvirt's copy to
   * fill (without one, the root disk must already be here: shared storage). Answers where the
   * source is to send the guest. A simulated host (libvirt's test driver, which no guest can
   * reach) defines and starts the guest itself, as the one that arrives.
   */
  prepareLiveMigration(
    command: SpawnCommand,
    options: { blockMigration: boolean; paused: boolean; nics: NicSpec[]; context: BlockDeviceContext },
  ): Promise<LiveMigrationTarget>;
  /**
   * Nova's live_migration on the source: the running guest moves to `target` (libvirt's
   * migrateToURI3, peer to peer: LIVE | PEER2PEER | PERSIST_DEST | UNDEFINE_SOURCE, and
   * NON_SHARED_INC for a block migration), its file paths rewritten to the destination's state
   * directory; `onProgress` hears the percentage of the data sent while it runs. Resolves once
   * the guest runs on the destination and its domain is gone here; on a failure libvirt leaves
   * it running here. A simulated host's guest leaves by being removed.
   */
  liveMigrate(
    instanceId: string,
    target: LiveMigrationTarget,
    options: { blockMigration: boolean; onProgress: (percent: number) => void },
  ): Promise<void>;
  /** `nostate` when there is no such domain; `suspended` for a domain stopped with its memory saved. */
  powerState(instanceId: string): Promise<PowerState>;
  /**
   * The port of the running guest's VNC display on this host; throws, in plain words, when it
   * has none (no such domain, not running, a host whose guests have no display).
   */
  vncPort(instanceId: string): Promise<number>;
  close(): Promise<void>;
}
