import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { spawnCommandFor } from "@nimbus/core/compute";
import { allocatePort, ipToInt, parseCidr } from "@nimbus/core/network";
import type { Socket } from "socket.io-client";
import { addUser, PERSONA_PASSWORD, protocolPeer, signedInClient, startStack, TRPCClientError, type Stack } from "./harness";

type Client = Awaited<ReturnType<typeof signedInClient>>["client"];

/** The refusal a call ends with (fails the test if it succeeds). */
async function refusal(call: Promise<unknown>): Promise<TRPCClientError<never>> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(TRPCClientError);
    return error as TRPCClientError<never>;
  }
  throw new Error("the call succeeded; it should have been refused");
}

/** The fields a domain error names, as the console's forms show them. */
function fieldsOf(error: TRPCClientError<never>): Record<string, string> {
  const data = error.data as { nimbus?: { details?: { fields?: { path: string; message: string }[] } | null } | null } | undefined;
  return Object.fromEntries((data?.nimbus?.details?.fields ?? []).map((f) => [f.path, f.message]));
}
const codeOf = (error: TRPCClientError<never>) => (error.data as { code?: string } | undefined)?.code;

const MAC = /^fa:16:3e(:[0-9a-f]{2}){3}$/;

describe("networks, IPAM, ports and security groups (real PostgreSQL)", () => {
  let stack: Stack;
  let admin: Client;
  let member: Client;
  let outsider: Client;
  let launchBase: { count: number; imageId: string; flavorId: string };
  let memberProjectId: string;
  let builder: Socket;

  beforeAll(async () => {
    // A launch holds its address while it is built: a host that acknowledges every build and
    // then stays quiet keeps them building (in a cloud with no host they would end at once in
    // NoValidHost, which gives the address back). A delete it does not acknowledge is finished
    // by the server after the ack timeout.
    stack = await startStack("postgres", { NIMBUS_AGENT_ACK_TIMEOUT_MS: "500", NIMBUS_BUILD_TIMEOUT_SECONDS: "3600" });
    builder = await protocolPeer(stack.server.url, "node-builds", { heartbeat: true, vcpus: 64, memoryMb: 65_536 });
    builder.on("instance.spawn", (_command: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
    const { projectId } = await addUser(stack, { name: "neutron", project: "ipam", role: "member" });
    memberProjectId = projectId;
    await addUser(stack, { name: "stranger", project: "elsewhere", role: "member" });
    admin = (await signedInClient(stack.server.url)).client;
    member = (await signedInClient(stack.server.url, "neutron", PERSONA_PASSWORD)).client;
    outsider = (await signedInClient(stack.server.url, "stranger", PERSONA_PASSWORD)).client;
    // Enough quota that addresses, not quota, run out first.
    await admin.quotas.set.mutate({ projectId, limits: { instances: 100, cores: 100, ram: 1_000_000 } });
    const [flavors, images] = await Promise.all([member.catalog.flavors.query(), member.catalog.images.query()]);
    launchBase = { count: 1, imageId: images[0]!.id, flavorId: flavors.find((f) => f.name === "m1.tiny")!.id };
  }, 60_000);
  afterAll(async () => {
    builder?.close();
    await stack?.stop();
  });

  it("says which networks the caller may change: the project's own, and for a cloud admin the shared ones too", async () => {
    const own = await member.networks.create.mutate({ name: "mine" });
    const seen = await member.networks.list.query();
    expect(seen.find((n) => n.id === own.id)?.canManage).toBe(true);
    expect(seen.find((n) => n.name === "shared-net")?.canManage).toBe(false);
    expect((await admin.networks.list.query()).find((n) => n.name === "shared-net")?.canManage).toBe(true);
    await member.networks.delete.mutate({ id: own.id });
  });

  it("never hands the same address twice: 20 parallel launches on a /28 get its 13 addresses, the rest are refused and leave nothing behind", async () => {
    const network = await member.networks.create.mutate({ name: "tight", subnet: { name: "tight-v4", cidr: "10.9.0.0/28" } });
    const subnet = network.subnets[0]!;
    expect(subnet).toMatchObject({
      gatewayIp: "10.9.0.1",
      allocationPools: [{ start: "10.9.0.2", end: "10.9.0.14" }],
      poolSize: 13,
      usedAddresses: 0,
    });

    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => member.instances.launch.mutate({ ...launchBase, name: `race-${i}`, networkId: network.id })),
    );
    const launched = results.flatMap((r) => (r.status === "fulfilled" ? r.value.instanceIds : []));
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as TRPCClientError<never>] : []));
    expect(launched).toHaveLength(13);
    expect(refused).toHaveLength(7);
    for (const error of refused) {
      expect(codeOf(error)).toBe("CONFLICT");
      expect(error.message).toMatch(/no free addresses/);
      expect(fieldsOf(error)).toEqual({ networkId: "No free addresses on this network." });
    }

    const ports = await member.ports.list.query({ networkId: network.id });
    expect(ports).toHaveLength(13);
    expect(new Set(ports.map((p) => p.instanceId))).toEqual(new Set(launched));
    const addresses = ports.map((p) => ipToInt(p.ipAddress));
    expect(new Set(addresses).size).toBe(13);
    for (const n of addresses) expect(n >= ipToInt("10.9.0.2") && n <= ipToInt("10.9.0.14")).toBe(true);
    for (const port of ports) expect(port.macAddress).toMatch(MAC);
    expect(new Set(ports.map((p) => p.macAddress)).size).toBe(13);
    for (const port of ports) expect(port.securityGroups.map((g) => g.name)).toEqual(["default"]);

    // The refused launches left no instance behind, and the instances carry their port's address.
    const instances = (await member.instances.list.query()).filter((i) => i.name.startsWith("race-"));
    expect(instances.map((i) => i.id).sort()).toEqual([...launched].sort());
    const [listed] = (await member.networks.list.query()).filter((n) => n.id === network.id);
    expect(listed).toMatchObject({ portCount: 13, instanceCount: 13, ownedByProject: true, subnets: [{ usedAddresses: 13, poolSize: 13 }] });

    // A full network refuses the next launch at once.
    const full = await refusal(member.instances.launch.mutate({ ...launchBase, name: "one-more", networkId: network.id }));
    expect(full.message).toBe("The network has no free addresses left: all 13 addresses of 10.9.0.0/28 are in use.");

    // In use: neither the network nor its subnet can go.
    const inUse = await refusal(member.networks.delete.mutate({ id: network.id }));
    expect(codeOf(inUse)).toBe("CONFLICT");
    expect(inUse.message).toBe("Network tight is in use by 13 instances (13 ports): delete those instances first.");
    const subnetInUse = await refusal(member.subnets.delete.mutate({ id: subnet.id }));
    expect(subnetInUse.message).toBe("Subnet tight-v4 still gives addresses to 13 ports of 13 instances: delete those instances first.");

    // Deleting an instance (no host: deleted at once) frees its address for the next launch.
    const victim = ports[4]!;
    await member.instances.delete.mutate({ id: victim.instanceId! });
    expect((await member.ports.list.query({ networkId: network.id })).map((p) => p.ipAddress)).not.toContain(victim.ipAddress);
    const { instanceIds } = await member.instances.launch.mutate({ ...launchBase, name: "reuse", networkId: network.id });
    const reused = (await member.ports.list.query({ networkId: network.id })).find((p) => p.instanceId === instanceIds[0]);
    expect(reused?.ipAddress).toBe(victim.ipAddress);
    expect(reused?.macAddress).toMatch(MAC);
    expect(reused?.macAddress).not.toBe(victim.macAddress);
  }, 120_000);

  it("a full subnet hands over to the network's next subnet", async () => {
    const network = await member.networks.create.mutate({ name: "two-subnets", subnet: { cidr: "10.10.0.0/30" } });
    await member.subnets.create.mutate({ networkId: network.id, name: "overflow", cidr: "10.10.1.0/29", dnsNameservers: ["192.0.2.53"] });
    const first = await member.instances.launch.mutate({ ...launchBase, name: "first", networkId: network.id });
    const second = await member.instances.launch.mutate({ ...launchBase, name: "second", networkId: network.id });
    const ports = await member.ports.list.query({ networkId: network.id });
    expect(ports.find((p) => p.instanceId === first.instanceIds[0])).toMatchObject({ ipAddress: "10.10.0.2", cidr: "10.10.0.0/30" });
    expect(ports.find((p) => p.instanceId === second.instanceIds[0])).toMatchObject({ subnetName: "overflow", cidr: "10.10.1.0/29" });
  });

  it("subnet errors name the field that caused them", async () => {
    const network = await member.networks.create.mutate({ name: "checked", mtu: 1450 });
    expect(network).toMatchObject({ mtu: 1450, subnets: [], shared: false });
    const create = (fields: Record<string, unknown>) =>
      refusal(member.subnets.create.mutate({ networkId: network.id, cidr: "10.20.0.0/24", ...fields }));

    expect(fieldsOf(await create({ cidr: "10.20.0.7/24" }))).toEqual({ cidr: "10.20.0.7/24 is not a network address; did you mean 10.20.0.0/24?" });
    expect(fieldsOf(await create({ cidr: "not-a-cidr" }))).toEqual({ cidr: "not-a-cidr is not an IPv4 CIDR such as 10.0.0.0/24." });
    expect(fieldsOf(await create({ gatewayIp: "10.21.0.1" }))).toEqual({ gatewayIp: "The gateway must be inside 10.20.0.0/24." });
    expect(fieldsOf(await create({ gatewayIp: "10.20.0.255" }))).toEqual({
      gatewayIp: "10.20.0.255 is the broadcast address of 10.20.0.0/24; the gateway needs a host address.",
    });
    expect(fieldsOf(await create({ allocationPools: [{ start: "10.20.0.1", end: "10.20.0.50" }] }))).toEqual({
      allocationPools: "Pool 1 (10.20.0.1–10.20.0.50) contains the gateway 10.20.0.1.",
    });
    expect(
      fieldsOf(
        await create({
          allocationPools: [
            { start: "10.20.0.10", end: "10.20.0.30" },
            { start: "10.20.0.25", end: "10.20.0.40" },
          ],
        }),
      ),
    ).toEqual({
      allocationPools: "Pool 1 (10.20.0.10–10.20.0.30) and Pool 2 (10.20.0.25–10.20.0.40) overlap.",
    });
    expect(fieldsOf(await create({ dnsNameservers: ["8.8.8.8", "resolver"] }))).toEqual({ dnsNameservers: "resolver is not an IPv4 address." });

    // A valid subnet with explicit pools and no DHCP; then an overlapping one is refused.
    const subnet = await member.subnets.create.mutate({
      networkId: network.id,
      name: "pooled",
      cidr: "10.20.0.0/24",
      gatewayIp: "10.20.0.254",
      allocationPools: [{ start: "10.20.0.100", end: "10.20.0.199" }],
      dnsNameservers: ["192.0.2.1"],
      enableDhcp: false,
    });
    expect(subnet).toMatchObject({ gatewayIp: "10.20.0.254", poolSize: 100, enableDhcp: false, dnsNameservers: ["192.0.2.1"] });
    expect(fieldsOf(await create({ cidr: "10.20.0.128/25" }))).toEqual({
      cidr: "10.20.0.128/25 overlaps 10.20.0.0/24 (subnet pooled) of this network.",
    });

    // The first subnet of a new network: its fields are named under `subnet.`.
    const nested = await refusal(member.networks.create.mutate({ name: "bad", subnet: { cidr: "10.30.0.0/24", gatewayIp: "10.30.0.0" } }));
    expect(fieldsOf(nested)).toEqual({ "subnet.gatewayIp": "10.30.0.0 is the network address of 10.30.0.0/24; the gateway needs a host address." });
    expect((await member.networks.list.query()).map((n) => n.name)).not.toContain("bad");

    // Only cloud admins share networks.
    const shared = await refusal(member.networks.create.mutate({ name: "everyone", shared: true }));
    expect(codeOf(shared)).toBe("FORBIDDEN");
    expect(fieldsOf(shared)).toEqual({ shared: "Only cloud administrators may share a network." });

    // An empty network and its unused subnet can be deleted.
    await member.subnets.delete.mutate({ id: subnet.id });
    await member.networks.delete.mutate({ id: network.id });
    await expect(member.networks.get.query({ id: network.id })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
  });

  it("the default security group has exactly Neutron's two default rules, and cannot be deleted", async () => {
    const groups = await outsider.securityGroups.list.query();
    expect(groups).toHaveLength(1);
    const [group] = groups;
    expect(group).toMatchObject({ name: "default", isDefault: true });
    const rules = group!.rules.map(({ direction, ethertype, protocol, portRangeMin, portRangeMax, remoteIpPrefix, remoteGroupId }) => ({
      direction,
      ethertype,
      protocol,
      portRangeMin,
      portRangeMax,
      remoteIpPrefix,
      remoteGroupId,
    }));
    const anything = { ethertype: "IPv4", protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null };
    expect(rules).toHaveLength(2);
    expect(rules).toEqual(
      expect.arrayContaining([
        { direction: "egress", ...anything, remoteGroupId: null },
        { direction: "ingress", ...anything, remoteGroupId: group!.id },
      ]),
    );
    const refused = await refusal(outsider.securityGroups.delete.mutate({ id: group!.id }));
    expect(refused.message).toBe("The default security group cannot be deleted.");
    expect(await outsider.securityGroups.list.query()).toHaveLength(1);
  });

  it("a rule with a remote group admits exactly the addresses of the ports in that group", async () => {
    const network = await member.networks.create.mutate({ name: "tiers", subnet: { cidr: "10.40.0.0/24" } });
    const app = await member.securityGroups.create.mutate({ name: "app", description: "application servers" });
    const db = await member.securityGroups.create.mutate({ name: "db" });
    const rule = {
      groupId: db.id,
      direction: "ingress" as const,
      protocol: "tcp" as const,
      portRangeMin: 5432,
      portRangeMax: 5432,
      remoteGroupId: app.id,
    };
    await member.securityGroups.addRule.mutate(rule);
    const duplicate = await refusal(member.securityGroups.addRule.mutate(rule));
    expect(codeOf(duplicate)).toBe("CONFLICT");
    expect(duplicate.message).toBe("Security group db already has this rule.");
    const badRange = await refusal(member.securityGroups.addRule.mutate({ ...rule, portRangeMin: 6000, portRangeMax: 5000 }));
    expect(fieldsOf(badRange)).toEqual({ portRangeMax: "The last port cannot be below the first (6000)." });
    const both = await refusal(member.securityGroups.addRule.mutate({ ...rule, remoteIpPrefix: "10.0.0.0/8" }));
    expect(fieldsOf(both)).toEqual({ remoteGroupId: "Choose a remote CIDR or a remote group, not both." });
    await member.securityGroups.addRule.mutate({ groupId: db.id, direction: "ingress", protocol: "icmp", remoteIpPrefix: "192.0.2.0/24" });

    const apps = await member.instances.launch.mutate({ ...launchBase, count: 2, name: "app", networkId: network.id, securityGroupIds: [app.id] });
    const dbs = await member.instances.launch.mutate({ ...launchBase, name: "db", networkId: network.id, securityGroupIds: [db.id] });
    const ports = await member.ports.list.query({ networkId: network.id });
    const appAddresses = ports.filter((p) => apps.instanceIds.includes(p.instanceId!)).map((p) => ipToInt(p.ipAddress));
    expect(appAddresses).toHaveLength(2);

    // The ports as the spawn command gives them to a host.
    const [spec] = (await spawnCommandFor(stack.server.database.db, dbs.instanceIds[0]!, randomUUID(), randomUUID()))!.ports;
    const postgresRule = spec!.securityGroupRules.find((r) => r.portRangeMin === 5432);
    expect(postgresRule).toMatchObject({ direction: "ingress", protocol: "tcp", portRangeMax: 5432 });
    // Consecutive addresses come as one block (10.40.0.2 and .3 as 10.40.0.2/31).
    const admitted = postgresRule!.remoteCidrs!.flatMap((cidr) => {
      const { network, broadcast } = parseCidr(cidr);
      return Array.from({ length: broadcast - network + 1 }, (_, i) => network + i);
    });
    expect(admitted.sort((a, b) => a - b)).toEqual([...appAddresses].sort((a, b) => a - b));
    expect(spec!.securityGroupRules.find((r) => r.protocol === "icmp")?.remoteCidrs).toEqual(["192.0.2.0/24"]);

    const listed = (await member.securityGroups.list.query()).find((g) => g.id === db.id);
    expect(listed?.rules.find((r) => r.portRangeMin === 5432)).toMatchObject({ remoteGroupName: "app" });
    expect(listed?.portCount).toBe(1);

    // In use: the group stays; its rules can still change.
    const inUse = await refusal(member.securityGroups.delete.mutate({ id: app.id }));
    expect(inUse.message).toBe("Security group app is used by 2 ports (2 instances: app-1, app-2): delete those instances first.");
    const icmp = listed!.rules.find((r) => r.protocol === "icmp")!;
    await member.securityGroups.removeRule.mutate({ id: icmp.id });
    expect((await member.securityGroups.list.query()).find((g) => g.id === db.id)?.rules).toHaveLength(1);
  });

  it("another project's networks, subnets, ports and security groups answer NOT_FOUND, and cannot be used at launch", async () => {
    const network = await member.networks.create.mutate({ name: "private", subnet: { cidr: "10.50.0.0/24" } });
    const group = await member.securityGroups.create.mutate({ name: "mine" });
    const rule = await member.securityGroups.addRule.mutate({ groupId: group.id, direction: "ingress", protocol: "tcp", portRangeMin: 22 });
    await member.instances.launch.mutate({ ...launchBase, name: "owned", networkId: network.id, securityGroupIds: [group.id] });
    const notFound = { data: { code: "NOT_FOUND" } };

    expect((await outsider.networks.list.query()).map((n) => n.id)).not.toContain(network.id);
    expect((await outsider.securityGroups.list.query()).map((g) => g.id)).not.toContain(group.id);
    expect(await outsider.ports.list.query()).toEqual([]);
    await expect(outsider.networks.get.query({ id: network.id })).rejects.toMatchObject(notFound);
    await expect(outsider.networks.delete.mutate({ id: network.id })).rejects.toMatchObject(notFound);
    await expect(outsider.subnets.create.mutate({ networkId: network.id, cidr: "10.51.0.0/24" })).rejects.toMatchObject(notFound);
    await expect(outsider.subnets.delete.mutate({ id: network.subnets[0]!.id })).rejects.toMatchObject(notFound);
    await expect(outsider.securityGroups.delete.mutate({ id: group.id })).rejects.toMatchObject(notFound);
    await expect(outsider.securityGroups.addRule.mutate({ groupId: group.id, direction: "egress" })).rejects.toMatchObject(notFound);
    await expect(outsider.securityGroups.removeRule.mutate({ id: rule.id })).rejects.toMatchObject(notFound);

    // A rule of the outsider's own group cannot point at the member's group.
    const own = (await outsider.securityGroups.list.query())[0]!;
    const remote = await refusal(outsider.securityGroups.addRule.mutate({ groupId: own.id, direction: "ingress", remoteGroupId: group.id }));
    expect(codeOf(remote)).toBe("NOT_FOUND");
    expect(fieldsOf(remote)).toEqual({ remoteGroupId: "No such security group in this project." });

    // Neither the network nor the group can be attached at launch.
    const shared = (await outsider.networks.list.query()).find((n) => n.shared)!;
    await expect(outsider.instances.launch.mutate({ ...launchBase, name: "x", networkId: network.id })).rejects.toMatchObject(notFound);
    const withGroup = await refusal(
      outsider.instances.launch.mutate({ ...launchBase, name: "y", networkId: shared.id, securityGroupIds: [group.id] }),
    );
    expect(codeOf(withGroup)).toBe("NOT_FOUND");
    expect(fieldsOf(withGroup)).toEqual({ securityGroupIds: "No such security group in this project." });
    expect(await outsider.instances.list.query()).toEqual([]);

    // A shared network is used, not owned: its owner (or a cloud admin) changes it.
    expect(shared.ownedByProject).toBe(false);
    await expect(outsider.networks.delete.mutate({ id: shared.id })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(outsider.subnets.create.mutate({ networkId: shared.id, cidr: "10.52.0.0/24" })).rejects.toMatchObject({
      data: { code: "FORBIDDEN" },
    });
  });

  it("a security group deleted while a port is being made: the port is refused in plain words and leaves nothing behind", async () => {
    const network = await member.networks.create.mutate({ name: "race", subnet: { name: "race-v4", cidr: "10.77.0.0/29" } });
    const { db } = stack.server.database;
    const refused = allocatePort(db, { networkId: network.id, projectId: memberProjectId, instanceId: null, securityGroupIds: [randomUUID()] });
    await expect(refused).rejects.toMatchObject({ code: "NotFound", message: "A chosen security group was deleted meanwhile." });
    expect(await member.ports.list.query({ networkId: network.id })).toEqual([]);
  });

  it("a binding written without its port's address (a process of the release before) gets it from the port", async () => {
    const network = await member.networks.create.mutate({ name: "rolling", subnet: { name: "rolling-v4", cidr: "10.78.0.0/29" } });
    const group = await member.securityGroups.create.mutate({ name: "rolling" });
    const { db } = stack.server.database;
    const port = await allocatePort(db, { networkId: network.id, projectId: memberProjectId, instanceId: null, securityGroupIds: [] });
    await db.insert(schema.portSecurityGroups).values({ portId: port.id, groupId: group.id } as typeof schema.portSecurityGroups.$inferInsert);
    const [binding] = await db.select().from(schema.portSecurityGroups).where(eq(schema.portSecurityGroups.portId, port.id));
    expect(binding?.address).toBe(ipToInt(port.ipAddress));
  });
});
