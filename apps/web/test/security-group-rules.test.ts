import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { inArray } from "@nimbus/db/orm";
import type { PortsRefreshCommand } from "@nimbus/core/protocol";
import { protocolPeer, signedInClient, startStack, waitFor, type Stack } from "./harness";

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
  const refreshes: PortsRefreshCommand[] = [];
  let refusing = false;

  beforeAll(async () => {
    // A refused refresh is sent again after twice the acknowledgement timeout: 2 s here.
    stack = await startStack("postgres", { NIMBUS_AGENT_ACK_TIMEOUT_MS: "1000" });
    admin = (await signedInClient(stack.server.url)).client;
    peer = await protocolPeer(stack.server.url, "node-filters");
    peer.on("instance.spawn", (command: { commandId: string; instance: { id: string } }, ack: (r: unknown) => void) => {
      ack({ ok: true });
      // Built at once, as a host would report it.
      void (async () => {
        for (const [seq, phase] of ["networking", "block_device_mapping", "spawning", "active"].entries()) {
          await peer.timeout(5000).emitWithAck("instance.report", {
            instanceId: command.instance.id,
            commandId: command.commandId,
            seq,
            phase,
            powerState: phase === "active" ? "running" : "nostate",
            at: new Date().toISOString(),
          });
        }
      })();
    });
    peer.on("ports.refresh", (command: PortsRefreshCommand, ack: (r: unknown) => void) => {
      refreshes.push(command);
      ack(refusing ? { ok: false, error: "nwfilter-define failed: the filter is in use" } : { ok: true });
    });
  }, 60_000);
  afterAll(async () => {
    peer?.close();
    await stack?.stop();
  });

  it("sends the group's ports their new rules, only theirs, and again until the host takes them", async () => {
    const [flavors, images, networks] = await Promise.all([admin.catalog.flavors.query(), admin.catalog.images.query(), admin.catalog.networks.query()]);
    const base = { count: 1, imageId: images[0]!.id, flavorId: flavors[0]!.id, networkId: networks[0]!.id, availabilityZone: ":node-filters" };
    const web = await admin.securityGroups.create.mutate({ name: "web" });
    const [inWeb] = (await admin.instances.launch.mutate({ ...base, name: "in-web", securityGroupIds: [web.id] })).instanceIds;
    const [elsewhere] = (await admin.instances.launch.mutate({ ...base, name: "elsewhere" })).instanceIds;
    await waitFor("both ACTIVE", async () => {
      const listed = await admin.instances.list.query();
      return [inWeb, elsewhere].every((id) => listed.find((i) => i.id === id)?.status === "ACTIVE");
    });
    const ports = await stack.server.database.db.select().from(schema.ports).where(inArray(schema.ports.instanceId, [inWeb!, elsewhere!]));
    const webPort = ports.find((p) => p.instanceId === inWeb)!;
    const filterState = async () => {
      const [row] = await stack.server.database.db.select().from(schema.ports).where(inArray(schema.ports.id, [webPort.id]));
      return { generation: row!.filterGeneration, applied: row!.filterAppliedGeneration };
    };
    const rulesSent = () => refreshes.flatMap((c) => c.ports).filter((p) => p.id === webPort.id).at(-1)?.securityGroupRules ?? [];

    // Added: the running instance's port is sent its rules with the new one, and the host's acknowledgement is recorded.
    const http = await admin.securityGroups.addRule.mutate({ groupId: web.id, direction: "ingress", protocol: "tcp", portRangeMin: 8080, portRangeMax: 8080, remoteIpPrefix: "203.0.113.0/24" });
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
});
