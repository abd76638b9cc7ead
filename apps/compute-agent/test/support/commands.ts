import { createHash, randomUUID } from "node:crypto";
import type { ConfigDrive, ImageRef, PortSpec, SpawnCommand, VolumeSpec } from "@nimbus/core/protocol/agent";

/** Long enough for the handshake schema. */
export const SECRET = "test-shared-secret-0123456789";

/** A protocol-2 spawn command with one port, no image, no volumes and no config drive. */
export function spawnCommand(instanceId: string = randomUUID(), overrides: Partial<Omit<SpawnCommand, "instance">> = {}): SpawnCommand {
  return {
    commandId: randomUUID(),
    instance: { id: instanceId, name: "web-1", hostname: "web-1", vcpus: 1, memoryMb: 256, rootGb: 0 },
    image: null,
    kernel: null,
    ramdisk: null,
    kernelCommandLine: null,
    ports: [portSpec()],
    volumes: [],
    configDrive: null,
    ...overrides,
  };
}

export function portSpec(overrides: Partial<PortSpec> = {}): PortSpec {
  return {
    id: randomUUID(),
    networkId: randomUUID(),
    networkName: "private",
    macAddress: "fa:16:3e:00:00:02",
    ipAddress: "10.0.0.5",
    cidr: "10.0.0.0/24",
    gatewayIp: "10.0.0.1",
    dnsNameservers: ["10.0.0.2"],
    enableDhcp: true,
    mtu: 1500,
    securityGroupRules: [],
    ...overrides,
  };
}

/** The reference the server would send for an image with these bytes. */
export function imageRef(bytes: Buffer, overrides: Partial<ImageRef> = {}): ImageRef {
  return {
    id: randomUUID(),
    name: "cirros",
    diskFormat: "qcow2",
    sizeBytes: bytes.length,
    checksumSha256: createHash("sha256").update(bytes).digest("hex"),
    ...overrides,
  };
}

export function volumeSpec(overrides: Partial<VolumeSpec> = {}): VolumeSpec {
  return { id: randomUUID(), sizeGb: 1, device: "vdb", bootIndex: null, image: null, exists: false, ...overrides };
}

export function configDrive(instanceId: string, overrides: Partial<ConfigDrive["metaData"]> = {}, userData: string | null = null): ConfigDrive {
  return {
    metaData: {
      uuid: instanceId,
      name: "web-1",
      hostname: "web-1",
      availability_zone: "nova",
      project_id: randomUUID(),
      launch_index: 0,
      public_keys: { mykey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGmJ3vNqB0Vqk4+ZbQ7pXc8yJb2fX9bJ5Ck1zj3TcSx4 alice@example" },
      meta: {},
      ...overrides,
    },
    networkData: { links: [], networks: [], services: [] },
    userData,
  };
}
