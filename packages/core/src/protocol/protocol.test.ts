import { describe, expect, it } from "vitest";
import {
  agentHandshakeSchema,
  commandAckSchema,
  hostRegistrationSchema,
  instanceReportSchema,
  networkEntriesCommandSchema,
  spawnCommandSchema,
  vncConsoleAckSchema,
} from "./agent";

const id = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";

describe("agent protocol schemas", () => {
  it("accepts a well-formed report and refuses unknown phases or missing sequence numbers", () => {
    const report = { instanceId: id, commandId: id, seq: 0, phase: "spawning", powerState: "nostate", at: new Date().toISOString() };
    expect(instanceReportSchema.safeParse(report).success).toBe(true);
    expect(instanceReportSchema.safeParse({ ...report, phase: "exploded" }).success).toBe(false);
    const { seq: _seq, ...withoutSeq } = report;
    expect(instanceReportSchema.safeParse(withoutSeq).success).toBe(false);
  });

  it("refuses a spawn command with a malformed MAC, a bad address or an image without its checksum", () => {
    const port = {
      id,
      networkId: id,
      networkName: "net",
      macAddress: "fa:16:3e:00:00:01",
      ipAddress: "10.0.0.5",
      cidr: "10.0.0.0/24",
      gatewayIp: "10.0.0.1",
      dnsNameservers: [],
      enableDhcp: true,
      mtu: 1500,
      securityGroupRules: [],
    };
    const image = { id, name: "disk", diskFormat: "qcow2", sizeBytes: 1024, checksumSha256: "a".repeat(64) };
    const command = {
      commandId: id,
      instance: { id, name: "web-1", hostname: "web-1", vcpus: 1, memoryMb: 512, rootGb: 1 },
      image,
      kernel: null,
      ramdisk: null,
      kernelCommandLine: null,
      ports: [port],
      volumes: [],
      configDrive: null,
    };
    expect(spawnCommandSchema.safeParse(command).success).toBe(true);
    expect(spawnCommandSchema.safeParse({ ...command, ports: [{ ...port, macAddress: "nope" }] }).success).toBe(false);
    expect(spawnCommandSchema.safeParse({ ...command, ports: [{ ...port, ipAddress: "10.0.0.256" }] }).success).toBe(false);
    expect(spawnCommandSchema.safeParse({ ...command, image: { ...image, checksumSha256: "not-a-digest" } }).success).toBe(false);
  });

  it("refuses short secrets and hostnames that are not DNS names", () => {
    expect(agentHandshakeSchema.safeParse({ secret: "x".repeat(32), hostname: "node-1", protocolVersion: 1, agentVersion: "0.1.0" }).success).toBe(
      true,
    );
    expect(agentHandshakeSchema.safeParse({ secret: "short", hostname: "node-1", protocolVersion: 1, agentVersion: "0.1.0" }).success).toBe(false);
    expect(agentHandshakeSchema.safeParse({ secret: "x".repeat(32), hostname: "bad host!", protocolVersion: 1, agentVersion: "0.1.0" }).success).toBe(
      false,
    );
  });

  it("acks either succeed or carry an error", () => {
    expect(commandAckSchema.safeParse({ ok: true }).success).toBe(true);
    expect(commandAckSchema.safeParse({ ok: false }).success).toBe(false);
  });

  it("takes a registration with or without a tunnel address (older agents send none), and only an IPv4 one", () => {
    const registration = {
      hypervisorType: "qemu",
      hypervisorUri: "qemu:///system",
      cpuModel: "x86_64",
      vcpus: 4,
      memoryMb: 4096,
      diskGb: 20,
      domains: [],
    };
    expect(hostRegistrationSchema.parse(registration).tunnelAddress).toBeUndefined();
    expect(hostRegistrationSchema.parse({ ...registration, tunnelAddress: "198.18.0.7" }).tunnelAddress).toBe("198.18.0.7");
    expect(hostRegistrationSchema.safeParse({ ...registration, tunnelAddress: "198.18.0.7; reboot" }).success).toBe(false);
  });

  it("refuses forwarding entries whose MAC, address or VNI could not be a kernel's", () => {
    const command = {
      commandId: id,
      networkId: id,
      segmentationId: 77,
      mtu: 1450,
      full: false,
      fromRevision: 1,
      toRevision: 2,
      upsert: [{ mac: "fa:16:3e:00:00:01", ip: "10.0.0.5", dst: "198.18.0.2" }],
      remove: [],
    };
    expect(networkEntriesCommandSchema.safeParse(command).success).toBe(true);
    expect(networkEntriesCommandSchema.safeParse({ ...command, upsert: [{ ...command.upsert[0], mac: "fa:16:3e:00:00:01 dev lo" }] }).success).toBe(
      false,
    );
    expect(networkEntriesCommandSchema.safeParse({ ...command, upsert: [{ ...command.upsert[0], dst: "nowhere" }] }).success).toBe(false);
    expect(networkEntriesCommandSchema.safeParse({ ...command, segmentationId: 16_777_216 }).success).toBe(false);
    expect(networkEntriesCommandSchema.safeParse({ ...command, fromRevision: 3 }).success).toBe(false);
  });

  it("takes where a guest's display is as an address or DNS name and a TCP port, and nothing else", () => {
    for (const host of ["127.0.0.1", "10.0.0.5", "::1", "fd00::5", "compute-1.mgmt.example"])
      expect(vncConsoleAckSchema.safeParse({ ok: true, host, port: 5900 }).success, host).toBe(true);
    for (const host of ["", "compute 1", "http://compute-1", "10.0.0.5:5900", "a\u0000b", "-compute"])
      expect(vncConsoleAckSchema.safeParse({ ok: true, host, port: 5900 }).success, host).toBe(false);
    for (const port of [0, -1, 65536, 5900.5])
      expect(vncConsoleAckSchema.safeParse({ ok: true, host: "127.0.0.1", port }).success, String(port)).toBe(false);
    expect(vncConsoleAckSchema.safeParse({ ok: false, error: "the guest is not running" }).success).toBe(true);
    expect(vncConsoleAckSchema.safeParse({ ok: true }).success).toBe(false);
  });
});
