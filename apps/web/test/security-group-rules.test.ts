import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { inArray } from "@nimbus/db/orm";
import type { GroupMembersCommand, PortsRefreshCommand } from "@nimbus/core/protocol/agent";
import { protocolPeer, reportSender, signedInClient, startStack, waitFor, type Stack } from "./harness";

type Client = Awaited<ReturnType<typeof signedInClient>>["client"];

/**
 * A rule added to or removed from a security group reaches the running instances of that group
 * (Neutron's security group RPC): their hosts are sent the ports' filters again, until each
 * host acknowledges them.
 */
describe("security group rule changes reach running instances (real PostgreSQL)", () => {
  let stack: Stack;
  let admin: Client;
  let peer: Socket;
  let setsPeer: Socket | undefined;
  const refreshes: PortsRefreshCommand[] = [];
  /** Member sets sent to the test-driver host, which keeps none: there should be none. */
  const membersAtTestHost: GroupMembersCommand[] = [];
  let refusing = false;

  /**
   * A peer that heartbeats as an agent does (the host would otherwise go down after 6 s), builds
   * what it is sent at once and deletes what it is told to, as a host would report it.
   */
  async function buildingPeer(hostname: string, options: { hypervisorType?: "test" | "qemu"; domains?: string[] } = {}): Promise<Socket> {
    const socket = await protocolPeer(stack.server.url, hostname, { ...options, heartbeat: true });
    const reports = reportSender(socket);
    const report = (instanceId: string, commandId: string, seq: number, phase: string) =>
      reports.report({ instanceId, commandId, seq, phase, powerState: phase === "active" ? "running" : "nostate", at: new Date().toISOString() });
    socket.on("instance.spawn", (command: { commandId: string; instance: { id: string } }, ack: (r: unknown) => void) => {
      ack({ ok: true });
      void (async () => {
        for (const [seq, phase] of ["networking", "block_device_mapping", "spawning", "active"].entries())
          await report(command.instance.id, command.commandId, seq, phase);
      })();
    });
    socket.on("instance.destroy", (command: { commandId: string; instanceId: string }, ack: (r: unknown) => void) => {
      ack({ ok: true });
      void report(command.instanceId, command.commandId, 100, "deleted");
    });
    return socket;
  }

  beforeAll(async () => {
    // A refused refresh is sent again after twice the acknowledgement timeout: 2 s here.
    stack = await startStack("postgres", { NIMBUS_AGENT_ACK_TIMEOUT_MS: "1000" });
    admin = (await signedInClient(stack.server.url)).client;
    peer = await buildingPeer("node-filters");
    peer.on("ports.refresh", (command: PortsRefreshCommand, ack: (r: unknown) => void) => {
      refreshes.push(command);
      ack(refusing ? { ok: false, error: "nwfilter-define failed: the filter is in use" } : { ok: true });
    });
    peer.on("group.members", (command: GroupMembersCommand, ack: (r: unknown) => void) => {
      membersAtTestHost.push(command);
      ack({ ok: true });
    });
  }, 60_000);
  afterAll(async () => {
    peer?.close();
    setsPeer?.close();
    await stack?.stop();
  });

  it("sends the group's ports their new rules, only theirs, and again until the host takes them", async () => {
    const [flavors, images, networks] = await Promise.all([
      admin.catalog.flavors.query(),
      admin.catalog.images.query(),
      admin.catalog.networks.query(),
    ]);
    const base = { count: 1, imageId: images[0]!.id, flavorId: flavors[0]!.id, networkId: networks[0]!.id, availabilityZone: ":node-filters" };
    const web = await admin.securityGroups.create.mutate({ name: "web" });
    const [inWeb] = (await admin.instances.launch.mutate({ ...base, name: "in-web", securityGroupIds: [web.id] })).instanceIds;
    const [elsewhere] = (await admin.instances.launch.mutate({ ...base, name: "elsewhere" })).instanceIds;
    await waitFor("both ACTIVE", async () => {
      const listed = await admin.instances.list.query();
      return [inWeb, elsewhere].every((id) => listed.find((i) => i.id === id)?.status === "ACTIVE");
    });
    const ports = await stack.server.database.db
      .select()
      .from(schema.ports)
      .where(inArray(schema.ports.instanceId, [inWeb!, elsewhere!]));
    const webPort = ports.find((p) => p.instanceId === inWeb)!;
    const filterState = async () => {
      const [row] = await stack.server.database.db
        .select()
        .from(schema.ports)
        .where(inArray(schema.ports.id, [webPort.id]));
      return { generation: row!.filterGeneration, applied: row!.filterAppliedGeneration };
    };
    const rulesSent = () =>
      refreshes
        .flatMap((c) => c.ports)
        .filter((p) => p.id === webPort.id)
        .at(-1)?.securityGroupRules ?? [];

    // Added: the running instance's port is sent its rules with the new one, and the host's acknowledgement is recorded.
    const http = await admin.securityGroups.addRule.mutate({
      groupId: web.id,
      direction: "ingress",
      protocol: "tcp",
      portRangeMin: 8080,
      portRangeMax: 8080,
      remoteIpPrefix: "203.0.113.0/24",
    });
    await waitFor("the new rule sent to the host", () => rulesSent().some((r) => r.portRangeMin === 8080 && r.remoteCidrs?.[0] === "203.0.113.0/24"));
    await waitFor("the host's acknowledgement recorded", async () => (await filterState()).applied === 1);
    expect(refreshes.flatMap((c) => c.ports.map((p) => p.id))).toEqual([webPort.id]);

    // Removed while the host refuses: sent, not recorded, sent again once the host takes it.
    refusing = true;
    await admin.securityGroups.removeRule.mutate({ id: http.id });
    await waitFor("the removal sent to the host", () => refreshes.length >= 2);
    expect(rulesSent().some((r) => r.portRangeMin === 8080)).toBe(false);
    expect(await filterState()).toEqual({ generation: 2, applied: 1 });
    refusing = false;
    await waitFor("sent again and acknowledged", async () => (await filterState()).applied === 2, 10_000);
    expect(refreshes.length).toBeGreaterThanOrEqual(3);
    // The other instance's port (default group only) was never sent anything.
    expect(refreshes.flatMap((c) => c.ports.map((p) => p.id)).every((id) => id === webPort.id)).toBe(true);
  });

  it("a remote group's members reach the hosts whose rules name the group, as instances join and leave it", async () => {
    const [flavors, images, networks] = await Promise.all([
      admin.catalog.flavors.query(),
      admin.catalog.images.query(),
      admin.catalog.networks.query(),
    ]);
    const base = { count: 1, imageId: images[0]!.id, flavorId: flavors[0]!.id, networkId: networks[0]!.id };
    const sets: GroupMembersCommand[] = [];
    const refreshed: PortsRefreshCommand[] = [];
    const connectSetsPeer = async (domains: string[] = []) => {
      setsPeer = await buildingPeer("node-sets", { hypervisorType: "qemu", domains });
      setsPeer.on("ports.refresh", (command: PortsRefreshCommand, ack: (r: unknown) => void) => {
        refreshed.push(command);
        ack({ ok: true });
      });
      setsPeer.on("group.members", (command: GroupMembersCommand, ack: (r: unknown) => void) => {
        sets.push(command);
        ack({ ok: true });
      });
    };
    await connectSetsPeer();
    const app = await admin.securityGroups.create.mutate({ name: "app" });
    const db = await admin.securityGroups.create.mutate({ name: "db" });
    // Any protocol from app: a set of app's members on the host. TCP 5432 from app: the members
    // listed in the filter (libvirt takes an ipset on <all> only), sent again when they change.
    await admin.securityGroups.addRule.mutate({ groupId: db.id, direction: "ingress", protocol: "any", remoteGroupId: app.id });
    await admin.securityGroups.addRule.mutate({
      groupId: db.id,
      direction: "ingress",
      protocol: "tcp",
      portRangeMin: 5432,
      portRangeMax: 5432,
      remoteGroupId: app.id,
    });
    const active = (id: string) => waitFor(`${id} ACTIVE`, async () => (await admin.instances.get.query({ id })).instance.status === "ACTIVE");
    const appMembers = () => sets.filter((c) => c.groupId === app.id).at(-1)?.cidrs;

    // A database server on the host that keeps sets: it is sent app's members (none yet).
    const [dbServer] = (await admin.instances.launch.mutate({ ...base, name: "db-1", securityGroupIds: [db.id], availabilityZone: ":node-sets" }))
      .instanceIds;
    await active(dbServer!);
    await waitFor("app's members (none) at node-sets", () => appMembers()?.length === 0);

    // An application server joins app, on the other host: node-sets is sent app's new members.
    const [appServer] = (
      await admin.instances.launch.mutate({ ...base, name: "app-1", securityGroupIds: [app.id], availabilityZone: ":node-filters" })
    ).instanceIds;
    await active(appServer!);
    const { ports } = await admin.instances.get.query({ id: appServer! });
    const address = ports[0]!.ipAddress;
    await waitFor("app-1's address at node-sets", () => appMembers()?.join() === `${address}/32`);
    const postgresRule = () =>
      refreshed
        .flatMap((c) => c.ports)
        .at(-1)
        ?.securityGroupRules.find((r) => r.portRangeMin === 5432);
    await waitFor("db-1's filter sent again with app-1 in its TCP rule", () => postgresRule()?.remoteCidrs?.join() === `${address}/32`);
    expect(postgresRule()?.remoteGroupId).toBe(app.id);
    const sent = sets.length;

    // It leaves: the set is emptied; nothing was sent twice meanwhile.
    await admin.instances.delete.mutate({ id: appServer! });
    await waitFor("app's members emptied at node-sets", () => sets.length > sent && appMembers()?.length === 0);
    await waitFor("db-1's TCP rule emptied", () => postgresRule()?.remoteCidrs?.length === 0);
    expect(sets.filter((c) => c.groupId === app.id)).toHaveLength(3);

    // The host comes back (its agent restarted, or the machine did, and its ipsets with it): it is sent the set again.
    setsPeer!.close();
    await connectSetsPeer([dbServer!]);
    await waitFor("app's members sent again after the host registered anew", () => sets.filter((c) => c.groupId === app.id).length === 4);
    // Each list says when it was decided, later lists later: the host keeps the latest whatever the order of arrival.
    const versions = sets.filter((c) => c.groupId === app.id).map((c) => c.version);
    expect(new Set(versions).size).toBe(4);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    // The test-driver host keeps no sets and was sent none.
    expect(membersAtTestHost).toEqual([]);
  });
});
