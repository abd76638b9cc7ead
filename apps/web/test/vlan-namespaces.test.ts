/**
 * VLAN provider networks with real traffic (root only; see namespace-hosts.ts): four compute
 * hosts that are network namespaces, each with a `trunk0` interface on one VLAN trunk (a bridge
 * in the machine's namespace standing for the switch), mapped as physnet2. A vlan network's
 * ports reach each other across hosts only through their VLAN device on trunk0: these hosts have
 * tunnel addresses, and the network has no VXLAN device anywhere. Instances are veth endpoints
 * on their host's real libvirt network behind their real nwfilter. A host where namespaces,
 * libvirtd or the trunk cannot be made fails this test; it does not skip it.
 *
 * VLAN devices need the kernel's 802.1Q (CONFIG_VLAN_8021Q). On a kernel without it (the
 * project's 2-core machines run one: `ip link add … type vlan` answers "Unknown device type") no
 * tagged frame can be made at all, so what runs there is what a user of such a host sees: the
 * port of a vlan network refused with a fault that names 802.1Q, and nothing of the network left
 * on the host. The traffic tests (ping over the trunk, isolation of two VLANs with one CIDR,
 * restart, security groups, teardown) are registered only where the kernel has 802.1Q (not skipped: absent); the
 * first line of the run says which.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { signedInClient, startStack, waitFor, type Stack } from "./harness";
import { namespaceCloud, type NamespaceCloud, type NamespaceHost } from "./namespace-hosts";

type Client = Awaited<ReturnType<typeof signedInClient>>["client"];

interface Endpoint {
  instanceId: string;
  host: NamespaceHost;
  netns: string;
  ip: string;
}

const hex8 = (networkId: string) => networkId.replace(/-/g, "").slice(0, 8);

/** Whether this machine's kernel makes 802.1Q VLAN devices, tried in a scratch namespace. */
function kernelHas8021q(): boolean {
  const netns = `vlanprobe${process.pid}`;
  const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
  try {
    ip("netns", "add", netns);
    ip("-n", netns, "link", "add", "p0", "type", "veth", "peer", "name", "p1");
    ip("-n", netns, "link", "add", "link", "p0", "name", "p0.5", "type", "vlan", "id", "5");
    return true;
  } catch {
    return false;
  } finally {
    try {
      ip("netns", "del", netns);
    } catch {
      // Not made.
    }
  }
}
const HAS_8021Q = kernelHas8021q();
console.log(
  HAS_8021Q
    ? "vlan-namespaces: the kernel has 802.1Q: traffic over the trunk is tested"
    : "vlan-namespaces: the kernel has NO 802.1Q (CONFIG_VLAN_8021Q): only the refusal of vlan ports is tested; traffic tests need a kernel with it",
);

describe("VLAN provider networks across namespace hosts", () => {
  let cloud: NamespaceCloud;
  let stack: Stack;
  let admin: Client;
  let [a, b, c, d]: NamespaceHost[] = [];
  let vlan101: string;
  let pingable: { id: string; icmpRuleId: string };

  async function launch(name: string, host: NamespaceHost, networkId: string): Promise<Endpoint> {
    const [flavors, images] = await Promise.all([admin.catalog.flavors.query(), admin.catalog.images.query()]);
    const { instanceIds } = await admin.instances.launch.mutate({
      count: 1,
      name,
      imageId: images[0]!.id,
      flavorId: flavors[0]!.id,
      networkId,
      availabilityZone: `:${host.hostname}`,
      securityGroupIds: [pingable.id],
    });
    const instanceId = instanceIds[0]!;
    await waitFor(
      `${name} ACTIVE`,
      async () => {
        const status = (await admin.instances.list.query()).find((i) => i.id === instanceId)?.status;
        if (status === "ERROR") throw new Error(`${name} failed:\n${host.agentOutput().slice(-3000)}`);
        return status === "ACTIVE";
      },
      60_000,
    );
    const [port] = await stack.server.database.db.select().from(schema.ports).where(eq(schema.ports.instanceId, instanceId));
    return { instanceId, host, netns: cloud.endpointOf(host, instanceId), ip: port!.ipAddress };
  }

  /** Whether one ping from `from` to `to` gets its answer within a second. */
  function pings(from: Endpoint, to: Endpoint | string): boolean {
    try {
      cloud.inEndpoint(from.netns, "ping", "-c", "1", "-W", "1", typeof to === "string" ? to : to.ip);
      return true;
    } catch {
      return false;
    }
  }

  /** The network's VLAN device on `host` as the kernel shows it; null when there is none. */
  function vlanDevice(host: NamespaceHost, networkId: string): { id: number; link: string; master: string | null } | null {
    try {
      const [link] = JSON.parse(host.exec("ip", "-j", "-d", "link", "show", "dev", `nvl${hex8(networkId)}`)) as {
        link?: string;
        master?: string;
        linkinfo?: { info_data?: { id?: number } };
      }[];
      return link ? { id: link.linkinfo?.info_data?.id ?? -1, link: link.link ?? "", master: link.master ?? null } : null;
    } catch {
      return null;
    }
  }

  function hasDevice(host: NamespaceHost, name: string): boolean {
    try {
      host.exec("ip", "link", "show", "dev", name);
      return true;
    } catch {
      return false;
    }
  }

  beforeAll(async () => {
    cloud = namespaceCloud(["vlan-host-a", "vlan-host-b", "vlan-host-c", "vlan-host-d"], { trunk: { hosts: [0, 1, 2, 3] } });
    [a, b, c, d] = cloud.hosts;
    stack = await startStack("postgres", {
      HOST: cloud.serverAddress,
      NIMBUS_AGENT_ACK_TIMEOUT_MS: "2000",
      // Neutron's network_vlan_ranges: a vlan network on physnet2 that names no id gets 102 or 103.
      NIMBUS_NETWORK_VLAN_RANGES: "physnet2:102:103",
    });
    await cloud.start(stack.server.url);
    admin = (await signedInClient(stack.server.url)).client;
    await waitFor(
      "four hosts registered with physnet2",
      async () =>
        (await stack.server.database.db.select().from(schema.computeHosts)).filter((h) => h.physicalNetworks.includes("physnet2")).length === 4,
      60_000,
    );
    const network = await admin.networks.create.mutate({
      name: "vlan-101",
      provider: { networkType: "vlan", physicalNetwork: "physnet2", segmentationId: 101 },
      subnet: { name: "vlan-101-v4", cidr: "10.101.0.0/24", allocationPools: [{ start: "10.101.0.10", end: "10.101.0.100" }] },
    });
    expect(network).toMatchObject({ networkType: "vlan", physicalNetwork: "physnet2", vlanId: 101, segmentationId: null, mtu: 1500 });
    vlan101 = network.id;
    const group = await admin.securityGroups.create.mutate({ name: "pingable" });
    await admin.securityGroups.addRule.mutate({ groupId: group.id, direction: "egress" });
    const icmp = await admin.securityGroups.addRule.mutate({
      groupId: group.id,
      direction: "ingress",
      protocol: "icmp",
      remoteIpPrefix: "0.0.0.0/0",
    });
    pingable = { id: group.id, icmpRuleId: icmp.id };
  }, 180_000);

  afterAll(async () => {
    await cloud?.close();
    await stack?.stop();
  });

  let onA: Endpoint;
  let onB: Endpoint;

  it("refuses a taken VLAN id and an unknown physical network in plain words", async () => {
    await expect(
      admin.networks.create.mutate({ name: "again", provider: { networkType: "vlan", physicalNetwork: "physnet2", segmentationId: 101 } }),
    ).rejects.toThrow(/VLAN 101 on physnet2 is taken by network vlan-101/);
    await expect(
      admin.networks.create.mutate({ name: "nowhere", provider: { networkType: "vlan", physicalNetwork: "physnet9", segmentationId: 101 } }),
    ).rejects.toThrow(/No host maps physical network physnet9/);
  });

  if (!HAS_8021Q)
    it("on a kernel without 802.1Q, a vlan network's port fails in plain words and leaves nothing of the network on the host", async () => {
      const [flavors, images] = await Promise.all([admin.catalog.flavors.query(), admin.catalog.images.query()]);
      const { instanceIds } = await admin.instances.launch.mutate({
        count: 1,
        name: "no-8021q",
        imageId: images[0]!.id,
        flavorId: flavors[0]!.id,
        networkId: vlan101,
        availabilityZone: `:${a!.hostname}`,
        securityGroupIds: [pingable.id],
      });
      await waitFor(
        "the launch in ERROR",
        async () => (await admin.instances.list.query()).find((i) => i.id === instanceIds[0])?.status === "ERROR",
        60_000,
      );
      expect(a!.agentOutput()).toContain("this host's kernel cannot make VLAN devices (802.1Q: CONFIG_VLAN_8021Q, module 8021q)");
      await waitFor("the network's bridge gone from A", () => !hasDevice(a!, `nbr${hex8(vlan101)}`), 30_000);
      expect(vlanDevice(a!, vlan101)).toBeNull();
    }, 90_000);

  if (HAS_8021Q)
    describe("traffic over the trunk", () => {
      it("endpoints on two hosts of VLAN 101 ping each other over the trunk, through a VLAN device on trunk0 and no VXLAN device", async () => {
        onA = await launch("vlan-a", a!, vlan101);
        onB = await launch("vlan-b", b!, vlan101);
        await waitFor("A and B ping each other", () => pings(onA, onB) && pings(onB, onA), 20_000);
        for (const host of [a!, b!]) {
          expect(vlanDevice(host, vlan101)).toEqual({ id: 101, link: "trunk0", master: `nbr${hex8(vlan101)}` });
          expect(hasDevice(host, `nvx${hex8(vlan101)}`)).toBe(false);
        }
        // Hosts without a port on the network have none of it.
        expect(vlanDevice(c!, vlan101)).toBeNull();
      }, 120_000);

      it("a second vlan network with the same CIDR, its id given from the range, stays apart from VLAN 101", async () => {
        const network = await admin.networks.create.mutate({
          name: "vlan-auto",
          provider: { networkType: "vlan", physicalNetwork: "physnet2" },
          subnet: { name: "vlan-auto-v4", cidr: "10.101.0.0/24", allocationPools: [{ start: "10.101.0.150", end: "10.101.0.250" }] },
        });
        expect(network.vlanId).toBe(102);
        // Two libvirt networks with one CIDR cannot share a host (each one's gateway address is on its bridge): C and D.
        const onC = await launch("auto-c", c!, network.id);
        const onD = await launch("auto-d", d!, network.id);
        await waitFor("C and D ping each other", () => pings(onC, onD), 20_000);
        expect(vlanDevice(c!, network.id)).toMatchObject({ id: 102, link: "trunk0" });
        // The pools do not overlap, so an answer could only come across the VLANs: none does.
        expect(pings(onA, onD)).toBe(false);
        expect(pings(onC, onB)).toBe(false);
        expect(pings(onA, onB)).toBe(true);
        await admin.instances.delete.mutate({ id: onC.instanceId });
        await admin.instances.delete.mutate({ id: onD.instanceId });
        await waitFor("C's VLAN device gone with its last port", () => vlanDevice(c!, network.id) === null, 30_000);
      }, 120_000);

      it("an agent restart puts back a VLAN device lost meanwhile", async () => {
        await a!.stopAgent();
        a!.exec("ip", "link", "del", "dev", `nvl${hex8(vlan101)}`);
        expect(pings(onA, onB)).toBe(false);
        a!.startAgent();
        await waitFor("A's VLAN device back", () => vlanDevice(a!, vlan101)?.master === `nbr${hex8(vlan101)}`, 30_000);
        await waitFor("A and B ping each other again", () => pings(onA, onB), 10_000);
      }, 60_000);

      it("security groups hold on a vlan network: the ICMP rule removed stops the ping", async () => {
        await admin.securityGroups.removeRule.mutate({ id: pingable.icmpRuleId });
        await waitFor("the ping refused", () => !pings(onA, onB), 20_000);
        await admin.securityGroups.addRule.mutate({ groupId: pingable.id, direction: "ingress", protocol: "icmp", remoteIpPrefix: "0.0.0.0/0" });
        await waitFor("the ping admitted again", () => pings(onA, onB), 20_000);
      }, 60_000);

      it("the VLAN device leaves a host with the network's last port there, and the network can then be deleted", async () => {
        await admin.instances.delete.mutate({ id: onA.instanceId });
        await waitFor("A's VLAN device and bridge gone", () => vlanDevice(a!, vlan101) === null && !hasDevice(a!, `nbr${hex8(vlan101)}`), 30_000);
        expect(vlanDevice(b!, vlan101)).toMatchObject({ id: 101 });
        await admin.instances.delete.mutate({ id: onB.instanceId });
        await waitFor("B's VLAN device gone", () => vlanDevice(b!, vlan101) === null, 30_000);
        await waitFor(
          "the network deleted",
          async () => {
            try {
              await admin.networks.delete.mutate({ id: vlan101 });
              return true;
            } catch {
              return false;
            }
          },
          30_000,
        );
      }, 90_000);
    });
});
