import { describe, expect, it } from "vitest";
import type { PortSpec, SpawnCommand } from "@nimbus/core/protocol/agent";
import { buildDomainXml, escapeXml, nicsFor, vncPortOf } from "./domain-xml";
import { NO_BLOCK_DEVICES, type BlockDevices, type NicSpec, type Vif } from "./types";

function port(id: string, macAddress: string): PortSpec {
  return {
    id,
    networkId: "c2a8f1e4-3b5d-4e6f-8a9b-0c1d2e3f4a5b",
    networkName: "private",
    macAddress,
    ipAddress: "10.0.0.5",
    cidr: "10.0.0.0/24",
    gatewayIp: "10.0.0.1",
    dnsNameservers: [],
    enableDhcp: true,
    mtu: 1500,
    securityGroupRules: [],
  };
}

const command: SpawnCommand = {
  commandId: "0b6f3c36-5d0e-4c4e-9a51-3c0a8e4b7f10",
  instance: { id: "7d9e6a52-1f3b-4c8d-a0e2-5b6c7d8e9f01", name: "web-1", hostname: "web-1", vcpus: 2, memoryMb: 512, rootGb: 1 },
  image: null,
  kernel: null,
  ramdisk: null,
  kernelCommandLine: null,
  ports: [port("1c1e6f0a-7b3d-4c2e-9f10-2a3b4c5d6e7f", "fa:16:3e:12:34:56")],
  volumes: [],
  configDrive: null,
};

const dir = "/state/instances/7d9e6a52-1f3b-4c8d-a0e2-5b6c7d8e9f01";
const built: BlockDevices = {
  instanceDir: dir,
  disks: [
    { device: "vda", file: `${dir}/disk`, volumeId: null },
    { device: "vdb", file: "/state/volumes/5e0c.qcow2", volumeId: "5e0c9b1a-2d3f-4a5b-8c6d-7e8f9a0b1c2d" },
  ],
  configDrive: `${dir}/disk.config`,
  kernel: "/state/_base/k",
  ramdisk: "/state/_base/r",
  consoleLog: `${dir}/console.log`,
};

function xmlFor(overrides: Partial<SpawnCommand["instance"]> = {}, vif: Vif = { kind: "user" }): string {
  const spawn = { ...command, instance: { ...command.instance, ...overrides } };
  return buildDomainXml({ command: spawn, domainType: "test", nics: nicsFor(vif, spawn.ports), blockDevices: NO_BLOCK_DEVICES });
}

/** The text of every `<tag …>…</tag>` element, in order. */
function elements(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}[ >][\\s\\S]*?</${tag}>`, "g"))].map((m) => m[0]);
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

  it("uses the instance id as the domain uuid and the port's MAC for the NIC", () => {
    const xml = xmlFor();
    expect(xml).toContain(`<uuid>${command.instance.id}</uuid>`);
    expect(xml).toMatch(/<interface type='user'>\s*<mac address='fa:16:3e:12:34:56'\/>/);
  });

  it("gives the guest one NIC per port, in the ports' order", () => {
    const ports = [
      port("1c1e6f0a-7b3d-4c2e-9f10-2a3b4c5d6e7f", "fa:16:3e:00:00:01"),
      port("2d2f7a1b-8c4e-4d3f-a021-3b4c5d6e7f80", "fa:16:3e:00:00:02"),
    ];
    const xml = buildDomainXml({
      command: { ...command, ports },
      domainType: "qemu",
      nics: nicsFor({ kind: "network", name: "default" }, ports),
      blockDevices: NO_BLOCK_DEVICES,
    });
    const nics = elements(xml, "interface");
    expect(nics).toHaveLength(2);
    expect(nics[0]).toContain("<mac address='fa:16:3e:00:00:01'/>");
    expect(nics[1]).toContain("<mac address='fa:16:3e:00:00:02'/>");
    for (const nic of nics) expect(nic).toMatch(/<source network='default'\/>[\s\S]*<model type='virtio'\/>/);
  });

  it("attaches NICs to a host bridge, or to the network and nwfilter the host's networks chose", () => {
    const onBridge = buildDomainXml({
      command,
      domainType: "qemu",
      nics: nicsFor({ kind: "bridge", name: "br0" }, command.ports),
      blockDevices: NO_BLOCK_DEVICES,
    });
    expect(onBridge).toMatch(/<interface type='bridge'>\s*<source bridge='br0'\/>/);
    expect(onBridge).not.toContain("<filterref");

    const nic: NicSpec = {
      portId: "p",
      vif: { kind: "network", name: "nimbus-net-c2a8" },
      macAddress: "fa:16:3e:12:34:56",
      filter: "nimbus-port-'1'&",
    };
    const [filtered] = elements(buildDomainXml({ command, domainType: "qemu", nics: [nic], blockDevices: NO_BLOCK_DEVICES }), "interface");
    expect(filtered).toContain("<source network='nimbus-net-c2a8'/>");
    expect(filtered).toContain("<filterref filter='nimbus-port-&apos;1&apos;&amp;'/>");
  });

  it("has no NIC when the VIF is none or the instance has no port", () => {
    expect(xmlFor({}, { kind: "none" })).not.toContain("<interface");
    const noPorts = buildDomainXml({
      command: { ...command, ports: [] },
      domainType: "test",
      nics: nicsFor({ kind: "user" }, []),
      blockDevices: NO_BLOCK_DEVICES,
    });
    expect(noPorts).not.toContain("<interface");
  });

  it("attaches the root overlay as vda and the volumes at their devices, as virtio qcow2 disks", () => {
    const xml = buildDomainXml({ command, domainType: "qemu", nics: [], blockDevices: built });
    const disks = elements(xml, "disk").filter((d) => d.includes("device='disk'"));
    expect(disks).toHaveLength(2);
    expect(disks[0]).toContain(`<source file='${dir}/disk'/>`);
    expect(disks[0]).toContain("<target dev='vda' bus='virtio'/>");
    expect(disks[0]).toContain("<driver name='qemu' type='qcow2'/>");
    expect(disks[0]).not.toContain("<serial>");
    expect(disks[1]).toContain("<source file='/state/volumes/5e0c.qcow2'/>");
    expect(disks[1]).toContain("<target dev='vdb' bus='virtio'/>");
    expect(disks[1]).toContain("<serial>5e0c9b1a-2d3f-4a5b-8c6d-7e8f9a0b1c2d</serial>");
  });

  it("attaches the config drive as a read-only IDE CD-ROM on the pc machine", () => {
    const xml = buildDomainXml({ command, domainType: "qemu", nics: [], blockDevices: built });
    const [cdrom, ...others] = elements(xml, "disk").filter((d) => d.includes("device='cdrom'"));
    expect(others).toHaveLength(0);
    expect(cdrom).toContain(`<source file='${dir}/disk.config'/>`);
    expect(cdrom).toContain("<target dev='hdd' bus='ide'/>");
    expect(cdrom).toContain("<driver name='qemu' type='raw'/>");
    expect(cdrom).toContain("<readonly/>");
    expect(xml).toContain("<type arch='x86_64' machine='pc'>hvm</type>");
    expect(buildDomainXml({ command, domainType: "qemu", nics: [], blockDevices: { ...built, configDrive: null } })).not.toContain("cdrom");
  });

  it("boots the kernel and ramdisk directly with the image's command line, as given and escaped", () => {
    const withKernel = { ...command, kernelCommandLine: "console=ttyS0 root=/dev/vda quiet x=<&>" };
    const [os] = elements(buildDomainXml({ command: withKernel, domainType: "qemu", nics: [], blockDevices: built }), "os");
    expect(os).toContain("<kernel>/state/_base/k</kernel>");
    expect(os).toContain("<initrd>/state/_base/r</initrd>");
    expect(os).toContain("<cmdline>console=ttyS0 root=/dev/vda quiet x=&lt;&amp;&gt;</cmdline>");
    expect(os).not.toContain("<boot");

    const [diskBoot] = elements(
      buildDomainXml({ command, domainType: "qemu", nics: [], blockDevices: { ...built, kernel: null, ramdisk: null } }),
      "os",
    );
    expect(diskBoot).toContain("<boot dev='hd'/>");
    expect(diskBoot).not.toContain("<kernel>");
    expect(diskBoot).not.toContain("<initrd>");
  });

  it("appends the serial console, which is also the domain's console, to the instance's console log", () => {
    const xml = buildDomainXml({ command, domainType: "qemu", nics: [], blockDevices: { ...built, consoleLog: "/state/instances/a&b/console.log" } });
    expect(xml).toContain("<domain type='qemu'>");
    const source = "<source path='/state/instances/a&amp;b/console.log' append='on'/>";
    const [serial] = elements(xml, "serial").filter((e) => e.startsWith("<serial type="));
    expect(serial).toContain(source);
    expect(serial).toContain("<target port='0'/>");
    const [consoleElement] = elements(xml, "console");
    expect(consoleElement).toContain(source);
    expect(consoleElement).toContain("<target type='serial' port='0'/>");
    expect(xmlFor()).not.toContain("<serial");
  });

  it("runs QEMU with a static root label so libvirt chowns none of the shared cached images", () => {
    const xml = buildDomainXml({ command, domainType: "qemu", nics: [], blockDevices: built });
    expect(xml).toContain("<seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>\n</domain>");
    expect(xmlFor()).not.toContain("<seclabel");
  });

  it("describes no files at all for a simulated host", () => {
    const xml = xmlFor();
    expect(xml).not.toContain("<disk");
    expect(xml).not.toContain("<kernel>");
    expect(xml).not.toContain("<source file");
  });
});

describe("the guest's screen", () => {
  it("is a VNC display on a port libvirt picks, listening on the address given only", () => {
    const xml = buildDomainXml({ command, domainType: "qemu", nics: [], blockDevices: built, vncListen: "10.1.2.3" });
    const [graphics, ...others] = elements(xml, "graphics");
    expect(others).toEqual([]);
    expect(graphics).toContain("<graphics type='vnc' port='-1' autoport='yes' listen='10.1.2.3'>");
    expect(graphics).toContain("<listen type='address' address='10.1.2.3'/>");
    // Inside <devices>, after the serial console.
    expect(xml.indexOf("<graphics")).toBeGreaterThan(xml.indexOf("</console>"));
    expect(xml.indexOf("<graphics")).toBeLessThan(xml.indexOf("</devices>"));
  });

  it("is left out when no listen address is given (the test driver's guests have no screen)", () => {
    expect(buildDomainXml({ command, domainType: "test", nics: [], blockDevices: built })).not.toContain("<graphics");
    expect(buildDomainXml({ command, domainType: "test", nics: [], blockDevices: built, vncListen: null })).not.toContain("<graphics");
  });

  it("has its port read back from the running domain's live XML, in either quote style and attribute order", () => {
    expect(vncPortOf("<devices>\n    <graphics type='vnc' port='5901' autoport='yes' listen='127.0.0.1'>\n</devices>")).toBe(5901);
    expect(vncPortOf('<graphics autoport="yes" port="5907" type="vnc"/>')).toBe(5907);
    // A SPICE display first, then the VNC one.
    expect(vncPortOf("<graphics type='spice' port='5930'/><graphics type='vnc' port='5902'/>")).toBe(5902);
  });

  it("has no port while libvirt has not picked one, or when there is no VNC display", () => {
    expect(vncPortOf("<graphics type='vnc' port='-1' autoport='yes'/>")).toBeNull();
    expect(vncPortOf("<graphics type='vnc' autoport='yes'/>")).toBeNull();
    expect(vncPortOf("<graphics type='spice' port='5930'/>")).toBeNull();
    expect(vncPortOf("<domain><devices/></domain>")).toBeNull();
  });
});
