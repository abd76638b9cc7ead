import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { protocolPeer, reportSender, signedInClient, startStack, waitFor, type Stack } from "./harness";

/**
 * A delete the host acknowledged and then never finished (its agent died or lost its connection
 * before reporting the guest gone) does not leave the instance in "deleting" for ever: when the
 * host comes back it is finished (no domain) or asked again (the domain is still there), and
 * when the host stays down it is finished here, as Nova deletes locally. Found by the soak
 * (bench/soak.ts): agents SIGKILLed with deletes in flight left instances deleting.
 */
describe("deletes a host took and never finished (real PostgreSQL)", () => {
  let stack: Stack;
  let admin: Awaited<ReturnType<typeof signedInClient>>["client"];
  const peers: Socket[] = [];

  /** A host that takes every spawn and destroy and never reports on them. */
  async function silentHost(hostname: string, domains: string[] = []) {
    const destroyed: string[] = [];
    const peer = await protocolPeer(stack.server.url, hostname, { heartbeat: true, domains });
    peer.on("instance.spawn", (_command: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
    peer.on("instance.destroy", (command: { instanceId: string }, ack: (r: unknown) => void) => {
      destroyed.push(command.instanceId);
      ack({ ok: true });
    });
    peers.push(peer);
    return { peer, destroyed };
  }

  async function launchOn(hostname: string, name: string) {
    const [flavors, images, networks] = await Promise.all([
      admin.catalog.flavors.query(),
      admin.catalog.images.query(),
      admin.catalog.networks.query(),
    ]);
    const { instanceIds } = await admin.instances.launch.mutate({
      name,
      count: 1,
      imageId: images[0]!.id,
      flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
      networkId: networks[0]!.id,
      availabilityZone: `:${hostname}`,
    });
    return instanceIds[0]!;
  }

  async function deletingOn(hostname: string, name: string) {
    const id = await launchOn(hostname, name);
    await waitFor("the build on its host", async () => (await admin.instances.get.query({ id })).instance.hostname === hostname);
    await admin.instances.delete.mutate({ id });
    expect((await admin.instances.get.query({ id })).instance.taskState).toBe("deleting");
    return id;
  }
  const gone = async (id: string) => !(await admin.instances.list.query()).some((i) => i.id === id);
  const usedVcpus = async (hostname: string) => (await admin.hosts.list.query()).find((h) => h.hostname === hostname)!.vcpus.used;

  beforeAll(async () => {
    stack = await startStack("postgres");
    admin = (await signedInClient(stack.server.url)).client;
  });
  afterAll(async () => {
    for (const peer of peers) peer.close();
    await stack?.stop();
  });

  it("the host comes back without the domain: the delete is finished at its registration", async () => {
    const first = await silentHost("node-del-1");
    const id = await deletingOn("node-del-1", "lost-delete");
    await waitFor("the destroy at the host", () => first.destroyed.includes(id));
    first.peer.close();
    await silentHost("node-del-1", []);
    await waitFor("the instance deleted", () => gone(id));
    expect(await usedVcpus("node-del-1")).toBe(0);
  });

  it("the host comes back with the domain still there: the destroy is sent again", async () => {
    const first = await silentHost("node-del-2");
    const id = await deletingOn("node-del-2", "unfinished-delete");
    await waitFor("the destroy at the host", () => first.destroyed.includes(id));
    first.peer.close();
    const again = await silentHost("node-del-2", [id]);
    await waitFor("the destroy sent again", () => again.destroyed.includes(id));
    expect((await admin.instances.get.query({ id })).instance.taskState).toBe("deleting");
  });

  it("a host whose agent lost its state numbers its reports from the start again: its 'deleted' still finishes the delete", async () => {
    const host = await silentHost("node-del-4");
    const sender = reportSender(host.peer);
    const say = (instanceId: string, commandId: string, seq: number, phase: string) =>
      sender.report({ instanceId, commandId, seq, phase, powerState: phase === "active" ? "running" : "nostate", at: new Date().toISOString() });
    const spawned = new Promise<{ instance: { id: string }; commandId: string }>((resolve) => host.peer.once("instance.spawn", resolve));
    const id = await launchOn("node-del-4", "wiped-agent");
    const { commandId } = await spawned;
    // The agent's first life: a build reported up to a high number.
    for (const [seq, phase] of [
      [16_777_217, "networking"],
      [16_777_218, "block_device_mapping"],
      [16_777_219, "spawning"],
      [16_777_220, "active"],
    ] as const)
      expect(await say(id, commandId, seq, phase)).toEqual({ ok: true });
    await waitFor("ACTIVE", async () => (await admin.instances.get.query({ id })).instance.status === "ACTIVE");
    await admin.instances.delete.mutate({ id });
    await waitFor("the destroy at the host", () => host.destroyed.includes(id));
    // Its second life, state directory lost: numbering starts again.
    expect(await say(id, "00000000-0000-4000-8000-000000000001", 1, "deleted")).toEqual({ ok: true });
    await waitFor("the instance deleted", () => gone(id));
    expect(await usedVcpus("node-del-4")).toBe(0);
  });

  it("the host stays down: the delete is finished here once the host is declared down", async () => {
    const first = await silentHost("node-del-3");
    const id = await deletingOn("node-del-3", "orphaned-delete");
    await waitFor("the destroy at the host", () => first.destroyed.includes(id));
    first.peer.close();
    await waitFor("the instance deleted after the host is down", () => gone(id), 30_000);
    expect(await usedVcpus("node-del-3")).toBe(0);
  });
});
