/**
 * HostNetworks against the real libvirtd (qemu:///system, as root): networks, DHCP entries and
 * nwfilters really made and removed. The daemons are started by scripts/libvirt-daemons.sh; a
 * host where libvirtd cannot run fails this test, it does not skip it.
 */
import { execFile } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PortSpec } from "@nimbus/core/protocol/agent";
import { HostNetworks } from "../src/driver/host-network";
import { libvirtNetworkName, memberSetName, parseNetInfo, parseNetworkXml, portFilterName } from "../src/driver/host-network-xml";
import { memoryLog } from "./support/memory-log";

const run = promisify(execFile);
const URI = "qemu:///system";
const DAEMONS_SCRIPT = path.resolve(import.meta.dirname, "../../../scripts/libvirt-daemons.sh");

async function virsh(...args: string[]): Promise<string> {
  return (await run("virsh", ["-c", URI, ...args], { env: { ...process.env, LC_ALL: "C" } })).stdout;
}

async function exists(...args: string[]): Promise<boolean> {
  return virsh(...args).then(
    () => true,
    () => false,
  );
}

// A subnet no other test or host route is likely to hold.
const third = randomInt(0, 256);
const networkId = randomUUID();
const network = libvirtNetworkName(networkId);

function port(last: number, overrides: Partial<PortSpec> = {}): PortSpec {
  return {
    id: randomUUID(),
    networkId,
    networkName: "private",
    macAddress: `fa:16:3e:77:${third.toString(16).padStart(2, "0")}:${last.toString(16).padStart(2, "0")}`,
    ipAddress: `10.231.${third}.${last}`,
    cidr: `10.231.${third}.0/24`,
    gatewayIp: `10.231.${third}.1`,
    dnsNameservers: [],
    enableDhcp: true,
    mtu: 1450,
    securityGroupRules: [
      {
        id: randomUUID(),
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "tcp",
        portRangeMin: 22,
        portRangeMax: 22,
        remoteCidrs: ["192.0.2.0/24"],
        remoteGroupId: null,
      },
      {
        id: randomUUID(),
        direction: "egress",
        ethertype: "IPv4",
        protocol: null,
        portRangeMin: null,
        portRangeMax: null,
        remoteCidrs: null,
        remoteGroupId: null,
      },
    ],
    ...overrides,
  };
}

const first = port(10);
const second = port(11);
const noDhcp = port(12, { enableDhcp: false });
const allPorts = [first, second, noDhcp];

async function dhcpHosts(): Promise<{ mac: string; ip: string; name: string }[]> {
  return parseNetworkXml(await virsh("net-dumpxml", network)).ipv4?.hosts ?? [];
}

describe("HostNetworks on qemu:///system", () => {
  beforeAll(async () => {
    try {
      await run("bash", [DAEMONS_SCRIPT], { timeout: 120_000 });
      await virsh("version");
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`libvirtd must be reachable at ${URI} for this test (as root, with scripts/libvirt-daemons.sh): ${detail}`);
    }
  }, 150_000);

  afterAll(async () => {
    for (const p of allPorts) await virsh("nwfilter-undefine", portFilterName(p.id)).catch(() => undefined);
    await virsh("net-destroy", network).catch(() => undefined);
    await virsh("net-undefine", network).catch(() => undefined);
  });

  it("plugs two ports on one network: the network runs with both DHCP entries and each port has its filter", async () => {
    const { log, lines } = memoryLog();
    const networks = new HostNetworks({ uri: URI, log });
    const plugged = await networks.plug([first, second, noDhcp]);
    expect(plugged).toEqual(allPorts.map((p) => ({ portId: p.id, network, filter: portFilterName(p.id) })));
    // This host hands bridged traffic to iptables, so the filters' rules apply: nothing to complain about.
    expect(lines.filter((line) => line.level === 50)).toEqual([]);

    expect(parseNetInfo(await virsh("net-info", network))).toEqual({ active: true, autostart: true });
    const xml = await virsh("net-dumpxml", network);
    expect(xml).toContain(`<uuid>${networkId}</uuid>`);
    expect(xml).not.toContain("<forward");
    expect(xml).toContain(`<ip address='10.231.${third}.1' netmask='255.255.255.0'>`);
    expect(xml).toContain("<mtu size='1450'/>");
    // A port whose subnet has no DHCP gets no entry.
    expect(await dhcpHosts()).toEqual(
      expect.arrayContaining([
        { mac: first.macAddress, ip: first.ipAddress, name: `host-10-231-${third}-10` },
        { mac: second.macAddress, ip: second.ipAddress, name: `host-10-231-${third}-11` },
      ]),
    );
    expect(await dhcpHosts()).toHaveLength(2);

    for (const p of allPorts) {
      const filter = await virsh("nwfilter-dumpxml", portFilterName(p.id));
      expect(filter).toContain(`<parameter name='IP' value='${p.ipAddress}'/>`);
      // libvirt writes the attributes in its own order.
      const tcp = /<tcp [^>]*\/>/.exec(filter)?.[0] ?? "";
      for (const attribute of ["srcipaddr='192.0.2.0'", "srcipmask='24'", "dstportstart='22'", "dstportend='22'", "state='NEW'"])
        expect(tcp).toContain(attribute);
      expect(filter).toContain("<rule action='drop' direction='inout' priority='1000'>");
    }
  }, 60_000);

  it("plugs again after a restart without adding anything twice, and replaces a stale entry on a port's address", async () => {
    // A stale entry: the first port's address held by a MAC that no port has any more.
    await virsh("net-update", network, "delete", "ip-dhcp-host", `<host mac='${first.macAddress}' ip='${first.ipAddress}'/>`, "--live", "--config");
    await virsh("net-update", network, "add-last", "ip-dhcp-host", `<host mac='fa:16:3e:00:00:01' ip='${first.ipAddress}'/>`, "--live", "--config");

    const { log } = memoryLog();
    const restarted = new HostNetworks({ uri: URI, log });
    await restarted.plug([first, second]);
    await restarted.plug([second]);
    const hosts = await dhcpHosts();
    expect(hosts).toHaveLength(2);
    expect(hosts.map((h) => h.mac).sort()).toEqual([first.macAddress, second.macAddress].sort());
  }, 60_000);

  it("refreshes a plugged port's filter with its group's new rules, and does not make a filter that is gone", async () => {
    const { log } = memoryLog();
    const networks = new HostNetworks({ uri: URI, log });
    const icmp = {
      id: randomUUID(),
      direction: "ingress" as const,
      ethertype: "IPv4" as const,
      protocol: "icmp" as const,
      portRangeMin: null,
      portRangeMax: null,
      remoteCidrs: ["198.51.100.0/24"],
      remoteGroupId: null,
    };
    const ssh = first.securityGroupRules[0]!;
    const egress = first.securityGroupRules[1]!;
    const unknown = port(13);
    // The SSH rule removed, an ICMP rule added.
    expect(await networks.refreshFilters([{ ...first, securityGroupRules: [icmp, egress] }, unknown])).toEqual([first.id]);
    const filter = await virsh("nwfilter-dumpxml", portFilterName(first.id));
    expect(/<icmp [^>]*\/>/.exec(filter)?.[0]).toContain("srcipaddr='198.51.100.0'");
    expect(filter).not.toContain("dstportstart='22'");
    expect(await exists("nwfilter-dumpxml", portFilterName(unknown.id))).toBe(false);
    // Back as it was, for the tests after.
    expect(await networks.refreshFilters([{ ...first, securityGroupRules: [ssh, egress] }])).toEqual([first.id]);
    expect(await virsh("nwfilter-dumpxml", portFilterName(first.id))).toContain("dstportstart='22'");
  }, 60_000);

  it("keeps a remote group's members in an ipset the filter names, replaced whole when the group changes, and destroyed once no filter names it", async () => {
    const { log } = memoryLog();
    const networks = new HostNetworks({ uri: URI, log });
    const groupId = randomUUID();
    const set = memberSetName(groupId);
    const memberPort = (last: number) =>
      port(last, {
        enableDhcp: false,
        securityGroupRules: [
          {
            id: randomUUID(),
            direction: "ingress",
            ethertype: "IPv4",
            protocol: null,
            portRangeMin: null,
            portRangeMax: null,
            remoteCidrs: [`10.231.${third}.14/32`],
            remoteGroupId: groupId,
          },
        ],
      });
    const [member, another] = [memberPort(14), memberPort(16)];
    const unplugged = (p: PortSpec) => ({ id: p.id, networkId: p.networkId, macAddress: p.macAddress, ipAddress: p.ipAddress });
    const members = async () => (await run("ipset", ["list", set])).stdout.split("Members:")[1]!.trim().split(/\s+/).filter(Boolean).sort();
    const setExists = async () => (await run("ipset", ["list", "-name"])).stdout.split("\n").includes(set);
    try {
      // With the ports already on the network: a first plug sweeps networks no domain uses.
      await networks.plug([first, second, member, another]);
      expect(await members()).toEqual([`10.231.${third}.14`]);
      const filter = await virsh("nwfilter-dumpxml", portFilterName(member.id));
      expect(/<all [^>]*ipset=[^>]*\/>/.exec(filter)?.[0]).toContain(`ipset='${set}'`);
      expect(filter).not.toContain(`srcipaddr='10.231.${third}.14'`);

      // Another member joins: the set changes, the filter is not touched.
      expect(await networks.replaceGroupMembers(groupId, [`10.231.${third}.14/32`, `10.231.${third}.15/32`], 2)).toBe(true);
      expect(await members()).toEqual([`10.231.${third}.14`, `10.231.${third}.15`]);
      // A list decided earlier (sent by another web process, say) that arrives later is not taken.
      expect(await networks.replaceGroupMembers(groupId, [`10.231.${third}.14/32`], 1)).toBe(false);
      expect(await members()).toEqual([`10.231.${third}.14`, `10.231.${third}.15`]);
      // A later plug carrying an older list leaves the set as it is.
      await networks.plug([member]);
      expect(await members()).toEqual([`10.231.${third}.14`, `10.231.${third}.15`]);

      // No guest runs here, so no kernel rule references the set: only the filters keep it.
      await networks.unplug([unplugged(member)]);
      expect(await setExists()).toBe(true); // another's filter still names it
      await networks.unplug([unplugged(another)]);
      expect(await setExists()).toBe(false);
    } finally {
      for (const p of [member, another]) await virsh("nwfilter-undefine", portFilterName(p.id)).catch(() => undefined);
      await run("ipset", ["destroy", set]).catch(() => undefined);
    }
  }, 60_000);

  it("unplugs: the entries and filters are gone; the network stays while a port is on it, and goes with the last", async () => {
    const { log } = memoryLog();
    const networks = new HostNetworks({ uri: URI, log });
    const unplugged = (p: (typeof allPorts)[number]) => ({ id: p.id, networkId: p.networkId, macAddress: p.macAddress, ipAddress: p.ipAddress });
    const [kept, ...others] = allPorts.filter((p) => p.enableDhcp);
    await networks.unplug([...others, ...allPorts.filter((p) => !p.enableDhcp)].map(unplugged));
    expect((await dhcpHosts()).map((h) => h.mac)).toEqual([kept!.macAddress]);
    for (const p of others) expect(await exists("nwfilter-dumpxml", portFilterName(p.id))).toBe(false);
    expect(parseNetInfo(await virsh("net-info", network)).active).toBe(true);

    await networks.unplug([unplugged(kept!)]);
    expect(await exists("nwfilter-dumpxml", portFilterName(kept!.id))).toBe(false);
    expect(await exists("net-info", network)).toBe(false);
    // Unplugging what is already gone is not an error.
    await networks.unplug([unplugged(first)]);
  }, 60_000);
});
