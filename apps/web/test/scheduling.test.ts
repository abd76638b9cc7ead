import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, PERSONA_PASSWORD, signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "./harness";

type Api = Awaited<ReturnType<typeof signedInClient>>["client"];

/**
 * The scheduler end to end on real PostgreSQL with two real agents: zones, tenancy, disabled
 * hosts, server-group policies, forced hosts and the admin placement preview.
 */
describe("scheduling across hosts", () => {
  let stack: Stack;
  let agents: AgentProcess[];
  let admin: Api;
  let hostId: Record<string, string>;

  beforeAll(async () => {
    stack = await startStack("postgres");
    agents = [startAgent(stack.server.url, { hostname: "node-a" }), startAgent(stack.server.url, { hostname: "node-b" })];
    admin = (await signedInClient(stack.server.url)).client;
    const hosts = await waitFor("both hosts up", async () => {
      const list = await admin.hosts.list.query();
      return list.filter((h) => h.state === "up").length === 2 ? list : null;
    });
    hostId = Object.fromEntries(hosts.map((h) => [h.hostname, h.id]));
  });
  afterAll(async () => {
    await Promise.all((agents ?? []).map((a) => a.stop()));
    await stack?.stop();
  });

  async function launch(client: Api, extra: Record<string, unknown> = {}, flavorName = "m1.tiny") {
    const [flavors, images, networks] = await Promise.all([
      client.catalog.flavors.query(),
      client.catalog.images.query(),
      client.catalog.networks.query(),
    ]);
    const flavor = flavors.find((f) => f.name === flavorName)!;
    return client.instances.launch.mutate({ name: "s", count: 1, imageId: images[0]!.id, flavorId: flavor.id, networkId: networks[0]!.id, ...extra });
  }

  async function settled(client: Api, ids: string[]) {
    return Promise.all(
      ids.map((id) =>
        waitFor(`instance ${id} to settle`, async () => {
          const { instance } = await client.instances.get.query({ id });
          return instance.status === "ACTIVE" || instance.status === "ERROR" ? instance : null;
        }),
      ),
    );
  }

  async function cleanup(client: Api) {
    for (const i of await client.instances.list.query()) await client.instances.delete.mutate({ id: i.id });
    await waitFor("instances gone", async () => (await client.instances.list.query()).length === 0);
  }

  it("places into the requested availability zone, and refuses unknown zones", async () => {
    const aggregate = await admin.aggregates.create.mutate({ name: "rack-1", availabilityZone: "az1" });
    await admin.aggregates.addHost.mutate({ aggregateId: aggregate.id, hostId: hostId["node-b"]! });
    expect(await admin.catalog.availabilityZones.query()).toEqual(["nova", "az1"]);

    const [placed] = await settled(admin, (await launch(admin, { availabilityZone: "az1" })).instanceIds);
    expect(placed!.hostname).toBe("node-b");
    const [elsewhere] = await settled(admin, (await launch(admin, { availabilityZone: "nova" })).instanceIds);
    expect(elsewhere!.hostname).toBe("node-a");
    await expect(launch(admin, { availabilityZone: "az9" })).rejects.toThrow("There is no availability zone named az9.");
    await admin.aggregates.delete.mutate({ id: aggregate.id });
    await cleanup(admin);
  });

  it("keeps hard anti-affinity members apart and explains the member that cannot fit", async () => {
    const group = await admin.serverGroups.create.mutate({ name: "web", policy: "anti-affinity" });
    const first = await settled(admin, (await launch(admin, { serverGroupId: group.id, count: 2 })).instanceIds);
    expect(new Set(first.map((i) => i.hostname)).size).toBe(2);
    const [third] = await settled(admin, (await launch(admin, { serverGroupId: group.id })).instanceIds);
    expect(third!.status).toBe("ERROR");
    expect(third!.fault?.message).toBe("No valid host was found. 2 hosts considered: 2 already had 1 member of group web.");
    await cleanup(admin);
    await admin.serverGroups.delete.mutate({ id: group.id });
  });

  it("keeps hard affinity members together", async () => {
    const group = await admin.serverGroups.create.mutate({ name: "db", policy: "affinity" });
    const members = await settled(admin, (await launch(admin, { serverGroupId: group.id, count: 3 })).instanceIds);
    expect(members.every((m) => m.status === "ACTIVE")).toBe(true);
    expect(new Set(members.map((m) => m.hostname)).size).toBe(1);
    await cleanup(admin);
  });

  it("avoids a disabled host and says so when every host is disabled", async () => {
    await admin.hosts.update.mutate({ id: hostId["node-a"]!, enabled: false, disabledReason: "maintenance" });
    const [placed] = await settled(admin, (await launch(admin)).instanceIds);
    expect(placed!.hostname).toBe("node-b");
    await admin.hosts.update.mutate({ id: hostId["node-b"]!, enabled: false, disabledReason: "maintenance" });
    const [refused] = await settled(admin, (await launch(admin)).instanceIds);
    expect(refused!.fault?.message).toBe("No valid host was found. 2 hosts considered: 2 disabled.");
    const hosts = await admin.hosts.list.query();
    expect(hosts.every((h) => !h.enabled && h.disabledReason === "maintenance")).toBe(true);
    await admin.hosts.update.mutate({ id: hostId["node-a"]!, enabled: true });
    await admin.hosts.update.mutate({ id: hostId["node-b"]!, enabled: true });
    await expect(admin.hosts.update.mutate({ id: hostId["node-a"]!, enabled: false })).rejects.toMatchObject({
      data: { fieldErrors: { disabledReason: ["Say why the host is disabled."] } },
    });
    await cleanup(admin);
  });

  it("lets an admin force a host with zone:host, and refuses that to members", async () => {
    const [forced] = await settled(admin, (await launch(admin, { availabilityZone: ":node-a" })).instanceIds);
    expect(forced!.hostname).toBe("node-a");
    await addUser(stack, { name: "alice", project: "demo", role: "member" });
    const alice = (await signedInClient(stack.server.url, "alice", PERSONA_PASSWORD)).client;
    await expect(launch(alice, { availabilityZone: ":node-a" })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await cleanup(admin);
  });

  it("keeps hosts of a reserved aggregate for their projects", async () => {
    const { projectId } = await addUser(stack, { name: "bob", project: "tenant-x", role: "member" });
    const aggregate = await admin.aggregates.create.mutate({ name: "dedicated", tenantProjectIds: [projectId] });
    await admin.aggregates.addHost.mutate({ aggregateId: aggregate.id, hostId: hostId["node-a"]! });
    const placedByDemo = await settled(admin, (await launch(admin, { count: 3 })).instanceIds);
    expect(placedByDemo.every((i) => i.hostname === "node-b")).toBe(true);
    await cleanup(admin);
    await admin.aggregates.delete.mutate({ id: aggregate.id });
  });

  it("previews a placement without claiming anything, with each refused host's reason", async () => {
    const flavors = await admin.catalog.flavors.query();
    const small = await admin.hosts.previewPlacement.query({ flavorId: flavors.find((f) => f.name === "m1.tiny")!.id });
    expect(small.chosen).not.toBeNull();
    expect(small.hosts.every((h) => h.rejectedBy === null)).toBe(true);
    const huge = await admin.hosts.previewPlacement.query({ flavorId: flavors.find((f) => f.name === "m1.xlarge")!.id });
    expect(huge.chosen).toBeNull();
    expect(huge.hosts.map((h) => h.reason)).toEqual([
      expect.stringMatching(/^lacks RAM: needs 16384 MB, \d+ MB free$/),
      expect.stringMatching(/^lacks RAM/),
    ]);
    expect((await admin.hosts.list.query()).every((h) => h.vcpus.used === 0)).toBe(true);
  });
});
