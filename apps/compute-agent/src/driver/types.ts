import type { InstanceReport, SpawnCommand } from "@nimbus/core/protocol";

export type PowerState = InstanceReport["powerState"];

/** How a guest's NIC is attached (NIMBUS_VIF): QEMU user-mode, a libvirt network, a host bridge, or no NIC. */
export type Vif = { kind: "user" } | { kind: "network"; name: string } | { kind: "bridge"; name: string } | { kind: "none" };

/** The NIC a guest gets: where it attaches and the MAC the server chose. */
export interface NicSpec {
  vif: Exclude<Vif, { kind: "none" }>;
  macAddress: string;
}

/** What the hypervisor offers, as sent in `host.register`. */
export interface NodeInventory {
  hypervisorType: string;
  uri: string;
  cpuModel: string;
  vcpus: number;
  memoryMb: number;
}

/** What the preparation steps of a spawn produced, handed to the final `spawn` step. */
export interface SpawnPlan {
  nic: NicSpec | null;
  instanceDir: string;
}

/**
 * A hypervisor as the compute manager sees it (Nova's virt driver). A spawn runs in three steps,
 * each reported to the server before it starts: `planNetwork` (networking),
 * `prepareBlockDevices` (block_device_mapping), `spawn` (spawning). Domains are keyed by the
 * instance id, so repeating a step for the same instance never makes a second domain.
 */
export interface ComputeDriver {
  nodeInfo(): Promise<NodeInventory>;
  /** UUIDs of the domains this agent manages (other domains on the host are not instances). */
  listDomainUuids(): Promise<string[]>;
  planNetwork(command: SpawnCommand): NicSpec | null;
  /** Creates the instance's directory in the state dir (and, later, its disks). */
  prepareBlockDevices(command: SpawnCommand): Promise<{ instanceDir: string }>;
  /** Defines and starts the domain and resolves once it runs; on failure removes what it made, then throws. */
  spawn(command: SpawnCommand, plan: SpawnPlan): Promise<void>;
  /** Stops and undefines the domain and removes the instance's directory; a missing domain is not an error. */
  destroy(instanceId: string): Promise<void>;
  /** `nostate` when there is no such domain. */
  powerState(instanceId: string): Promise<PowerState>;
  close(): Promise<void>;
}
