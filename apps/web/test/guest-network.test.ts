/**
 * Real guests on a network that spans hosts (root only; see namespace-hosts.ts): two compute
 * hosts that are network namespaces, each with its own libvirtd booting the TCG test guest, and
 * host A on the flat external network (physnet1) that an "outside" namespace (203.0.113.1) is on.
 * One tenant network with a router (its gateway on the external network) joins a guest on A and
 * a guest on B over VXLAN. The guest on A, from its own user data script, pings the guest on B
 * and the outside (through the router's SNAT) and says so on its serial console; the outside
 * reaches the guest on B only through its floating IP. Run under
 * `flock /tmp/nimbus-real-guest.lock`. A host where this cannot be made fails; it does not skip.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { signedInClient, startStack, waitFor, type Stack } from "./harness";
import { assertInvariants } from "./invariants";
import { namespaceCloud, type NamespaceCloud, type NamespaceHost } from "./namespace-hosts";
import { prepareRealHypervisor, uploadTestGuest } from "./test-guest";

interface Guest {
  id: string;
  portId: string;
  ip: string;
}

const OUTSIDE = "203.0.113.1";

/** A user data script: pings each address until it answers (a minute at most), and says so. */
function pingScript(addresses: string[]): string {
  return [
    "#!/bin/sh",
    "reach() {",
    "  i=0",
    "  while [ $i -lt 60 ]; do",
    '    if ping -c 1 -W 1 "$1" >/dev/null 2>&1; then echo "NIMBUS-GUEST reached $1"; return 0; fi',
    "    i=$((i + 1)); sleep 1",
    "  done",
    '  echo "NIMBUS-GUEST unreachable $1"',
    "}",
    ...addresses.map((address) => `reach ${address}`),
    "",
  ].join("\n");
}

describe("real guests on a network across two hosts, behind a router (qemu, TCG)", () => {
  let cloud: NamespaceCloud;
  let stack: Stack;
  let api: Awaited<ReturnType<typeof signedInClient>>;
  let [a, b]: NamespaceHost[] = [];
  const imageStore = mkdtempSync(path.join(tmpdir(), "nimbus-guest-network-images-"));
  const ids = { image: "", flavor: "", network: "", public: "", router: "", group: "" };

  async function launch(name: string, host: NamespaceHost, userData: string | null): Promise<Guest> {
    const { instanceIds } = await api.client.instances.launch.mutate({
      name,
      count: 1,
      imageId: ids.image,
      flavorId: ids.flavor,
      networkId: ids.network,
      availabilityZone: `:${host.hostname}`,
      securityGroupIds: [ids.group],
      userData,
    });
    const id = instanceIds[0]!;
    await waitFor(
      `${name} ACTIVE on ${host.hostname}`,
      async () => {
        const { instance } = await api.client.instances.get.query({ id });
        if (instance.status === "ERROR") throw new Error(`${name} failed: ${JSON.stringify(instance.fault)}\n${host.agentOutput().slice(-3000)}`);
        return instance.status === "ACTIVE";
      },
      180_000,
    );
    const [port] = await stack.server.database.db.select().from(schema.ports).where(eq(schema.ports.instanceId, id));
    return { id, portId: port!.id, ip: port!.ipAddress };
  }

  const consoleOf = async (id: string) => (await api.client.instances.console.query({ id })).text;

  function outsidePings(address: string): boolean {
    try {
      cloud.outside!.exec("ping", "-c", "1", "-W", "1", address);
      return true;
    } catch {
      return false;
    }
  }

  beforeAll(async () => {
    prepareRealHypervisor();
    cloud = namespaceCloud(["guest-host-a", "guest-host-b"], {
      guests: "qemu",
      external: { hosts: [0], outside: `${OUTSIDE}/24` },
    });
    [a, b] = cloud.hosts;
    stack = await startStack("postgres", { HOST: cloud.serverAddress, NIMBUS_IMAGE_STORE: imageStore, NIMBUS_AGENT_ACK_TIMEOUT_MS: "5000" });
    await cloud.start(stack.server.url);
    api = await signedInClient(stack.server.url);
    await waitFor(
      "both hosts registered with their tunnel addresses",
      async () => (await stack.server.database.db.select().from(schema.computeHosts)).filter((h) => h.tunnelAddress).length === 2,
      90_000,
    );
    const demo = (await stack.server.database.db.query.projects.findFirst({ where: eq(schema.projects.name, "demo") }))!;
    await api.client.auth.switchProject.mutate({ projectId: demo.id });
    ids.image = (await uploadTestGuest(stack.server.url, api, "net-guest")).imageId;
    ids.flavor = (await api.client.catalog.flavors.query()).find((f) => f.name === "m1.tiny")!.id;

    const external = await api.client.networks.create.mutate({
      name: "public",
      routerExternal: true,
      provider: { networkType: "flat", physicalNetwork: "physnet1" },
      subnet: {
        name: "public-v4",
        cidr: "203.0.113.0/24",
        gatewayIp: OUTSIDE,
        allocationPools: [{ start: "203.0.113.10", end: "203.0.113.99" }],
        enableDhcp: false,
      },
    });
    ids.public = external.id;
    const network = await api.client.networks.create.mutate({ name: "spanning", subnet: { name: "spanning-v4", cidr: "10.93.1.0/24" } });
    ids.network = network.id;
    const router = await api.client.routers.create.mutate({ name: "edge" });
    ids.router = router.id;
    await api.client.routers.addInterface.mutate({ id: router.id, subnetId: network.subnets[0]!.id });
    await api.client.routers.update.mutate({ id: router.id, externalGateway: { networkId: ids.public } });
    const group = await api.client.securityGroups.create.mutate({ name: "pingable" });
    await api.client.securityGroups.addRule.mutate({ groupId: group.id, direction: "egress" });
    await api.client.securityGroups.addRule.mutate({ groupId: group.id, direction: "ingress", protocol: "icmp", remoteIpPrefix: "0.0.0.0/0" });
    ids.group = group.id;
  }, 400_000);

  afterAll(async () => {
    await cloud?.close();
    await stack?.stop();
    rmSync(imageStore, { recursive: true, force: true });
  });

  let onB: Guest;

  it("a guest on A pings a guest on B over the overlay, and the outside through the router, from its own console", async () => {
    onB = await launch("guest-b", b!, null);
    await waitFor("guest-b's guest to boot", async () => (await consoleOf(onB.id)).includes("NIMBUS-GUEST booted"), 240_000);
    // Its address came from DHCP on its own host, and is the port's.
    expect(await consoleOf(onB.id)).toContain(`NIMBUS-GUEST address=${onB.ip}`);

    const onA = await launch("guest-a", a!, pingScript([onB.ip, OUTSIDE]));
    const lines = await waitFor(
      "guest-a's pings to end",
      async () => {
        const text = await consoleOf(onA.id);
        const done = [onB.ip, OUTSIDE].every((address) => text.includes(`reached ${address}`) || text.includes(`unreachable ${address}`));
        return done ? text : null;
      },
      360_000,
    );
    expect(lines).toContain(`NIMBUS-GUEST address=${onA.ip}`);
    expect(lines).toContain(`NIMBUS-GUEST reached ${onB.ip}`);
    expect(lines).toContain(`NIMBUS-GUEST reached ${OUTSIDE}`);
    // The outside has no route to the tenant network: it answered the router's SNAT address.
    expect(cloud.outside!.exec("ip", "route", "show")).not.toContain("10.93.");
  }, 700_000);

  it("the outside reaches the guest on B only through its floating IP, and not once it is released", async () => {
    expect(outsidePings(onB.ip)).toBe(false);
    const fip = await api.client.floatingIps.create.mutate({ networkId: ids.public });
    await api.client.floatingIps.update.mutate({ id: fip.id, portId: onB.portId });
    await waitFor("the outside pings guest-b's floating IP", () => outsidePings(fip.floatingIpAddress), 30_000);
    await api.client.floatingIps.delete.mutate({ id: fip.id });
    await waitFor("the released address answers no more", () => !outsidePings(fip.floatingIpAddress), 30_000);
  }, 120_000);

  it("deleting both guests leaves nothing behind", async () => {
    const db = stack.server.database.db;
    for (const instance of await db.select().from(schema.instances)) {
      if (instance.vmState !== "deleted") await api.client.instances.delete.mutate({ id: instance.id });
    }
    await waitFor("both instances deleted", async () => (await db.select().from(schema.instances)).every((i) => i.vmState === "deleted"), 120_000);
    for (const host of [a!, b!]) expect(host.exec("virsh", "-c", host.libvirtUri, "list", "--all", "--name").trim()).toBe("");
    await assertInvariants(db);
  }, 180_000);
});
