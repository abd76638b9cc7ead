import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { protocolPeer, signedInClient, startStack, waitFor, type Stack } from "./harness";

/**
 * A build its host acknowledged but never progressed: after the build timeout it ends in ERROR
 * with a fault that says so, its claim on the host is given back and the host is told to clean
 * up. The host is a protocol peer that acknowledges spawn commands and then stays silent.
 */
describe("build timeout (real PostgreSQL)", () => {
  let stack: Stack;
  let admin: Awaited<ReturnType<typeof signedInClient>>["client"];
  let silent: Socket;
  const spawned: string[] = [];
  const destroyed: string[] = [];

  beforeAll(async () => {
    stack = await startStack("postgres", { NIMBUS_BUILD_TIMEOUT_SECONDS: "2" });
    admin = (await signedInClient(stack.server.url)).client;
    silent = await protocolPeer(stack.server.url, "node-silent");
    silent.on("instance.spawn", (command: { instance: { id: string } }, ack: (r: unknown) => void) => {
      spawned.push(command.instance.id);
      ack({ ok: true });
    });
    silent.on("instance.destroy", (command: { instanceId: string }, ack: (r: unknown) => void) => {
      destroyed.push(command.instanceId);
      ack({ ok: true });
    });
  });
  afterAll(async () => {
    silent?.close();
    await stack?.stop();
  });

  it("an acknowledged build that makes no progress goes to ERROR after the timeout, its claim freed and its host told to clean up", async () => {
    const [flavors, images, networks] = await Promise.all([
      admin.catalog.flavors.query(),
      admin.catalog.images.query(),
      admin.catalog.networks.query(),
    ]);
    const { instanceIds } = await admin.instances.launch.mutate({
      name: "stalled",
      count: 1,
      imageId: images[0]!.id,
      flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
      networkId: networks[0]!.id,
      availabilityZone: ":node-silent",
    });
    const id = instanceIds[0]!;
    await waitFor("the spawn command at the silent host", () => spawned.includes(id));
    const host = async () => (await admin.hosts.list.query()).find((h) => h.hostname === "node-silent")!;
    expect((await host()).vcpus.used).toBe(1);

    const { instance } = await waitFor("the build to time out", async () => {
      const details = await admin.instances.get.query({ id });
      return details.instance.status === "ERROR" ? details : null;
    });
    expect(instance.fault).toMatchObject({ code: "BuildTimeout", message: "The build made no progress for 2 s on node-silent and was stopped." });
    expect((await host()).vcpus.used).toBe(0);
    await waitFor("the host told to clean up", () => destroyed.includes(id));
    // Acknowledged once: not sent again while it was waiting for progress.
    expect(spawned.filter((s) => s === id)).toHaveLength(1);
  });
});
