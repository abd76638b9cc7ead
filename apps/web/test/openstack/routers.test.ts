import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, PERSONA_PASSWORD, signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "../harness";
import { openstackCli, type Cli } from "./cli";

/**
 * Neutron's L3 API through the stock openstack CLI (python-openstackclient 6.0): an admin's
 * external network (router:external, flat on physnet1), a member's router with a subnet and an
 * external gateway, floating IPs created, associated with a port and with a server, moved and
 * released; Neutron's refusals and another project's isolation. (Where routers run and carry
 * traffic is router-namespaces.test.ts.)
 */
describe("routers and floating IPs through the stock openstack CLI", () => {
  let stack: Stack;
  let agent: AgentProcess;
  let admin: Cli;
  let member: Cli;
  let stranger: Cli;
  let externalId: string;
  let imageId: string;

  beforeAll(async () => {
    stack = await startStack("postgres");
    agent = startAgent(stack.server.url, { hostname: "l3-node" });
    await addUser(stack, { name: "l3-member", project: "l3-demo", role: "member" });
    await addUser(stack, { name: "l3-stranger", project: "l3-elsewhere", role: "member" });
    admin = openstackCli(stack.server.url);
    member = openstackCli(stack.server.url, { user: "l3-member", password: PERSONA_PASSWORD, project: "l3-demo" });
    stranger = openstackCli(stack.server.url, { user: "l3-stranger", password: PERSONA_PASSWORD, project: "l3-elsewhere" });
    const client = (await signedInClient(stack.server.url)).client;
    imageId = (await client.catalog.images.query())[0]!.id;
    await waitFor(
      "the agent's host up",
      async () => (await client.hosts.list.query()).some((h) => h.hostname === agent.hostname && h.state === "up"),
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
  });

  it("an admin makes an external flat network; a member may not", async () => {
    const network = await admin.json<Record<string, unknown>>([
      "network",
      "create",
      "--external",
      "--provider-network-type",
      "flat",
      "--provider-physical-network",
      "physnet1",
      "public",
    ]);
    // The client shows router:external as "External", and the provider attributes under either spelling.
    const value = (suffix: string) => String(Object.entries(network).find(([key]) => key.endsWith(suffix))?.[1]);
    expect(value("router:external")).toMatch(/^(External|true)$/);
    expect(value("network_type")).toBe("flat");
    expect(value("physical_network")).toBe("physnet1");
    externalId = network.id as string;
    await admin.ok(["subnet", "create", "--network", "public", "--subnet-range", "203.0.113.0/24", "--no-dhcp", "public-v4"]);
    const refused = await member.run(["network", "create", "--external", "mine"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/cloud administrators/);
    // Every project sees the external network.
    expect(await member.json<{ ID: string }[]>(["network", "list", "--external"])).toEqual([expect.objectContaining({ ID: externalId })]);
  });

  it("router create, add subnet, set --external-gateway, show; Neutron's refusals in plain words", async () => {
    await member.ok(["network", "create", "inside"]);
    await member.ok(["subnet", "create", "--network", "inside", "--subnet-range", "10.20.0.0/24", "inside-v4"]);
    const router = await member.json<{ id: string; name: string; status: string }>(["router", "create", "r1"]);
    expect(router).toMatchObject({ name: "r1", status: "ACTIVE" });
    await member.ok(["router", "add", "subnet", "r1", "inside-v4"]);
    await member.ok(["router", "set", "--external-gateway", "public", "r1"]);
    const shown = await member.json<{
      external_gateway_info: { network_id: string; enable_snat: boolean; external_fixed_ips: { ip_address: string }[] };
      interfaces_info?: unknown;
    }>(["router", "show", "r1"]);
    expect(shown.external_gateway_info.network_id).toBe(externalId);
    expect(shown.external_gateway_info.enable_snat).toBe(true);
    expect(shown.external_gateway_info.external_fixed_ips[0]!.ip_address).toMatch(/^203\.0\.113\./);
    // The subnet's gateway address is the router's interface port.
    const ports = await member.json<{ "Fixed IP Addresses": unknown; ID: string }[]>(["port", "list", "--router", "r1", "--long"]);
    expect(JSON.stringify(ports)).toContain("10.20.0.1");
    // Twice: the gateway address is on the router already.
    const again = await member.run(["router", "add", "subnet", "r1", "inside-v4"]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already has a port on subnet/);
    // A router with an interface is not deleted.
    const busy = await member.run(["router", "delete", "r1"]);
    expect(busy.stderr).toMatch(/still has an interface/);
    // Another project's router is not there.
    const foreign = await stranger.run(["router", "show", router.id]);
    expect(foreign.code).not.toBe(0);
    expect(foreign.stderr).toMatch(/could not be found|No Router found/);
  });

  it("floating ip create, set --port, server add / remove floating ip, unset, delete; unreachable ports refused", async () => {
    await member.ok(["server", "create", "--image", imageId, "--flavor", "m1.tiny", "--network", "inside", "--wait", "s1"], { timeoutMs: 120_000 });
    const fip = await member.json<{ id: string; floating_ip_address: string; status: string; port_id: string | null }>([
      "floating",
      "ip",
      "create",
      "public",
    ]);
    expect(fip.floating_ip_address).toMatch(/^203\.0\.113\./);
    expect(fip.port_id).toBeNull();
    const [port] = await member.json<{ ID: string }[]>(["port", "list", "--server", "s1"]);
    await member.ok(["floating", "ip", "set", "--port", port!.ID, fip.id]);
    let shown = await member.json<{ port_id: string; fixed_ip_address: string; router_id: string; status: string }>([
      "floating",
      "ip",
      "show",
      fip.id,
    ]);
    expect(shown).toMatchObject({ port_id: port!.ID, status: "ACTIVE" });
    expect(shown.fixed_ip_address).toMatch(/^10\.20\.0\./);
    await member.ok(["floating", "ip", "unset", "--port", fip.id]);
    shown = await member.json(["floating", "ip", "show", fip.id]);
    expect(shown.port_id).toBeNull();

    await member.ok(["server", "add", "floating", "ip", "s1", fip.floating_ip_address]);
    shown = await member.json(["floating", "ip", "show", fip.id]);
    expect(shown.port_id).toBe(port!.ID);
    const listed = await member.json<{ "Floating IP Address": string; Port: string }[]>(["floating", "ip", "list"]);
    expect(listed).toEqual([expect.objectContaining({ "Floating IP Address": fip.floating_ip_address, Port: port!.ID })]);
    // The gateway is needed by the floating IP: not cleared under it.
    const clear = await member.run(["router", "unset", "--external-gateway", "r1"]);
    expect(clear.stderr).toMatch(/required by one or more floating IPs/);
    // Nova's removeFloatingIp as the client does it (find the address, clear its port), then on again.
    await member.ok(["server", "remove", "floating", "ip", "s1", fip.floating_ip_address]);
    shown = await member.json(["floating", "ip", "show", fip.id]);
    expect(shown).toMatchObject({ port_id: null, status: "DOWN" });
    await member.ok(["server", "add", "floating", "ip", "s1", fip.floating_ip_address]);

    // A port on a subnet no router joins to the external network: Neutron's 404, in words.
    await member.ok(["network", "create", "island"]);
    await member.ok(["subnet", "create", "--network", "island", "--subnet-range", "10.30.0.0/24", "island-v4"]);
    await member.ok(["server", "create", "--image", imageId, "--flavor", "m1.tiny", "--network", "island", "--wait", "s2"], { timeoutMs: 120_000 });
    const other = await member.json<{ id: string; floating_ip_address: string }>(["floating", "ip", "create", "public"]);
    const refused = await member.run(["server", "add", "floating", "ip", "s2", other.floating_ip_address]);
    expect(refused.code).not.toBe(0);
    // Which external network and subnet, by name, and what to do.
    expect(refused.stderr).toMatch(/External network public is not reachable from subnet island-v4 of network island/);
    expect(refused.stderr).toMatch(/attach the subnet to a router whose external gateway is on public first/);
    // Another project sees none of them.
    expect(await stranger.json(["floating", "ip", "list"])).toEqual([]);
    expect((await stranger.run(["floating", "ip", "show", fip.id])).code).not.toBe(0);

    await member.ok(["floating", "ip", "delete", fip.id, other.id]);
    expect(await member.json(["floating", "ip", "list"])).toEqual([]);
  }, 300_000);

  it("quotas: routers 10 and floating IPs 50, with what the project uses", async () => {
    const quota = await member.json<Record<string, number>>(["quota", "show"]);
    expect(quota).toMatchObject({ routers: 10, "floating-ips": 50 });
    for (let i = 2; i <= 10; i++) await member.ok(["router", "create", `r${i}`]);
    const over = await member.run(["router", "create", "r11"]);
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(/Quota exceeded for routers: requested 1, already used 10 of 10/);
  }, 120_000);
});
