import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CoreContext } from "@nimbus/core/context";
import { getNetworkTopology } from "@nimbus/core/network";
import type { Socket } from "socket.io-client";
import {
  addUser,
  apiClient,
  browserSocket,
  PERSONA_PASSWORD,
  protocolPeer,
  signedInClient,
  startStack,
  TRPCClientError,
  waitFor,
  type Stack,
} from "./harness";

type Client = Awaited<ReturnType<typeof signedInClient>>["client"];

/**
 * The console's Network Topology procedure: one project's networks (with the external network
 * its router uses and the shared one its instances are on), routers with interfaces and
 * gateway, instances with ports and floating IPs; never another project's, though both
 * projects share a network and an external network. Readers may see it; changes of routers and
 * floating IPs are pushed to the project's viewers only.
 */
describe("network topology (real PostgreSQL)", () => {
  let stack: Stack;
  let admin: Client;
  let member: Client;
  let reader: Client;
  let stranger: Client;
  let memberCookie: string;
  let strangerCookie: string;
  let builder: Socket;
  let launchBase: { count: number; imageId: string; flavorId: string };
  let publicId: string;
  let sharedId: string;

  beforeAll(async () => {
    // A host that takes every build and stays quiet: the instances keep their ports while building.
    stack = await startStack("postgres", { NIMBUS_BUILD_TIMEOUT_SECONDS: "3600" });
    builder = await protocolPeer(stack.server.url, "node-topology", { heartbeat: true, vcpus: 64, memoryMb: 65_536 });
    builder.on("instance.spawn", (_command: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
    await addUser(stack, { name: "topo-member", project: "topo", role: "member" });
    await addUser(stack, { name: "topo-reader", project: "topo", role: "reader" });
    await addUser(stack, { name: "topo-stranger", project: "topo-elsewhere", role: "member" });
    admin = (await signedInClient(stack.server.url)).client;
    const signedMember = await signedInClient(stack.server.url, "topo-member", PERSONA_PASSWORD);
    member = signedMember.client;
    memberCookie = signedMember.cookie()!;
    reader = (await signedInClient(stack.server.url, "topo-reader", PERSONA_PASSWORD)).client;
    const signedStranger = await signedInClient(stack.server.url, "topo-stranger", PERSONA_PASSWORD);
    stranger = signedStranger.client;
    strangerCookie = signedStranger.cookie()!;
    const external = await admin.networks.create.mutate({
      name: "public",
      routerExternal: true,
      provider: { networkType: "flat", physicalNetwork: "physnet1" },
      subnet: { name: "public-v4", cidr: "203.0.113.0/24", enableDhcp: false },
    });
    publicId = external.id;
    sharedId = (await admin.networks.list.query()).find((n) => n.name === "shared-net")!.id;
    const [flavors, images] = await Promise.all([member.catalog.flavors.query(), member.catalog.images.query()]);
    launchBase = { count: 1, imageId: images[0]!.id, flavorId: flavors.find((f) => f.name === "m1.tiny")!.id };
  }, 60_000);

  afterAll(async () => {
    builder?.close();
    await stack?.stop();
  });

  it("draws the project's networks, routers and instances with their ports and floating IPs, and nothing of another project's", async () => {
    // Project topo: a network behind r1 (gateway on public), an instance there with a floating IP, one on the shared network.
    const inside = await member.networks.create.mutate({ name: "inside", subnet: { name: "inside-v4", cidr: "10.40.0.0/24" } });
    await member.networks.create.mutate({ name: "empty" });
    const r1 = await member.routers.create.mutate({ name: "r1", externalGateway: { networkId: publicId } });
    await member.routers.addInterface.mutate({ id: r1.id, subnetId: inside.subnets[0]!.id });
    const [web] = (await member.instances.launch.mutate({ ...launchBase, name: "web", networkId: inside.id })).instanceIds;
    const [db] = (await member.instances.launch.mutate({ ...launchBase, name: "db", networkId: sharedId })).instanceIds;
    const [webPort] = await member.ports.list.query({ instanceId: web! });
    const fip = await member.floatingIps.create.mutate({ networkId: publicId, portId: webPort!.id });
    // Project topo-elsewhere: its own network and router on the same external network, an instance on the shared network.
    const theirs = await stranger.networks.create.mutate({ name: "theirs", subnet: { name: "theirs-v4", cidr: "10.40.0.0/24" } });
    const r9 = await stranger.routers.create.mutate({ name: "r9", externalGateway: { networkId: publicId } });
    await stranger.routers.addInterface.mutate({ id: r9.id, subnetId: theirs.subnets[0]!.id });
    const [foreign] = (await stranger.instances.launch.mutate({ ...launchBase, name: "foreign", networkId: sharedId })).instanceIds;

    const topology = await member.networks.topology.query();
    expect(topology.networks.map((n) => [n.name, n.external, n.own]).sort()).toEqual([
      ["empty", false, true],
      ["inside", false, true],
      ["public", true, false],
      ["shared-net", false, false],
    ]);
    expect(topology.networks.find((n) => n.name === "inside")!.subnets).toEqual([
      expect.objectContaining({ name: "inside-v4", cidr: "10.40.0.0/24" }),
    ]);
    expect(topology.routers).toEqual([
      {
        id: r1.id,
        name: "r1",
        gateway: { networkId: publicId, ipAddresses: [r1.externalGateway!.fixedIps[0]!.ipAddress] },
        interfaces: [expect.objectContaining({ networkId: inside.id, ipAddress: "10.40.0.1" })],
      },
    ]);
    expect(topology.instances.map((i) => i.name)).toEqual(["db", "web"]);
    const drawnWeb = topology.instances.find((i) => i.id === web)!;
    expect(drawnWeb.ports).toEqual([
      expect.objectContaining({ id: webPort!.id, networkId: inside.id, ipAddress: webPort!.ipAddress, floatingIps: [fip.floatingIpAddress] }),
    ]);
    expect(topology.instances.find((i) => i.id === db)!.ports).toEqual([expect.objectContaining({ networkId: sharedId, floatingIps: [] })]);
    // Nothing of the other project: not its network, router, instance (on the shared network) or ports.
    const text = JSON.stringify(topology);
    for (const id of [theirs.id, r9.id, foreign!]) expect(text).not.toContain(id);

    // A reader of the project sees the same graph; the other project sees only its own.
    expect(await reader.networks.topology.query()).toEqual(topology);
    const theirView = await stranger.networks.topology.query();
    expect(theirView.routers.map((r) => r.name)).toEqual(["r9"]);
    expect(theirView.instances.map((i) => i.name)).toEqual(["foreign"]);
    expect(theirView.networks.map((n) => n.name).sort()).toEqual(["public", "shared-net", "theirs"]);
    expect(JSON.stringify(theirView)).not.toContain(inside.id);
    expect(JSON.stringify(theirView)).not.toContain(fip.floatingIpAddress);
  });

  it("reads the graph in as many statements with 20 more instances as before (no query per row)", async () => {
    const { db } = stack.server.database;
    const [project] = await db.query.projects.findMany({ where: (p, { eq }) => eq(p.name, "topo") });
    /** The statements one topology read starts (each select is one). */
    async function statements(): Promise<{ count: number; instances: number }> {
      let count = 0;
      const counting = new Proxy(db, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver);
          if (key !== "select" || typeof value !== "function") return value;
          return (...args: unknown[]) => {
            count += 1;
            return value.apply(target, args);
          };
        },
      });
      const ctx = {
        db: counting,
        principal: {
          userId: project!.id,
          userName: "counter",
          projectId: project!.id,
          projectName: "topo",
          role: "reader",
          isAdmin: false,
          via: "session",
        },
      } as unknown as CoreContext;
      const graph = await getNetworkTopology({ ctx });
      return { count, instances: graph.instances.length };
    }
    const wide = await member.networks.create.mutate({ name: "wide", subnet: { name: "wide-v4", cidr: "10.41.0.0/24" } });
    await member.instances.launch.mutate({ ...launchBase, name: "few", networkId: wide.id });
    const before = await statements();
    await admin.quotas.set.mutate({ projectId: project!.id, limits: { instances: 100, cores: 100, ram: 1_000_000 } });
    for (let i = 0; i < 2; i++) await member.instances.launch.mutate({ ...launchBase, count: 10, name: `many-${i}`, networkId: wide.id });
    const after = await statements();
    expect(after.instances).toBe(before.instances + 20);
    expect(after.count).toBe(before.count);
    expect(after.count).toBeLessThanOrEqual(6);
  });

  it("needs a signed-in caller", async () => {
    const anonymous = apiClient(stack.server.url).client;
    const error = await anonymous.networks.topology.query().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(((error as TRPCClientError<never>).data as { code?: string } | undefined)?.code).toBe("UNAUTHORIZED");
  });

  it("pushes a router or floating IP change to the project's viewers only", async () => {
    const mine = browserSocket(stack.server.url, memberCookie);
    const theirs = browserSocket(stack.server.url, strangerCookie);
    try {
      await waitFor("both sockets connected", () => mine.socket.connected && theirs.socket.connected, 10_000);
      const router = await member.routers.create.mutate({ name: "r-live" });
      await waitFor(
        "the member's socket told of the router",
        () => mine.received.some((m) => m.event === "network.changed" && (m.payload as { resource: string }).resource === "router"),
        10_000,
      );
      const fip = await member.floatingIps.create.mutate({ networkId: publicId });
      await waitFor(
        "the member's socket told of the floating IP",
        () => mine.received.some((m) => m.event === "network.changed" && (m.payload as { resource: string }).resource === "floatingip"),
        10_000,
      );
      // The stranger's socket heard nothing of it: its own change arrives, and is the only one.
      await stranger.routers.create.mutate({ name: "r-theirs" });
      await waitFor("the stranger's socket told of its own router", () => theirs.received.some((m) => m.event === "network.changed"), 10_000);
      expect(theirs.received.filter((m) => m.event === "network.changed")).toHaveLength(1);
      await member.floatingIps.delete.mutate({ id: fip.id });
      await member.routers.delete.mutate({ id: router.id });
    } finally {
      mine.socket.close();
      theirs.socket.close();
    }
  });
});
