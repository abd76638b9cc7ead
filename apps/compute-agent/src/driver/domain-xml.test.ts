import { describe, expect, it } from "vitest";
import type { SpawnCommand } from "@nimbus/core/protocol";
import { buildDomainXml, escapeXml, nicFor } from "./domain-xml";
import type { Vif } from "./types";

const command: SpawnCommand = {
  commandId: "0b6f3c36-5d0e-4c4e-9a51-3c0a8e4b7f10",
  instance: { id: "7d9e6a52-1f3b-4c8d-a0e2-5b6c7d8e9f01", name: "web-1", vcpus: 2, memoryMb: 512, rootGb: 1 },
  image: null,
  network: { id: "c2a8f1e4-3b5d-4e6f-8a9b-0c1d2e3f4a5b", name: "private", macAddress: "fa:16:3e:12:34:56", fixedIp: null },
};

function xmlFor(overrides: Partial<SpawnCommand["instance"]> = {}, vif: Vif = { kind: "user" }): string {
  const spawn = { ...command, instance: { ...command.instance, ...overrides } };
  return buildDomainXml({ command: spawn, domainType: "test", nic: nicFor(vif, spawn.network), consoleLogPath: null });
}

describe("buildDomainXml", () => {
  it("escapes the instance name so it cannot break out of its element", () => {
    const xml = xmlFor({ name: `</nimbus:name><evil a="1" b='2'/> & co` });
    expect(xml).toContain("<nimbus:name>&lt;/nimbus:name&gt;&lt;evil a=&quot;1&quot; b=&apos;2&apos;/&gt; &amp; co</nimbus:name>");
    expect(xml).not.toContain("<evil");
  });

  it("names the domain after the instance id, not the user's name", () => {
    expect(xmlFor({ name: "x".repeat(255) })).toContain(`<name>nimbus-${command.instance.id}</name>`);
  });

  it("replaces characters XML cannot carry", () => {
    expect(escapeXml("a\u0001b\uD800c")).toBe("a\uFFFDb\uFFFDc");
    expect(escapeXml("emoji \u{1F600}")).toBe("emoji \u{1F600}");
  });

  it("converts memory from MB to KiB and sets the vcpus", () => {
    const xml = xmlFor({ memoryMb: 512, vcpus: 3 });
    expect(xml).toContain("<memory unit='KiB'>524288</memory>");
    expect(xml).toContain("<vcpu placement='static'>3</vcpu>");
  });

  it("uses the instance id as the domain uuid and the command's MAC for the NIC", () => {
    const xml = xmlFor();
    expect(xml).toContain(`<uuid>${command.instance.id}</uuid>`);
    expect(xml).toMatch(/<interface type='user'>\s*<mac address='fa:16:3e:12:34:56'\/>/);
  });

  it("attaches the NIC to the configured network or bridge", () => {
    const onNetwork = buildDomainXml({ command, domainType: "qemu", nic: nicFor({ kind: "network", name: "default" }, command.network), consoleLogPath: null });
    expect(onNetwork).toMatch(/<interface type='network'>\s*<source network='default'\/>/);
    const onBridge = buildDomainXml({ command, domainType: "qemu", nic: nicFor({ kind: "bridge", name: "br0" }, command.network), consoleLogPath: null });
    expect(onBridge).toMatch(/<interface type='bridge'>\s*<source bridge='br0'\/>/);
  });

  it("omits the NIC when the VIF is none or the instance has no network", () => {
    expect(xmlFor({}, { kind: "none" })).not.toContain("<interface");
    const noNetwork = buildDomainXml({ command: { ...command, network: null }, domainType: "test", nic: nicFor({ kind: "user" }, null), consoleLogPath: null });
    expect(noNetwork).not.toContain("<interface");
  });

  it("writes the serial console to the given file", () => {
    const xml = buildDomainXml({ command, domainType: "qemu", nic: null, consoleLogPath: "/state/instances/a&b/console.log" });
    expect(xml).toContain("<domain type='qemu'>");
    expect(xml).toMatch(/<serial type='file'>\s*<source path='\/state\/instances\/a&amp;b\/console.log'\/>/);
    expect(xmlFor()).not.toContain("<serial");
  });
});
