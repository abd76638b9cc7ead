import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, PERSONA_PASSWORD, signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "../harness";
import { openstackCli, type Cli } from "./cli";

/**
 * Neutron v2.0 through the stock openstack CLI (python-openstackclient 6.0 over openstacksdk):
 * networks, subnets, ports, security groups and their rules, and quotas, on the same core verbs
 * as the console, with Neutron's errors and its isolation between projects.
 */

interface NetworkRow {
  ID: string;
  Name: string;
  Subnets: string[];
}
interface NetworkShow {
  id: string;
  name: string;
  shared: boolean;
  status: string;
  mtu: number;
  project_id: string;
  subnets: string[];
  admin_state_up: boolean;
}
interface SubnetShow {
  id: string;
  name: string;
  network_id: string;
  cidr: string;
  gateway_ip: string | null;
  allocation_pools: { start: string; end: string }[];
  dns_nameservers: string[];
  enable_dhcp: boolean;
  ip_version: number;
}
interface PortShow {
  id: string;
  mac_address: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  status: string;
  device_id: string;
  device_owner: string;
  network_id: string;
  security_group_ids: string[];
  binding_host_id: string | null;
  project_id: string;
}
interface RuleShow {
  id: string;
  direction: string;
  ether_type: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  security_group_id: string;
}

const MAC = /^fa:16:3e(:[0-9a-f]{2}){3}$/;

describe("Neutron v2.0 through the stock openstack CLI", () => {
  let stack: Stack;
  let agent: AgentProcess;
  let admin: Cli;
  let member: Cli;
  let reader: Cli;
  let stranger: Cli;
  let demoAdmin: Cli;
  let demoId: string;

  beforeAll(async () => {
    // physnet1's VLAN ids 200–201 for vlan networks that name none (Neutron's network_vlan_ranges).
    stack = await startStack("postgres", { NIMBUS_NETWORK_VLAN_RANGES: "physnet1:200:201" });
    agent = startAgent(stack.server.url, { hostname: "neutron-node" });
    const as = (user: string, project: string) => openstackCli(stack.server.url, { user, password: PERSONA_PASSWORD, project });
    ({ projectId: demoId } = await addUser(stack, { name: "net-member", project: "demo", role: "member" }));
    await addUser(stack, { name: "net-reader", project: "demo", role: "reader" });
    await addUser(stack, { name: "net-admin", project: "demo", role: "admin" });
    await addUser(stack, { name: "net-stranger", project: "elsewhere", role: "member" });
    admin = openstackCli(stack.server.url);
    member = as("net-member", "demo");
    reader = as("net-reader", "demo");
    demoAdmin = as("net-admin", "demo");
    stranger = as("net-stranger", "elsewhere");
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
  });

  const tokens = new Map<Cli, string>();
  /** A raw call with a token of the CLI's user (issued once), to read Neutron's status and error body as a client does. */
  async function raw(cli: Cli, method: string, path: string, body?: unknown) {
    const id = tokens.get(cli) ?? (await cli.json<{ id: string }>(["token", "issue"])).id;
    tokens.set(cli, id);
    const response = await fetch(`${stack.server.url}/network${path}`, {
      method,
      headers: { "x-auth-token": id, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  }

  it("answers version discovery at the root as openstacksdk and neutronclient expect", async () => {
    const root = await fetch(`${stack.server.url}/network/`);
    expect(root.status).toBe(200);
    expect(await root.json()).toEqual({
      versions: [{ id: "v2.0", status: "CURRENT", links: [{ rel: "self", href: `${stack.server.url}/network/v2.0/` }] }],
    });
    const unauthenticated = await fetch(`${stack.server.url}/network/v2.0/networks`);
    expect(unauthenticated.status).toBe(401);
  });

  it("creates, lists (with the SDK's filters), shows by name and id, and deletes a network", async () => {
    const created = await member.json<NetworkShow>(["network", "create", "demo-net"]);
    expect(created).toMatchObject({ name: "demo-net", shared: false, status: "ACTIVE", mtu: 1450, admin_state_up: true, project_id: demoId });

    const [all, shared, mine, long, byName, byId] = await Promise.all([
      member.json<NetworkRow[]>(["network", "list"]),
      member.json<NetworkRow[]>(["network", "list", "--share"]),
      // --project is the SDK's project_id filter.
      member.json<NetworkRow[]>(["network", "list", "--project", demoId]),
      member.json<Record<string, unknown>[]>(["network", "list", "--long", "--name", "demo-net"]),
      member.json<NetworkShow>(["network", "show", "demo-net"]),
      member.json<NetworkShow>(["network", "show", created.id]),
    ]);
    expect(all.map((n) => n.Name).sort()).toEqual(["demo-net", "shared-net"]);
    expect(shared.map((n) => n.Name)).toEqual(["shared-net"]);
    expect(mine.map((n) => n.Name)).toEqual(["demo-net"]);
    expect(long).toEqual([expect.objectContaining({ ID: created.id, Project: demoId, Shared: false, Status: "ACTIVE", State: true })]);
    expect(byName.id).toBe(created.id);
    expect(byId.name).toBe("demo-net");
    // tenant_id as older clients send it; shared=False as the SDK writes a boolean.
    expect((await raw(member, "GET", `/v2.0/networks?tenant_id=${demoId}&shared=False`)).body).toEqual({
      networks: [expect.objectContaining({ id: created.id })],
    });

    await member.ok(["network", "delete", "demo-net"]);
    const gone = await member.run(["network", "show", created.id]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/No Network found/);
    expect(await raw(member, "GET", `/v2.0/networks/${created.id}`)).toEqual({
      status: 404,
      body: { NeutronError: { type: "NetworkNotFound", message: `Network ${created.id} could not be found.`, detail: "" } },
    });
  }, 120_000);

  it("lets only cloud admins share a network, and keeps projects' private networks apart", async () => {
    const [share, denied, shared, secret] = await Promise.all([
      member.run(["network", "create", "--share", "sneaky"]),
      reader.run(["network", "create", "read-only"]),
      admin.json<NetworkShow>(["network", "create", "--share", "public-net"]),
      stranger.json<NetworkShow>(["network", "create", "elsewhere-net"]),
    ]);
    expect(share.code).not.toBe(0);
    expect(share.stderr).toMatch(/403/);
    expect(share.stderr).toMatch(/\(rule:create_network and rule:create_network:shared\) is disallowed by policy/);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/403/);
    expect(denied.stderr).toMatch(/rule:create_network is disallowed by policy/);
    expect((await raw(reader, "POST", "/v2.0/networks", { network: { name: "read-only" } })).body).toMatchObject({
      NeutronError: { type: "PolicyNotAuthorized" },
    });
    expect(shared.shared).toBe(true);

    const [memberSees, readerSees, notOwner, hidden] = await Promise.all([
      member.json<NetworkRow[]>(["network", "list"]),
      reader.json<NetworkRow[]>(["network", "list", "--share"]),
      // Shared is not owned: the member may use it but not delete it.
      member.run(["network", "delete", "public-net"]),
      member.run(["network", "show", secret.id]),
    ]);
    expect(memberSees.map((n) => n.Name).sort()).toEqual(["public-net", "shared-net"]);
    expect(readerSees.map((n) => n.Name).sort()).toEqual(["public-net", "shared-net"]);
    expect(notOwner.stderr).toMatch(/rule:delete_network is disallowed by policy/);
    expect(hidden.stderr).toMatch(/No Network found/);
    // Another project's private network is not found, as Neutron answers, whatever the verb.
    expect((await raw(member, "DELETE", `/v2.0/networks/${secret.id}`)).body).toMatchObject({ NeutronError: { type: "NetworkNotFound" } });
    expect((await raw(stranger, "GET", `/v2.0/networks/${secret.id}`)).body).toMatchObject({ network: { name: "elsewhere-net" } });
    await admin.ok(["network", "delete", "public-net"]);
  }, 120_000);

  it("creates vlan provider networks (admins only) and shows their provider attributes as Neutron does", async () => {
    const value = (network: Record<string, unknown>, suffix: string) => Object.entries(network).find(([key]) => key.endsWith(suffix))?.[1];
    const vlan = ["network", "create", "--provider-network-type", "vlan", "--provider-physical-network"];
    const made = await admin.json<Record<string, unknown>>([...vlan, "physnet1", "--provider-segment", "101", "vlan-101"]);
    // No id given: the lowest free one of physnet1's range.
    const auto = await admin.json<Record<string, unknown>>([...vlan, "physnet1", "vlan-auto"]);
    expect(value(auto, "segmentation_id")).toBe(200);
    const [shown, tenant, taken, outOfRange, unknown, anywhere, byMember] = await Promise.all([
      admin.json<Record<string, unknown>>(["network", "show", "vlan-101"]),
      demoAdmin.json<Record<string, unknown>>(["network", "create", "tenant-net"]),
      admin.run([...vlan, "physnet1", "--provider-segment", "101", "again"]),
      admin.run([...vlan, "physnet1", "--provider-segment", "4095", "too-far"]),
      admin.run([...vlan, "physnet7", "--provider-segment", "7", "nowhere"]),
      // Neither physical network nor id: the first physical network with a free id in its range, as Neutron does.
      raw(admin, "POST", "/v2.0/networks", { network: { name: "anywhere", "provider:network_type": "vlan" } }),
      member.run([...vlan, "physnet1", "--provider-segment", "102", "mine"]),
    ]);
    for (const network of [made, shown]) {
      expect(value(network, "network_type")).toBe("vlan");
      expect(value(network, "physical_network")).toBe("physnet1");
      expect(value(network, "segmentation_id")).toBe(101);
      // Nothing of the overlay: a VLAN carries full 1500-byte frames.
      expect(network.mtu).toBe(1500);
    }
    // A tenant network shows its VNI.
    expect(value(tenant, "network_type")).toBe("vxlan");
    expect(value(tenant, "segmentation_id")).toEqual(expect.any(Number));
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toMatch(/409/);
    expect(taken.stderr).toMatch(/VLAN 101 on physnet1 is taken by network vlan-101/);
    expect(outOfRange.stderr).toMatch(/Invalid input for provider:segmentation_id\. Reason: The VLAN id is a whole number from 1 to 4094\./);
    expect(unknown.stderr).toMatch(/Invalid input for provider:physical_network\. Reason: No host or VLAN range knows physical network physnet7\./);
    expect(anywhere).toMatchObject({
      status: 201,
      body: { network: { "provider:network_type": "vlan", "provider:physical_network": "physnet1", "provider:segmentation_id": 201 } },
    });
    expect(byMember.stderr).toMatch(/403/);
    expect(byMember.stderr).toMatch(/\(rule:create_network and rule:create_network:provider\) is disallowed by policy/);
    // A member sees no provider attributes at all (Neutron's policy).
    const asMember = await member.json<Record<string, unknown>>(["network", "show", "tenant-net"]);
    expect(value(asMember, "network_type") ?? null).toBeNull();
    await Promise.all([
      admin.ok(["network", "delete", "vlan-101"]),
      admin.ok(["network", "delete", "vlan-auto"]),
      admin.ok(["network", "delete", "anywhere"]),
      demoAdmin.ok(["network", "delete", "tenant-net"]),
    ]);
  }, 300_000);

  it("creates subnets with Neutron's options and refuses overlaps and bad CIDRs in Neutron's words", async () => {
    const network = await member.json<NetworkShow>(["network", "create", "subnetted"]);
    const subnet = await member.json<SubnetShow>([
      "subnet",
      "create",
      "--network",
      "subnetted",
      "--subnet-range",
      "10.9.0.0/24",
      "--gateway",
      "10.9.0.1",
      "--allocation-pool",
      "start=10.9.0.10,end=10.9.0.100",
      "--dns-nameserver",
      "192.0.2.53",
      "--no-dhcp",
      "first",
    ]);
    expect(subnet).toMatchObject({
      name: "first",
      network_id: network.id,
      cidr: "10.9.0.0/24",
      gateway_ip: "10.9.0.1",
      allocation_pools: [{ start: "10.9.0.10", end: "10.9.0.100" }],
      dns_nameservers: ["192.0.2.53"],
      enable_dhcp: false,
      ip_version: 4,
    });
    // Neutron's defaults: the first host is the gateway, the rest is the pool, DHCP on.
    const [second, none] = await Promise.all([
      member.json<SubnetShow>(["subnet", "create", "--network", network.id, "--subnet-range", "10.9.1.0/28", "second"]),
      member.json<SubnetShow>(["subnet", "create", "--network", network.id, "--subnet-range", "10.9.2.0/29", "--gateway", "none", "third"]),
    ]);
    expect(second).toMatchObject({ gateway_ip: "10.9.1.1", allocation_pools: [{ start: "10.9.1.2", end: "10.9.1.14" }], enable_dhcp: true });
    expect(none.gateway_ip).toBeNull();

    const [overlap, badCidr] = await Promise.all([
      member.run(["subnet", "create", "--network", "subnetted", "--subnet-range", "10.9.0.128/25", "overlapping"]),
      member.run(["subnet", "create", "--network", "subnetted", "--subnet-range", "10.9.3.0/33", "bad"]),
    ]);
    expect(overlap.code).not.toBe(0);
    expect(overlap.stderr).toContain(
      `Invalid input for operation: Requested subnet with cidr: 10.9.0.128/25 for network: ${network.id} overlaps with another subnet.`,
    );
    expect(badCidr.stderr).toMatch(/400/);
    expect(badCidr.stderr).toContain("Invalid input for cidr. Reason: 10.9.3.0/33 is not an IPv4 CIDR such as 10.0.0.0/24.");
    const refused = async (subnet: Record<string, unknown>) => {
      const { status, body } = await raw(member, "POST", "/v2.0/subnets", { subnet: { network_id: network.id, ip_version: 4, ...subnet } });
      expect(status).toBe(400);
      return (body as { NeutronError: { type: string; message: string } }).NeutronError;
    };
    expect(await refused({ cidr: "10.9.0.0/16" })).toMatchObject({
      type: "InvalidInput",
      message: expect.stringContaining("overlaps with another subnet"),
    });
    expect((await refused({ cidr: "10.9.3.5/24" })).message).toBe(
      "Invalid input for cidr. Reason: 10.9.3.5/24 is not a network address; did you mean 10.9.3.0/24?",
    );
    expect((await refused({ cidr: "10.9.4.0/24", gateway_ip: "10.8.0.1" })).message).toBe(
      "Invalid input for gateway_ip. Reason: The gateway must be inside 10.9.4.0/24.",
    );
    expect((await refused({ cidr: "fd00::/64", ip_version: 6 })).message).toMatch(/^Invalid input for ip_version/);
    expect((await refused({ cidr: "10.9.5.0/24", color: "red" })).message).toBe("Unrecognized attribute(s) 'color'");
    expect((await refused({ cidr: "10.9.5.0/24", network_id: "nope" })).message).toBe(
      "Invalid input for network_id. Reason: 'nope' is not a valid UUID.",
    );

    const [listed, shown, parent, elsewhere] = await Promise.all([
      member.json<{ Name: string; Subnet: string }[]>(["subnet", "list", "--network", "subnetted"]),
      member.json<SubnetShow>(["subnet", "show", "first"]),
      member.json<NetworkShow>(["network", "show", "subnetted"]),
      // Another project sees none of it.
      stranger.run(["subnet", "show", subnet.id]),
    ]);
    expect(listed.map((s) => `${s.Name} ${s.Subnet}`).sort()).toEqual(["first 10.9.0.0/24", "second 10.9.1.0/28", "third 10.9.2.0/29"]);
    expect(shown.id).toBe(subnet.id);
    expect(parent.subnets.sort()).toEqual([subnet.id, second.id, none.id].sort());
    expect(elsewhere.stderr).toMatch(/No Subnet found/);

    await member.ok(["subnet", "delete", "third"]);
    expect((await member.json<{ Name: string }[]>(["subnet", "list", "--network", "subnetted"])).map((s) => s.Name).sort()).toEqual([
      "first",
      "second",
    ]);
  }, 180_000);

  it("lists and shows the ports of launched instances: fixed IPs, MAC, status, owner, and the host to admins only", async () => {
    // The network and the instance as the console makes them (the admin of project demo).
    const { client } = await signedInClient(stack.server.url, "net-admin", PERSONA_PASSWORD);
    const network = await client.networks.create.mutate({ name: "ported", subnet: { name: "ported-v4", cidr: "10.20.0.0/24" } });
    const subnet = network.subnets[0]!;
    await waitFor("the agent's host to be up", async () =>
      (await client.hosts.list.query()).find((h) => h.hostname === agent.hostname && h.state === "up"),
    );
    const [flavors, images] = await Promise.all([client.catalog.flavors.query(), client.catalog.images.query()]);
    const { instanceIds } = await client.instances.launch.mutate({
      name: "ported-vm",
      count: 1,
      imageId: images[0]!.id,
      flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
      networkId: network.id,
    });
    const instanceId = instanceIds[0]!;
    await waitFor(
      "the instance to become ACTIVE",
      async () => (await client.instances.get.query({ id: instanceId })).instance.status === "ACTIVE",
      60_000,
    );

    const rows = await demoAdmin.json<
      { ID: string; "MAC Address": string; "Fixed IP Addresses": { subnet_id: string; ip_address: string }[]; Status: string }[]
    >(["port", "list", "--network", "ported"]);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row!["MAC Address"]).toMatch(MAC);
    expect(row!.Status).toBe("ACTIVE");
    expect(row!["Fixed IP Addresses"]).toEqual([{ subnet_id: subnet.id, ip_address: expect.stringMatching(/^10\.20\.0\.\d+$/) }]);
    const address = row!["Fixed IP Addresses"][0]!.ip_address;

    const [byDevice, byAddress, noAddress, long, asAdmin, asMember] = await Promise.all([
      demoAdmin.json<{ ID: string }[]>(["port", "list", "--device-id", instanceId]),
      demoAdmin.json<{ ID: string }[]>(["port", "list", "--fixed-ip", `ip-address=${address}`]),
      demoAdmin.json(["port", "list", "--fixed-ip", "ip-address=10.20.0.250"]),
      demoAdmin.json<{ "Device Owner": string }[]>(["port", "list", "--long", "--network", network.id]),
      demoAdmin.json<PortShow>(["port", "show", row!.ID]),
      member.json<PortShow>(["port", "show", row!.ID]),
    ]);
    expect(byDevice.map((p) => p.ID)).toEqual([row!.ID]);
    expect(byAddress.map((p) => p.ID)).toEqual([row!.ID]);
    expect(noAddress).toEqual([]);
    expect(long.map((p) => p["Device Owner"])).toEqual(["compute:nova"]);
    expect(asAdmin).toMatchObject({
      device_id: instanceId,
      device_owner: "compute:nova",
      network_id: network.id,
      mac_address: row!["MAC Address"],
      binding_host_id: agent.hostname,
      status: "ACTIVE",
      project_id: demoId,
    });
    expect(asAdmin.security_group_ids).toHaveLength(1);
    // A member of the project sees the port but not where it is bound.
    expect(asMember.device_owner).toBe("compute:nova");
    expect(asMember.binding_host_id ?? null).toBeNull();
    const memberRaw = await raw(member, "GET", `/v2.0/ports/${row!.ID}`);
    expect(memberRaw.body!.port).not.toHaveProperty("binding:host_id");
    // Another project's port does not exist for the caller.
    expect((await raw(stranger, "GET", `/v2.0/ports?network_id=${network.id}`)).body).toEqual({ ports: [] });
    expect((await raw(stranger, "GET", `/v2.0/ports/${row!.ID}`)).body).toMatchObject({ NeutronError: { type: "PortNotFound" } });

    // A network whose ports are in use is not deleted: Neutron's NetworkInUse.
    expect(await raw(demoAdmin, "DELETE", `/v2.0/networks/${network.id}`)).toMatchObject({
      status: 409,
      body: { NeutronError: { type: "NetworkInUse", message: expect.stringContaining("in use by 1 instance") } },
    });
    await client.instances.delete.mutate({ id: instanceId });
  }, 180_000);

  it("manages security groups and their rules with Neutron's rule shape and duplicate refusal", async () => {
    const group = await member.json<{ id: string; name: string; description: string; rules: unknown[] }>([
      "security",
      "group",
      "create",
      "--description",
      "web servers",
      "web",
    ]);
    expect(group).toMatchObject({ name: "web", description: "web servers", rules: [] });
    const [groups, shown, defaultGroup] = await Promise.all([
      member.json<{ Name: string; Project: string }[]>(["security", "group", "list"]),
      member.json<{ id: string }>(["security", "group", "show", "web"]),
      member.json<{ id: string }>(["security", "group", "show", "default"]),
    ]);
    expect(groups.map((g) => g.Name).sort()).toEqual(["default", "web"]);
    expect(groups.every((g) => g.Project === demoId)).toBe(true);
    expect(shown.id).toBe(group.id);

    const [ssh, dns, https] = await Promise.all([
      member.json<RuleShow>(["security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", "--remote-ip", "0.0.0.0/0", "web"]),
      member.json<RuleShow>([
        "security",
        "group",
        "rule",
        "create",
        "--egress",
        "--ethertype",
        "IPv4",
        "--protocol",
        "udp",
        "--dst-port",
        "53:54",
        "--remote-group",
        "default",
        "web",
      ]),
      member.json<RuleShow>([
        "security",
        "group",
        "rule",
        "create",
        "--ingress",
        "--protocol",
        "tcp",
        "--dst-port",
        "443",
        "--remote-ip",
        "192.0.2.0/24",
        "web",
      ]),
    ]);
    expect(ssh).toMatchObject({
      direction: "ingress",
      ether_type: "IPv4",
      protocol: "tcp",
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: "0.0.0.0/0",
      remote_group_id: null,
      security_group_id: group.id,
    });
    expect(dns).toMatchObject({ direction: "egress", protocol: "udp", port_range_min: 53, port_range_max: 54, remote_group_id: defaultGroup.id });
    expect(https.remote_ip_prefix).toBe("192.0.2.0/24");

    const [duplicate, ipv6, badProtocol] = await Promise.all([
      member.run(["security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", "--remote-ip", "0.0.0.0/0", "web"]),
      member.run(["security", "group", "rule", "create", "--ethertype", "IPv6", "--protocol", "tcp", "--dst-port", "80", "web"]),
      member.run(["security", "group", "rule", "create", "--protocol", "gre", "web"]),
    ]);
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toContain("409");
    expect(duplicate.stderr).toContain(`Security group rule already exists. Rule id is ${ssh.id}.`);
    expect(ipv6.stderr).toContain("Invalid input for ethertype");
    expect(badProtocol.stderr).toContain("Security group rule protocol gre not supported");
    const duplicateRaw = await raw(member, "POST", "/v2.0/security-group-rules", {
      security_group_rule: {
        security_group_id: group.id,
        direction: "ingress",
        protocol: "tcp",
        port_range_min: 22,
        port_range_max: 22,
        remote_ip_prefix: "0.0.0.0/0",
      },
    });
    expect(duplicateRaw).toMatchObject({ status: 409, body: { NeutronError: { type: "SecurityGroupRuleExists" } } });
    const badPorts = await raw(member, "POST", "/v2.0/security-group-rules", {
      security_group_rule: { security_group_id: group.id, direction: "ingress", protocol: "tcp", port_range_min: 90, port_range_max: 80 },
    });
    expect(badPorts).toMatchObject({ status: 400, body: { NeutronError: { message: expect.stringContaining("Invalid input for port_range_max") } } });

    type RuleRow = { ID: string; "IP Protocol": string | null; "Port Range": string; Direction: string; "IP Range": string };
    const [rules, egress, httpsShown, elsewhere, notReader] = await Promise.all([
      member.json<RuleRow[]>(["security", "group", "rule", "list", "web"]),
      member.json<RuleRow[]>(["security", "group", "rule", "list", "web", "--egress"]),
      member.json<RuleShow>(["security", "group", "rule", "show", https.id]),
      // Another project's groups and rules do not exist for the caller; a reader changes none.
      stranger.run(["security", "group", "rule", "show", https.id]),
      reader.run(["security", "group", "rule", "delete", https.id]),
    ]);
    expect(rules.map((r) => `${r.Direction} ${r["IP Protocol"]} ${r["Port Range"]} ${r["IP Range"]}`).sort()).toEqual([
      "egress udp 53:54 0.0.0.0/0",
      "ingress tcp 22:22 0.0.0.0/0",
      "ingress tcp 443:443 192.0.2.0/24",
    ]);
    expect(egress.map((r) => r.ID)).toEqual([dns.id]);
    expect(httpsShown.port_range_min).toBe(443);
    expect(elsewhere.code).not.toBe(0);
    expect(notReader.stderr).toMatch(/rule:delete_security_group_rule is disallowed by policy/);
    expect((await raw(stranger, "GET", `/v2.0/security-groups/${group.id}`)).body).toMatchObject({ NeutronError: { type: "SecurityGroupNotFound" } });

    await member.ok(["security", "group", "rule", "delete", https.id]);
    expect((await member.run(["security", "group", "rule", "show", https.id])).code).not.toBe(0);
    expect((await raw(member, "DELETE", `/v2.0/security-groups/${defaultGroup.id}`)).body).toMatchObject({
      NeutronError: { type: "SecurityGroupCannotRemoveDefault" },
    });
    await member.ok(["security", "group", "delete", "web"]);
    expect((await member.json<{ Name: string }[]>(["security", "group", "list"])).map((g) => g.Name)).toEqual(["default"]);
  }, 180_000);

  it("answers Neutron's quotas: nothing Nimbus does not limit, with what the project holds", async () => {
    // What the project holds, as its member lists it.
    const networks = (await member.json<{ Project: string }[]>(["network", "list", "--long"])).filter((n) => n.Project === demoId).length;
    const subnets = (await member.json<{ Project: string }[]>(["subnet", "list", "--long"])).filter((s) => s.Project === demoId).length;
    expect(networks).toBeGreaterThan(0);
    const detail = await admin.json<{ Resource: string; "In Use": number; Limit: number }[]>([
      "quota",
      "list",
      "--detail",
      "--network",
      "--project",
      "demo",
    ]);
    const byName = Object.fromEntries(detail.map((r) => [r.Resource, r]));
    expect(byName.networks).toEqual({ Resource: "networks", Limit: -1, "In Use": networks, Reserved: 0 });
    expect(byName.subnets).toMatchObject({ Limit: -1, "In Use": subnets });
    expect(byName.security_groups).toMatchObject({ Limit: -1, "In Use": 1 });
    expect(byName.routers).toMatchObject({ Limit: 10, "In Use": 0 });

    const own = await raw(member, "GET", `/v2.0/quotas/${demoId}`);
    expect(own).toMatchObject({
      status: 200,
      body: { quota: { network: -1, subnet: -1, port: -1, security_group: -1, security_group_rule: -1, router: 10, floatingip: 50 } },
    });
    const details = await raw(member, "GET", `/v2.0/quotas/${demoId}/details.json`);
    expect(details.body).toMatchObject({ quota: { subnet: { used: subnets, limit: -1, reserved: 0 } } });
    const others = await raw(stranger, "GET", `/v2.0/quotas/${demoId}`);
    expect(others).toMatchObject({ status: 403, body: { NeutronError: { type: "PolicyNotAuthorized" } } });
  }, 60_000);
});
