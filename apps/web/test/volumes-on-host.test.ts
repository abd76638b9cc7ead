import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "./harness";

/**
 * The host-local volume backend end to end, with two real agents on libvirt's test driver: a
 * volume's bits are made by the host of its first instance, stay there when the instance is
 * deleted, and the next instance that uses the volume is placed on that host.
 */
describe("volumes live on the host that first used them", () => {
  let stack: Stack;
  const agents: AgentProcess[] = [];
  let api: Awaited<ReturnType<typeof signedInClient>>;

  beforeAll(async () => {
    stack = await startStack("pglite");
    agents.push(startAgent(stack.server.url, { hostname: "vol-a" }), startAgent(stack.server.url, { hostname: "vol-b" }));
    api = await signedInClient(stack.server.url);
    await waitFor("both hosts up", async () => (await api.client.hosts.list.query()).filter((h) => h.state === "up").length === 2);
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await stack?.stop();
  });

  async function launchWith(volumeId: string, name: string) {
    const [flavors, images, networks] = await Promise.all([
      api.client.catalog.flavors.query(),
      api.client.catalog.images.query(),
      api.client.catalog.networks.query(),
    ]);
    const { instanceIds } = await api.client.instances.launch.mutate({
      name,
      count: 1,
      imageId: images[0]!.id,
      flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
      networkId: networks[0]!.id,
      volumes: [{ volumeId, deleteOnTermination: false }],
    });
    const id = instanceIds[0]!;
    const detail = await waitFor(
      `${name} ACTIVE`,
      async () => {
        const d = await api.client.instances.get.query({ id });
        if (d.instance.status === "ERROR") throw new Error(`${name} failed: ${d.instance.fault?.message}`);
        return d.instance.status === "ACTIVE" && d;
      },
      60_000,
    );
    return { id, host: detail.instance.hostname!, detail };
  }

  it("makes the bits on the first host, keeps them after the instance, and brings the next instance to them", async () => {
    const volume = await api.client.volumes.create.mutate({ name: "data", sizeGb: 1, imageId: null });
    expect((await api.client.volumes.get.query({ id: volume.id })).host).toBeNull();

    const first = await launchWith(volume.id, "uses-data-1");
    expect(first.detail.volumes).toEqual([expect.objectContaining({ id: volume.id, device: "vdb", bootIndex: null })]);
    const attached = await api.client.volumes.get.query({ id: volume.id });
    expect(attached.status).toBe("in-use");
    expect(attached.host?.hostname).toBe(first.host);
    const agent = agents.find((a) => a.hostname === first.host)!;
    const file = path.join(agent.stateDir, "volumes", `${volume.id}.qcow2`);
    expect(existsSync(file)).toBe(true);

    await api.client.instances.delete.mutate({ id: first.id });
    await waitFor("the volume detached", async () => (await api.client.volumes.get.query({ id: volume.id })).status === "available");
    expect((await api.client.volumes.get.query({ id: volume.id })).host?.hostname).toBe(first.host);
    expect(existsSync(file)).toBe(true);

    // Whichever host the weighers would prefer, the volume's host it is.
    for (let i = 2; i <= 3; i++) {
      const next = await launchWith(volume.id, `uses-data-${i}`);
      expect(next.host).toBe(first.host);
      await api.client.instances.delete.mutate({ id: next.id });
      await waitFor("the volume detached", async () => (await api.client.volumes.get.query({ id: volume.id })).status === "available");
    }
    expect(existsSync(file)).toBe(true);
  }, 180_000);
});
