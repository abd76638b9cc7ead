import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { NETWORK_ENTRIES_OUT_OF_STEP, networkEntriesCommandSchema, type NetworkEntriesCommand } from "@nimbus/core/protocol/agent";
import { addUser, PERSONA_PASSWORD, protocolPeer, reportSender, signedInClient, startStack, waitFor, type Stack } from "./harness";

type Client = Awaited<ReturnType<typeof signedInClient>>["client"];

/**
 * The overlay's forwarding entries (l2population) as the server sends them: each host that has a
 * port on a network is told where the network's ports on the other hosts are (their host's
 * tunnel address), when ports bind and go, and afresh when it registers again; a host without
 * ports on the network, or without a tunnel address, is told nothing. Hosts here are protocol
 * peers that keep what they are told exactly as the agent's overlay does (full lists replace,
 * changes apply on the revision they start from, else "out of step").
 */
describe("network forwarding entries (real PostgreSQL)", () => {
  let stack: Stack;
  let admin: Client;
  const peers = new Map<string, Peer>();

  interface Peer {
    socket: Socket;
    /** Per network: revision and entries by MAC → tunnel address. */
    networks: Map<string, { revision: number; entries: Map<string, string> }>;
    commands: NetworkEntriesCommand[];
    /** While set, changes are refused as from an agent that restarted. */
    forgetful: boolean;
  }

  async function peer(hostname: string, tunnelAddress: string | undefined, domains: string[] = []): Promise<Peer> {
    const socket = await protocolPeer(stack.server.url, hostname, { hypervisorType: "qemu", heartbeat: true, tunnelAddress, domains });
    const state: Peer = { socket, networks: new Map(), commands: [], forgetful: false };
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
    // A qemu host keeps member sets and filters; these peers take them and do nothing.
    socket.on("group.members", (_payload: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
    socket.on("ports.refresh", (_payload: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
    socket.on("network.entries", (payload: unknown, ack: (r: unknown) => void) => {
      const command = networkEntriesCommandSchema.parse(payload);
      state.commands.push(command);
      const known = state.networks.get(command.networkId) ?? { revision: -1, entries: new Map<string, string>() };
      if (!command.full && (command.fromRevision > known.revision || state.forgetful)) {
        return ack({ ok: false, error: `${NETWORK_ENTRIES_OUT_OF_STEP}: starts after ${command.fromRevision}` });
      }
      if (command.full) known.entries = new Map();
      for (const r of command.remove) known.entries.delete(r.mac);
      for (const e of command.upsert) known.entries.set(e.mac, e.dst);
      known.revision = Math.max(known.revision, command.toRevision);
      state.networks.set(command.networkId, known);
      ack({ ok: true });
    });
    peers.set(hostname, state);
    return state;
  }

  const entriesAt = (hostname: string, networkId: string) => Object.fromEntries(peers.get(hostname)?.networks.get(networkId)?.entries ?? []);

  async function portOf(instanceId: string) {
    const [port] = await stack.server.database.db.select().from(schema.ports).where(eq(schema.ports.instanceId, instanceId));
    return port!;
  }

  async function launchOn(hostname: string, name: string, networkId: string): Promise<string> {
    const [flavors, images] = await Promise.all([admin.catalog.flavors.query(), admin.catalog.images.query()]);
    const { instanceIds } = await admin.instances.launch.mutate({
      count: 1,
      name,
      imageId: images[0]!.id,
      flavorId: flavors[0]!.id,
      networkId,
      availabilityZone: `:${hostname}`,
    });
    const id = instanceIds[0]!;
    await waitFor(`${name} ACTIVE`, async () => (await admin.instances.list.query()).find((i) => i.id === id)?.status === "ACTIVE");
    return id;
  }

  let networkId: string;

  beforeAll(async () => {
    // An unacknowledged or refused list is sent again after twice the acknowledgement timeout: 2 s here.
    stack = await startStack("postgres", { NIMBUS_AGENT_ACK_TIMEOUT_MS: "1000" });
    admin = (await signedInClient(stack.server.url)).client;
    await peer("node-a", "198.18.0.1");
    await peer("node-b", "198.18.0.2");
    await peer("node-c", "198.18.0.3");
    await peer("node-local", undefined);
    const network = await admin.networks.create.mutate({ name: "overlay", subnet: { name: "overlay-v4", cidr: "10.77.0.0/24" } });
    networkId = network.id;
  }, 60_000);
  afterAll(async () => {
    for (const p of peers.values()) p.socket.close();
    await stack?.stop();
  });

  let onA: string;
  let onB: string;

  it("gives the network a VNI and an overlay MTU, and tells each host with a port where the other host's port is", async () => {
    const [row] = await stack.server.database.db.select().from(schema.networks).where(eq(schema.networks.id, networkId));
    expect(row?.segmentationId).toBeGreaterThan(0);
    expect(row?.mtu).toBe(1450);

    onA = await launchOn("node-a", "x", networkId);
    onB = await launchOn("node-b", "y", networkId);
    const [x, y] = [await portOf(onA), await portOf(onB)];
    await waitFor("A knows y and B knows x", () => entriesAt("node-a", networkId)[y.macAddress] && entriesAt("node-b", networkId)[x.macAddress]);
    expect(entriesAt("node-a", networkId)).toEqual({ [y.macAddress]: "198.18.0.2" });
    expect(entriesAt("node-b", networkId)).toEqual({ [x.macAddress]: "198.18.0.1" });
    const sample = peers.get("node-a")!.commands.at(-1)!;
    expect(sample).toMatchObject({ segmentationId: row!.segmentationId, mtu: 1450 });
    expect(sample.upsert.find((e) => e.mac === y.macAddress)?.ip).toBe(y.ipAddress);
  });

  it("tells a host without ports on the network, and a host without a tunnel address, nothing", async () => {
    // The local host has a port too, but no tunnel: it is in no one's entries and is sent none.
    const local = await launchOn("node-local", "z", networkId);
    const z = await portOf(local);
    // Two sweeps' worth of time for anything that would be sent.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(peers.get("node-c")!.commands).toEqual([]);
    expect(peers.get("node-local")!.commands).toEqual([]);
    expect(entriesAt("node-a", networkId)[z.macAddress]).toBeUndefined();
    await admin.instances.delete.mutate({ id: local });
  });

  it("sends one message per host of the network for one port change, and a gone port disappears from the others", async () => {
    const before = { a: peers.get("node-a")!.commands.length, b: peers.get("node-b")!.commands.length };
    const second = await launchOn("node-b", "y2", networkId);
    const y2 = await portOf(second);
    await waitFor("A knows y2", () => entriesAt("node-a", networkId)[y2.macAddress]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    // A hears of y2 once; B (where y2 is) hears nothing of it.
    const toA = peers.get("node-a")!.commands.slice(before.a);
    expect(toA).toHaveLength(1);
    expect(toA[0]).toMatchObject({ full: false, upsert: [{ mac: y2.macAddress, dst: "198.18.0.2" }], remove: [] });
    expect(
      peers
        .get("node-b")!
        .commands.slice(before.b)
        .every((c) => c.upsert.every((e) => e.mac !== y2.macAddress)),
    ).toBe(true);

    await admin.instances.delete.mutate({ id: second });
    await waitFor("y2 gone from A", () => entriesAt("node-a", networkId)[y2.macAddress] === undefined);
    expect(Object.keys(entriesAt("node-a", networkId))).toHaveLength(1);
  });

  it("sends the whole list again to a host that registers again, and to one that is out of step", async () => {
    const y = await portOf(onB);
    const a = peers.get("node-a")!;
    a.socket.close();
    const again = await peer("node-a", "198.18.0.1", [onA]);
    await waitFor("full list after registering again", () => again.commands.find((c) => c.full && c.networkId === networkId));
    expect(entriesAt("node-a", networkId)).toEqual({ [y.macAddress]: "198.18.0.2" });

    // An agent that lost what it had refuses the next change; it is sent the full list.
    again.forgetful = true;
    const later = await launchOn("node-c", "w", networkId);
    const w = await portOf(later);
    await waitFor("a change refused", () => again.commands.some((c) => !c.full && c.upsert.some((e) => e.mac === w.macAddress)));
    again.forgetful = false;
    await waitFor("the full list that follows", () => entriesAt("node-a", networkId)[w.macAddress]);
    expect(again.commands.filter((c) => c.full)).toHaveLength(2);
    expect(entriesAt("node-a", networkId)).toEqual({ [y.macAddress]: "198.18.0.2", [w.macAddress]: "198.18.0.3" });
  });

  it("follows a port that moves to another host, and a host whose tunnel address changes", async () => {
    const x = await portOf(onA);
    // Nimbus has no migration yet: the instance's host is changed as a migration would change it.
    const [nodeC] = await stack.server.database.db.select().from(schema.computeHosts).where(eq(schema.computeHosts.hostname, "node-c"));
    await stack.server.database.db.update(schema.instances).set({ hostId: nodeC!.id }).where(eq(schema.instances.id, onA));
    await waitFor("B told x is on C now", () => entriesAt("node-b", networkId)[x.macAddress] === "198.18.0.3");
    await waitFor("C no longer holds x as remote", () => entriesAt("node-c", networkId)[x.macAddress] === undefined);

    // C comes back with another tunnel address: the others are told where its ports are now.
    const c = peers.get("node-c")!;
    c.socket.close();
    const [onC] = await stack.server.database.db
      .select({ id: schema.instances.id })
      .from(schema.instances)
      .where(eq(schema.instances.hostId, nodeC!.id));
    await peer("node-c", "198.18.0.33", [onC!.id, onA]);
    await waitFor("B told C's new tunnel address", () => entriesAt("node-b", networkId)[x.macAddress] === "198.18.0.33");
  });

  it("keeps a second project's network with the same CIDR apart: its own VNI, and no entries of the other", async () => {
    await addUser(stack, { name: "other-member", project: "other", role: "member" });
    const other = (await signedInClient(stack.server.url, "other-member", PERSONA_PASSWORD)).client;
    const network = await other.networks.create.mutate({ name: "same-cidr", subnet: { name: "same-cidr-v4", cidr: "10.77.0.0/24" } });
    const vnis = (await stack.server.database.db.select().from(schema.networks)).map((r) => r.segmentationId);
    expect(new Set(vnis).size).toBe(vnis.length);
    const [flavors, images] = await Promise.all([other.catalog.flavors.query(), other.catalog.images.query()]);
    const [v] = (
      await other.instances.launch.mutate({ count: 1, name: "v", imageId: images[0]!.id, flavorId: flavors[0]!.id, networkId: network.id })
    ).instanceIds;
    await waitFor("v ACTIVE", async () => (await other.instances.list.query()).find((i) => i.id === v)?.status === "ACTIVE");
    const vPort = await portOf(v!);
    await new Promise((resolve) => setTimeout(resolve, 600));
    // Whichever host v is on, no entry of the first network names it, and nobody is told of it:
    // it is the only port of its network.
    for (const [name, p] of peers) {
      for (const [net, state] of p.networks) if (net !== network.id) expect(state.entries.has(vPort.macAddress), name).toBe(false);
      expect(
        p.commands.some((c) => c.networkId === network.id && c.upsert.length > 0),
        name,
      ).toBe(false);
    }
  });
});
