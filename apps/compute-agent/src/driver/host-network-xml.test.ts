import { describe, expect, it } from "vitest";
import type { PortSpec, SecurityGroupRuleSpec } from "@nimbus/core/protocol/agent";
import {
  checkedCidrs,
  memberSetName,
  bridgeName,
  buildNetworkXml,
  buildPortFilterXml,
  cidrContains,
  dhcpHostName,
  dhcpHostXml,
  libvirtNetworkName,
  parseCidr,
  parseNetInfo,
  parseNetworkXml,
  portFilterName,
} from "./host-network-xml";

const NETWORK_ID = "3F2A9C1B-77aa-4d3e-9f00-0123456789ab";
const PORT_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";

function port(overrides: Partial<PortSpec> = {}): PortSpec {
  return {
    id: PORT_ID,
    networkId: NETWORK_ID,
    networkName: "private <net> & 'co'",
    macAddress: "fa:16:3e:12:34:56",
    ipAddress: "10.0.0.5",
    cidr: "10.0.0.0/24",
    gatewayIp: "10.0.0.1",
    dnsNameservers: [],
    enableDhcp: true,
    mtu: 1450,
    securityGroupRules: [],
    ...overrides,
  };
}

function rule(overrides: Partial<SecurityGroupRuleSpec>): SecurityGroupRuleSpec {
  return {
    id: "0b7d6c8e-1111-4222-8333-444455556666",
    direction: "ingress",
    ethertype: "IPv4",
    protocol: null,
    portRangeMin: null,
    portRangeMax: null,
    remoteCidrs: null,
    remoteGroupId: null,
    ...overrides,
  };
}

/** The `<rule>` elements of a filter, one string each, whitespace collapsed. */
function rulesOf(xml: string): string[] {
  return [...xml.matchAll(/<rule [\s\S]*?<\/rule>/g)].map((m) => m[0].replace(/\s+/g, " "));
}

describe("names", () => {
  it("are built from ids, in lower-case hex, within Linux's 15-character interface names", () => {
    expect(libvirtNetworkName(NETWORK_ID)).toBe("nimbus-3f2a9c1b");
    expect(bridgeName(NETWORK_ID)).toBe("nbr3f2a9c1b");
    expect(bridgeName(NETWORK_ID).length).toBeLessThanOrEqual(15);
    expect(portFilterName(PORT_ID)).toBe("nimbus-port-a1b2c3d4e5f6");
    expect(dhcpHostName("192.168.7.20")).toBe("host-192-168-7-20");
  });

  it("refuse anything that is not a UUID", () => {
    expect(() => libvirtNetworkName("../../etc")).toThrow(/Not a UUID/);
    expect(() => portFilterName("a1b2c3d4' onload='x")).toThrow(/Not a UUID/);
  });
});

describe("IPv4 helpers", () => {
  it("normalise a CIDR to its network address and test membership", () => {
    expect(parseCidr("10.1.2.3/16")).toEqual({ address: "10.1.0.0", prefix: 16 });
    expect(parseCidr("0.0.0.0/0")).toEqual({ address: "0.0.0.0", prefix: 0 });
    expect(parseCidr("192.168.1.9")).toEqual({ address: "192.168.1.9", prefix: 32 });
    expect(cidrContains(parseCidr("10.0.0.0/24"), "10.0.0.200")).toBe(true);
    expect(cidrContains(parseCidr("10.0.0.0/24"), "10.0.1.2")).toBe(false);
  });

  it("refuse what is not IPv4", () => {
    for (const bad of ["10.0.0.0/33", "10.0.0/8", "300.0.0.1/32", "fe80::/64", "10.0.0.0/", "10.0.0.0/8/8"]) {
      expect(() => parseCidr(bad), bad).toThrow(/Not an IPv4/);
    }
  });
});

describe("network XML", () => {
  it("is an isolated network on its own bridge with the gateway address, the MTU and static DHCP", () => {
    const xml = buildNetworkXml(port());
    expect(xml).toContain("<name>nimbus-3f2a9c1b</name>");
    expect(xml).toContain("<uuid>3f2a9c1b-77aa-4d3e-9f00-0123456789ab</uuid>");
    expect(xml).toContain("<bridge name='nbr3f2a9c1b' stp='on' delay='0'/>");
    expect(xml).toContain("<mtu size='1450'/>");
    expect(xml).toContain("<ip address='10.0.0.1' netmask='255.255.255.0'>");
    expect(xml).toContain("<dhcp>\n      <host mac='fa:16:3e:12:34:56' ip='10.0.0.5' name='host-10-0-0-5'/>\n    </dhcp>");
    // Tenant traffic never leaves the host's bridge, and the user's network name is not in it.
    expect(xml).not.toContain("<forward");
    expect(xml).not.toContain("private");
    // No nameservers on the subnet: libvirt's dnsmasq offers itself, as before.
    expect(xml).not.toContain("dns-server");
  });

  it("offers the gateway as the default route, which libvirt's isolated network would not", () => {
    const xml = buildNetworkXml(port());
    expect(xml).toContain("xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'");
    expect(xml).toContain("<dnsmasq:option value='dhcp-option=option:router,10.0.0.1'/>");
  });

  it("hands out the subnet's nameservers instead of the host's dnsmasq", () => {
    const xml = buildNetworkXml(port({ dnsNameservers: ["9.9.9.9", "1.1.1.1"] }));
    expect(xml).toContain("xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'");
    expect(xml).toContain("<dnsmasq:option value='dhcp-option=option:dns-server,9.9.9.9,1.1.1.1'/>");
  });

  it("has no DHCP when the subnet has none, and no address at all without a gateway", () => {
    const noDhcp = buildNetworkXml(port({ enableDhcp: false, dnsNameservers: ["9.9.9.9"] }));
    expect(noDhcp).toContain("<ip address='10.0.0.1' netmask='255.255.255.0'>");
    expect(noDhcp).not.toContain("<dhcp");
    expect(noDhcp).not.toContain("dnsmasq");
    const noGateway = buildNetworkXml(port({ gatewayIp: null }));
    expect(noGateway).not.toContain("<ip ");
    expect(noGateway).toContain("<bridge name='nbr3f2a9c1b'");
  });

  it("writes a DHCP host entry from a port, named as Neutron names it", () => {
    expect(dhcpHostXml({ mac: "FA:16:3E:12:34:56", ip: "10.0.0.5", name: dhcpHostName("10.0.0.5") })).toBe(
      "<host mac='fa:16:3e:12:34:56' ip='10.0.0.5' name='host-10-0-0-5'/>",
    );
    expect(dhcpHostXml({ mac: "fa:16:3e:00:00:07", ip: "10.0.0.7", name: "" })).toBe("<host mac='fa:16:3e:00:00:07' ip='10.0.0.7'/>");
    expect(() => dhcpHostXml({ mac: "fa:16:3e:12:34:56'/><x", ip: "10.0.0.5", name: "host" })).toThrow(/Not a MAC/);
    expect(() => dhcpHostXml({ mac: "fa:16:3e:12:34:56", ip: "10.0.0.5", name: "a' b" })).toThrow(/Not a DHCP host name/);
  });

  it("reads back what virsh net-dumpxml and net-info print", () => {
    const dumped = `<network>
  <name>nimbus-3f2a9c1b</name>
  <uuid>3f2a9c1b-77aa-4d3e-9f00-0123456789ab</uuid>
  <bridge name='nbr3f2a9c1b' stp='on' delay='0'/>
  <mtu size='1450'/>
  <mac address='52:54:00:4f:3d:2a'/>
  <ip address='10.0.0.1' netmask='255.255.255.0'>
    <dhcp>
      <host mac='fa:16:3e:12:34:56' name='host-10-0-0-5' ip='10.0.0.5'/>
      <host mac='fa:16:3e:00:00:07' ip='10.0.0.7'/>
    </dhcp>
  </ip>
</network>`;
    expect(parseNetworkXml(dumped)).toEqual({
      uuid: "3f2a9c1b-77aa-4d3e-9f00-0123456789ab",
      vlan: null,
      mtu: 1450,
      ipv4: {
        cidr: { address: "10.0.0.0", prefix: 24 },
        hosts: [
          { mac: "fa:16:3e:12:34:56", ip: "10.0.0.5", name: "host-10-0-0-5" },
          { mac: "fa:16:3e:00:00:07", ip: "10.0.0.7", name: "" },
        ],
      },
    });
    // libvirt drops an emptied <dhcp>: the subnet is still known.
    expect(
      parseNetworkXml("<network><uuid>3f2a9c1b-77aa-4d3e-9f00-0123456789ab</uuid><ip address='10.0.0.1' prefix='24'>\n  </ip></network>").ipv4,
    ).toEqual({
      cidr: { address: "10.0.0.0", prefix: 24 },
      hosts: [],
    });
    expect(parseNetworkXml(buildNetworkXml(port({ gatewayIp: null }))).ipv4).toBeNull();
  });

  it("records a vlan network's physical network and VLAN id in the network's metadata, and reads them back", () => {
    const xml = buildNetworkXml(port({ vlan: { physicalNetwork: "physnet2", id: 101 }, mtu: 1500 }));
    expect(xml).toContain("<nimbus:provider xmlns:nimbus='https://nimbus.invalid/xmlns/network/1' physical-network='physnet2' vlan='101'/>");
    // As libvirt writes it back (double quotes, its own indentation).
    const dumped = xml.replace(/'/g, '"');
    expect(parseNetworkXml(dumped)).toMatchObject({ vlan: { physicalNetwork: "physnet2", id: 101 }, mtu: 1500 });
    expect(parseNetworkXml(buildNetworkXml(port())).vlan).toBeNull();
    expect(() => buildNetworkXml(port({ vlan: { physicalNetwork: "p' x='", id: 101 } }))).toThrow(/Not a physical network/);
    expect(() => buildNetworkXml(port({ vlan: { physicalNetwork: "physnet2", id: 4095 } }))).toThrow(/Not a VLAN id/);
    expect(parseNetInfo("Name:           n\nActive:         yes\nPersistent:     yes\nAutostart:      no\n")).toEqual({
      active: true,
      autostart: false,
    });
  });
});

describe("port filter XML", () => {
  it("without rules passes only ARP, DHCP and replies, and drops everything else both ways", () => {
    const xml = buildPortFilterXml(port());
    expect(xml).toMatch(/^<filter name='nimbus-port-a1b2c3d4e5f6' chain='root'>/);
    expect(xml).toContain(`<uuid>${PORT_ID}</uuid>`);
    // Anti-spoofing for the port's own address.
    expect(xml).toContain("<filterref filter='clean-traffic'>\n    <parameter name='IP' value='10.0.0.5'/>");
    expect(rulesOf(xml)).toEqual([
      "<rule action='accept' direction='out' priority='100' statematch='false'> <udp srcportstart='68' dstportstart='67'/> </rule>",
      "<rule action='accept' direction='in' priority='100' statematch='false'> <udp srcportstart='67' dstportstart='68'/> </rule>",
      "<rule action='accept' direction='out' priority='200'> <all state='ESTABLISHED,RELATED'/> </rule>",
      "<rule action='accept' direction='in' priority='200'> <all state='ESTABLISHED,RELATED'/> </rule>",
      "<rule action='drop' direction='inout' priority='1000'> <all/> </rule>",
    ]);
  });

  it("turns ingress rules into 'in' accepts from each remote CIDR, ports as a destination range", () => {
    const xml = buildPortFilterXml(
      port({
        securityGroupRules: [rule({ protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteCidrs: ["203.0.113.7/24", "198.51.100.0/25"] })],
      }),
    );
    expect(rulesOf(xml).filter((r) => r.includes("priority='500'"))).toEqual([
      "<rule action='accept' direction='in' priority='500'> <tcp srcipaddr='203.0.113.0' srcipmask='24' dstportstart='22' dstportend='22' state='NEW'/> </rule>",
      "<rule action='accept' direction='in' priority='500'> <tcp srcipaddr='198.51.100.0' srcipmask='25' dstportstart='22' dstportend='22' state='NEW'/> </rule>",
    ]);
  });

  it("turns egress rules into 'out' accepts to the remote, any protocol when none is given", () => {
    const xml = buildPortFilterXml(
      port({
        securityGroupRules: [
          rule({ direction: "egress", remoteCidrs: null }),
          rule({ direction: "egress", protocol: "udp", portRangeMin: 5000, portRangeMax: 5100, remoteCidrs: ["10.9.0.0/16"] }),
        ],
      }),
    );
    expect(rulesOf(xml).filter((r) => r.includes("priority='500'"))).toEqual([
      "<rule action='accept' direction='out' priority='500'> <all state='NEW'/> </rule>",
      "<rule action='accept' direction='out' priority='500'> <udp dstipaddr='10.9.0.0' dstipmask='16' dstportstart='5000' dstportend='5100' state='NEW'/> </rule>",
    ]);
  });

  it("maps ICMP type and code, treats 0.0.0.0/0 as anyone, and repeats a remote group's address once", () => {
    const xml = buildPortFilterXml(
      port({
        securityGroupRules: [
          rule({ protocol: "icmp", portRangeMin: 8, portRangeMax: 0, remoteCidrs: ["0.0.0.0/0"] }),
          rule({ protocol: "icmp", remoteCidrs: ["10.0.0.7/32", "10.0.0.7/32", "10.0.0.8/32"] }),
        ],
      }),
    );
    expect(rulesOf(xml).filter((r) => r.includes("priority='500'"))).toEqual([
      "<rule action='accept' direction='in' priority='500'> <icmp type='8' code='0' state='NEW'/> </rule>",
      "<rule action='accept' direction='in' priority='500'> <icmp srcipaddr='10.0.0.7' srcipmask='32' state='NEW'/> </rule>",
      "<rule action='accept' direction='in' priority='500'> <icmp srcipaddr='10.0.0.8' srcipmask='32' state='NEW'/> </rule>",
    ]);
  });

  it("admits nothing for a remote group without ports, and refuses a CIDR that is not one", () => {
    const empty = buildPortFilterXml(port({ securityGroupRules: [rule({ protocol: "tcp", remoteCidrs: [] })] }));
    expect(rulesOf(empty).some((r) => r.includes("priority='500'"))).toBe(false);
    expect(() => buildPortFilterXml(port({ securityGroupRules: [rule({ remoteCidrs: ["10.0.0.0/8' action='accept"] })] }))).toThrow(
      /Not an IPv4 CIDR/,
    );
  });

  it("names a remote group's ipset for a rule of any protocol on hosts that keep member sets, and lists the members for one of a protocol", () => {
    const groupId = "5e6f7a8b-1111-4222-8333-444455556666";
    const rules = [
      rule({ remoteCidrs: ["10.0.0.7/32"], remoteGroupId: groupId }),
      rule({ direction: "egress", remoteCidrs: [], remoteGroupId: groupId }),
      // libvirt would drop ipset from <tcp> and admit anyone: the members are listed instead.
      rule({ protocol: "tcp", portRangeMin: 5432, portRangeMax: 5432, remoteCidrs: ["10.0.0.7/32", "10.0.0.8/31"], remoteGroupId: groupId }),
    ];
    expect(
      rulesOf(buildPortFilterXml(port({ securityGroupRules: rules }), { memberSets: true })).filter((r) => r.includes("priority='500'")),
    ).toEqual([
      "<rule action='accept' direction='in' priority='500'> <all ipset='nimbus-sg-5e6f7a8b1111' ipsetflags='src' state='NEW'/> </rule>",
      "<rule action='accept' direction='out' priority='500'> <all ipset='nimbus-sg-5e6f7a8b1111' ipsetflags='dst' state='NEW'/> </rule>",
      "<rule action='accept' direction='in' priority='500'> <tcp srcipaddr='10.0.0.7' srcipmask='32' dstportstart='5432' dstportend='5432' state='NEW'/> </rule>",
      "<rule action='accept' direction='in' priority='500'> <tcp srcipaddr='10.0.0.8' srcipmask='31' dstportstart='5432' dstportend='5432' state='NEW'/> </rule>",
    ]);
    expect(memberSetName(groupId).length).toBeLessThanOrEqual(31 - 2);
    expect(checkedCidrs(["10.0.0.7/32", "10.0.0.7/32", "10.0.0.9/24"])).toEqual(["10.0.0.7/32", "10.0.0.0/24"]);
    expect(() => checkedCidrs(["10.0.0.0/8 -exist\ndestroy x"])).toThrow(/Not an IPv4 CIDR/);
  });
});
