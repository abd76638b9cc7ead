/**
 * The libvirt XML of Nimbus's host networking, as pure functions: a tenant network as an
 * isolated libvirt network (a bridge with the subnet's gateway address and dnsmasq for DHCP),
 * one DHCP host entry per port, and one nwfilter per port holding its security groups.
 *
 * Every name is generated from ids ([a-z0-9-] only) and every value is validated before it is
 * written, so nothing a user typed ever reaches the XML.
 */
import { usesMemberSet, type PortSpec, type SecurityGroupRuleSpec } from "@nimbus/core/protocol/agent";
import { intToIp, ipToInt, netmaskOf } from "@nimbus/core/ipv4";

/** dnsmasq's own namespace in libvirt network XML (extra dnsmasq options). */
const DNSMASQ_XML_NAMESPACE = "http://libvirt.org/schemas/network/dnsmasq/1.0";

/**
 * Nimbus's own namespace in a network's `<metadata>`: a vlan network's physical network and VLAN
 * id, so an agent that restarts finds which VLAN device each network's bridge needs.
 */
const NIMBUS_NETWORK_XML_NAMESPACE = "https://nimbus.invalid/xmlns/network/1";

/** Rule priorities (libvirt runs lower first): plumbing, then security group rules, then the drop. */
const PRIORITY_PLUMBING = 100;
const PRIORITY_ESTABLISHED = 200;
const PRIORITY_SECURITY_GROUP = 500;
const PRIORITY_DEFAULT_DROP = 1000;

/** The first `count` hex digits of a UUID, lower case. */
function hexPrefix(uuid: string, count: number): string {
  const hex = uuid.toLowerCase().replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error(`Not a UUID: ${JSON.stringify(uuid)}.`);
  return hex.slice(0, count);
}

/** The libvirt network of a Nimbus network: `nimbus-` and the first 8 hex digits of its id. */
export function libvirtNetworkName(networkId: string): string {
  return `nimbus-${hexPrefix(networkId, 8)}`;
}

/** The network's Linux bridge: `nbr` and the first 8 hex digits (11 characters; Linux allows 15). */
export function bridgeName(networkId: string): string {
  return `nbr${hexPrefix(networkId, 8)}`;
}

/** The nwfilter of a port: `nimbus-port-` and the first 12 hex digits of its id. */
export function portFilterName(portId: string): string {
  return `nimbus-port-${hexPrefix(portId, 12)}`;
}

/** The ipset holding the member addresses of a remote security group on this host (at most 31 characters, with room for a suffix). */
export function memberSetName(groupId: string): string {
  return `nimbus-sg-${hexPrefix(groupId, 12)}`;
}

/** The DHCP host name of an address, as Neutron's DHCP agent names it: `host-10-0-0-5`. */
export function dhcpHostName(ipAddress: string): string {
  return `host-${parseIpv4(ipAddress).join("-")}`;
}

// ───────────── IPv4 ─────────────

/** The four octets of a dotted-quad IPv4 address; throws on anything else. */
export function parseIpv4(value: string): [number, number, number, number] {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  const octets = match ? match.slice(1).map(Number) : [];
  if (octets.length !== 4 || octets.some((o) => o > 255)) throw new Error(`Not an IPv4 address: ${JSON.stringify(value)}.`);
  return octets as [number, number, number, number];
}

/**
 * An address as an unsigned 32-bit number. Validated by `parseIpv4` first (its wording, and its
 * leniency about leading zeros, are this module's); the normalised dotted quad then suits core's `ipToInt`.
 */
function ipv4ToInt(value: string): number {
  return ipToInt(parseIpv4(value).join("."));
}

export interface Ipv4Cidr {
  /** The network address (host bits cleared). */
  address: string;
  prefix: number;
}

/** `10.0.0.7/24` → `{ address: "10.0.0.0", prefix: 24 }`; a bare address is a /32. Throws on anything else. */
export function parseCidr(value: string): Ipv4Cidr {
  const [address = "", prefixText, ...rest] = value.split("/");
  const prefix = prefixText === undefined ? 32 : /^\d{1,2}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (rest.length > 0 || !(prefix >= 0 && prefix <= 32)) throw new Error(`Not an IPv4 CIDR: ${JSON.stringify(value)}.`);
  return { address: intToIp((ipv4ToInt(address) & ipToInt(netmaskOf(prefix))) >>> 0), prefix };
}

/** The prefix length of a dotted netmask: 255.255.255.0 → 24. Throws on a non-contiguous mask. */
export function prefixOf(netmask: string): number {
  const bits = ipv4ToInt(netmask).toString(2).padStart(32, "0");
  if (!/^1*0*$/.test(bits)) throw new Error(`Not a netmask: ${JSON.stringify(netmask)}.`);
  return bits.indexOf("0") === -1 ? 32 : bits.indexOf("0");
}

export function cidrContains(cidr: Ipv4Cidr, ipAddress: string): boolean {
  return parseCidr(`${ipAddress}/${cidr.prefix}`).address === cidr.address;
}

// ───────────── networks ─────────────

/** A DHCP host entry: dnsmasq hands `ip` (and the name, when there is one) to the NIC with `mac`. */
export interface DhcpHost {
  mac: string;
  ip: string;
  name: string;
}

export function dhcpHostOf(port: Pick<PortSpec, "macAddress" | "ipAddress">): DhcpHost {
  return { mac: port.macAddress.toLowerCase(), ip: port.ipAddress, name: dhcpHostName(port.ipAddress) };
}

/** `<host mac='…' ip='…' name='…'/>`, as `virsh net-update … ip-dhcp-host` takes it. */
export function dhcpHostXml(host: DhcpHost): string {
  const mac = host.mac.toLowerCase();
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac)) throw new Error(`Not a MAC address: ${JSON.stringify(host.mac)}.`);
  // An entry read back from libvirt may have no name (one this agent did not write).
  if (!/^[a-z0-9-]{0,63}$/.test(host.name)) throw new Error(`Not a DHCP host name: ${JSON.stringify(host.name)}.`);
  return `<host mac='${mac}' ip='${parseIpv4(host.ip).join(".")}'${host.name ? ` name='${host.name}'` : ""}/>`;
}

/**
 * The libvirt network of a Nimbus network, from one of its ports: isolated (no `<forward>`,
 * so tenant traffic stays on the host's bridge), the libvirt UUID being the Nimbus network id
 * (so a name collision is noticed, never silently shared), the subnet's gateway address on the
 * bridge, and a static-only DHCP service when the subnet has DHCP, starting with this port's
 * entry (defining it with its first entry spares a dnsmasq restart; later ports are added
 * with `net-update`).
 * Without a gateway the bridge gets no address and dnsmasq does not run: the guest takes its
 * address from the config drive.
 *
 * DHCP hands out what Neutron's DHCP agent does: the subnet's gateway as the default route (libvirt
 * tells the dnsmasq of an isolated network to offer none, `dhcp-option=3`; dnsmasq keeps the
 * later of two options of one number, ours) and the subnet's nameservers; libvirt adds the
 * network's MTU (option 26) itself.
 */
export function buildNetworkXml(port: PortSpec): string {
  const subnet = parseCidr(port.cidr);
  const gateway = port.gatewayIp === null ? null : parseIpv4(port.gatewayIp).join(".");
  const dhcp = gateway !== null && port.enableDhcp;
  const nameservers = port.dnsNameservers.map((ns) => parseIpv4(ns).join("."));
  const lines = [
    `<network${dhcp ? ` xmlns:dnsmasq='${DNSMASQ_XML_NAMESPACE}'` : ""}>`,
    `  <name>${libvirtNetworkName(port.networkId)}</name>`,
    `  <uuid>${port.networkId.toLowerCase()}</uuid>`,
    ...(port.vlan
      ? [
          `  <metadata>`,
          `    <nimbus:provider xmlns:nimbus='${NIMBUS_NETWORK_XML_NAMESPACE}' physical-network='${physicalNetworkName(port.vlan.physicalNetwork)}' vlan='${vlanIdOf(port.vlan.id)}'/>`,
          `  </metadata>`,
        ]
      : []),
    `  <bridge name='${bridgeName(port.networkId)}' stp='on' delay='0'/>`,
    `  <mtu size='${Math.trunc(port.mtu)}'/>`,
  ];
  if (gateway !== null) {
    lines.push(`  <ip address='${gateway}' netmask='${netmaskOf(subnet.prefix)}'>`);
    if (dhcp) {
      lines.push(`    <dhcp>`, `      ${dhcpHostXml(dhcpHostOf(port))}`, `    </dhcp>`);
    }
    lines.push(`  </ip>`);
  }
  if (dhcp) {
    const options = [`option:router,${gateway}`];
    // Neutron hands out the subnet's nameservers; libvirt's dnsmasq would otherwise offer itself.
    if (nameservers.length > 0) options.push(`option:dns-server,${nameservers.join(",")}`);
    lines.push(`  <dnsmasq:options>`, ...options.map((option) => `    <dnsmasq:option value='dhcp-option=${option}'/>`), `  </dnsmasq:options>`);
  }
  lines.push(`</network>`);
  return `${lines.join("\n")}\n`;
}

/** A physical network's name as the protocol checks it, checked again before it goes in XML. */
function physicalNetworkName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) throw new Error(`Not a physical network's name: ${JSON.stringify(name)}.`);
  return name;
}

function vlanIdOf(id: number): number {
  if (!Number.isInteger(id) || id < 1 || id > 4094) throw new Error(`Not a VLAN id: ${JSON.stringify(id)}.`);
  return id;
}

/** The parts of a libvirt network's XML the host networking acts on. */
export interface NetworkFacts {
  uuid: string | null;
  /** A vlan network's segment, from Nimbus's metadata; null for the others. */
  vlan: { physicalNetwork: string; id: number } | null;
  /** The bridge's MTU; null when the XML sets none. */
  mtu: number | null;
  /**
   * The network's first IPv4 address, where dnsmasq serves DHCP (libvirt serves one IPv4
   * subnet), and its DHCP host entries; null when the bridge has no address.
   */
  ipv4: { cidr: Ipv4Cidr; hosts: DhcpHost[] } | null;
}

/** Attributes of an XML start tag, in either quote style (libvirt writes its names and numbers without entities). */
function attributesOf(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of tag.matchAll(/([\w:-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g)) {
    const name = match[1];
    if (name) attributes[name] = match[2] ?? match[3] ?? "";
  }
  return attributes;
}

/**
 * Reads what `virsh net-dumpxml` says about a network's UUID, IPv4 subnet and DHCP hosts.
 * (libvirt drops an empty `<dhcp/>` when it writes the XML, so its absence means nothing.)
 */
export function parseNetworkXml(xml: string): NetworkFacts {
  const uuid = /<uuid>\s*([0-9a-fA-F-]{36})\s*<\/uuid>/.exec(xml)?.[1]?.toLowerCase() ?? null;
  const provider = /<nimbus:provider\b([^>]*?)\/?>/.exec(xml);
  const providerAttributes = provider ? attributesOf(provider[1] ?? "") : {};
  const vlanId = Number(providerAttributes.vlan);
  const vlan =
    providerAttributes["physical-network"] && Number.isInteger(vlanId) && vlanId >= 1 && vlanId <= 4094
      ? { physicalNetwork: providerAttributes["physical-network"], id: vlanId }
      : null;
  const mtuSize = Number(attributesOf(/<mtu\b([^>]*?)\/?>/.exec(xml)?.[1] ?? "").size);
  const facts = { uuid, vlan, mtu: Number.isInteger(mtuSize) && mtuSize > 0 ? mtuSize : null };
  for (const block of xml.matchAll(/<ip\b([^>]*?)(?:\/>|>([\s\S]*?)<\/ip>)/g)) {
    const attributes = attributesOf(block[1] ?? "");
    if ((attributes.family && attributes.family !== "ipv4") || !attributes.address) continue;
    const prefix = attributes.prefix !== undefined ? Number(attributes.prefix) : attributes.netmask ? prefixOf(attributes.netmask) : 24;
    const hosts: DhcpHost[] = [];
    for (const tag of (block[2] ?? "").matchAll(/<host\b([^>]*?)\/?>/g)) {
      const host = attributesOf(tag[1] ?? "");
      if (host.mac && host.ip) hosts.push({ mac: host.mac.toLowerCase(), ip: host.ip, name: host.name ?? "" });
    }
    return { ...facts, ipv4: { cidr: parseCidr(`${attributes.address}/${prefix}`), hosts } };
  }
  return { ...facts, ipv4: null };
}

/** `virsh net-info`'s Active and Autostart lines. */
export function parseNetInfo(text: string): { active: boolean; autostart: boolean } {
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(text)?.[1] === "yes";
  return { active: field("Active"), autostart: field("Autostart") };
}

// ───────────── security groups ─────────────

/**
 * One `<rule>` of the port's filter, accepting what a security group rule admits from (or to)
 * one CIDR, anywhere (null), or the members of its remote group (the group's ipset).
 */
function securityGroupRuleXml(rule: SecurityGroupRuleSpec, remote: Ipv4Cidr | { set: string } | null): string[] {
  const direction = rule.direction === "ingress" ? "in" : "out";
  // Ingress admits traffic from the remote; egress admits traffic to it.
  const side = rule.direction === "ingress" ? "src" : "dst";
  const attributes: string[] = [];
  if (remote && "set" in remote) attributes.push(`ipset='${remote.set}'`, `ipsetflags='${side}'`);
  else if (remote && remote.prefix > 0) attributes.push(`${side}ipaddr='${remote.address}'`, `${side}ipmask='${remote.prefix}'`);
  const min = rule.portRangeMin;
  const max = rule.portRangeMax ?? rule.portRangeMin;
  let element: "tcp" | "udp" | "icmp" | "all" = "all";
  if (rule.protocol === "tcp" || rule.protocol === "udp") {
    element = rule.protocol;
    if (min !== null && max !== null) attributes.push(`dstportstart='${Math.min(min, max)}'`, `dstportend='${Math.max(min, max)}'`);
  } else if (rule.protocol === "icmp") {
    element = "icmp";
    // Neutron keeps an ICMP rule's type in port_range_min and its code in port_range_max.
    if (rule.portRangeMin !== null && rule.portRangeMin <= 255) attributes.push(`type='${rule.portRangeMin}'`);
    if (rule.portRangeMin !== null && rule.portRangeMax !== null && rule.portRangeMax <= 255) attributes.push(`code='${rule.portRangeMax}'`);
  }
  // New connections only: replies pass through the ESTABLISHED,RELATED rules.
  attributes.push(`state='NEW'`);
  return [
    `  <rule action='accept' direction='${direction}' priority='${PRIORITY_SECURITY_GROUP}'>`,
    `    <${element} ${attributes.join(" ")}/>`,
    `  </rule>`,
  ];
}

/** The distinct CIDRs of a list as `a.b.c.d/n`, each checked (a malformed one throws): what goes into an ipset. */
export function checkedCidrs(values: string[]): string[] {
  return uniqueCidrs(values).map((cidr) => `${cidr.address}/${cidr.prefix}`);
}

/** The distinct CIDRs of a list (a remote group's ports may repeat an address), in order. */
function uniqueCidrs(values: string[]): Ipv4Cidr[] {
  const seen = new Map<string, Ipv4Cidr>();
  for (const cidr of values.map(parseCidr)) seen.set(`${cidr.address}/${cidr.prefix}`, cidr);
  return [...seen.values()];
}

/**
 * The nwfilter of a port (Neutron's port security on libvirt): libvirt's `clean-traffic`
 * (no MAC, IP or ARP spoofing, IPv4 and ARP only) for the port's own address; DHCP both ways;
 * replies of allowed connections; one accept rule per security group rule and remote CIDR, or
 * for a rule of any protocol per remote group, naming the group's ipset (`memberSets`: made
 * before the filter; libvirt keeps `ipset` only on `<all>`, and silently drops it from
 * `<tcp>`, `<udp>` and `<icmp>`, which would then admit anyone); and
 * everything else dropped in both directions. A port without rules therefore passes only ARP
 * and DHCP. Without `memberSets` (a host that keeps no ipsets) a remote group's members are
 * listed one rule each, and a group without ports admits nothing and produces no XML.
 */
export function buildPortFilterXml(
  port: Pick<PortSpec, "id" | "ipAddress" | "securityGroupRules">,
  { memberSets = false }: { memberSets?: boolean } = {},
): string {
  const ip = parseIpv4(port.ipAddress).join(".");
  const lines = [
    `<filter name='${portFilterName(port.id)}' chain='root'>`,
    `  <uuid>${port.id.toLowerCase()}</uuid>`,
    `  <filterref filter='clean-traffic'>`,
    `    <parameter name='IP' value='${ip}'/>`,
    `  </filterref>`,
    // DHCP requests leave from 0.0.0.0 and answers may be broadcast: connection tracking cannot pair them.
    `  <rule action='accept' direction='out' priority='${PRIORITY_PLUMBING}' statematch='false'>`,
    `    <udp srcportstart='68' dstportstart='67'/>`,
    `  </rule>`,
    `  <rule action='accept' direction='in' priority='${PRIORITY_PLUMBING}' statematch='false'>`,
    `    <udp srcportstart='67' dstportstart='68'/>`,
    `  </rule>`,
    `  <rule action='accept' direction='out' priority='${PRIORITY_ESTABLISHED}'>`,
    `    <all state='ESTABLISHED,RELATED'/>`,
    `  </rule>`,
    `  <rule action='accept' direction='in' priority='${PRIORITY_ESTABLISHED}'>`,
    `    <all state='ESTABLISHED,RELATED'/>`,
    `  </rule>`,
  ];
  for (const rule of port.securityGroupRules) {
    if (memberSets && usesMemberSet(rule)) {
      lines.push(...securityGroupRuleXml(rule, { set: memberSetName(rule.remoteGroupId) }));
      continue;
    }
    const remotes = rule.remoteCidrs === null ? [null] : uniqueCidrs(rule.remoteCidrs);
    for (const remote of remotes) lines.push(...securityGroupRuleXml(rule, remote));
  }
  lines.push(`  <rule action='drop' direction='inout' priority='${PRIORITY_DEFAULT_DROP}'>`, `    <all/>`, `  </rule>`, `</filter>`);
  return `${lines.join("\n")}\n`;
}
