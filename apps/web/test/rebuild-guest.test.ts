/**
 * A rebuild of a real guest (qemu:///system, TCG; run under `flock /tmp/nimbus-real-guest.lock`
 * beside other real-guest runs): the test guest launched from one image is rebuilt from another
 * with a new name, boots again, and prints on its serial console the hostname its new config
 * drive gives it, with the same address; the old life's console is gone from the log.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { signedInClient, startStack, waitFor, type Stack } from "./harness";
import { prepareRealHypervisor, startQemuAgent, uploadTestGuest } from "./test-guest";

describe("rebuild of a real guest (qemu, TCG)", () => {
  let stack: Stack;
  let agent: ReturnType<typeof startQemuAgent> | undefined;
  let api: Awaited<ReturnType<typeof signedInClient>>;
  let instanceId = "";

  beforeAll(async () => {
    prepareRealHypervisor();
    stack = await startStack("postgres", { NIMBUS_ACTION_TIMEOUT_SECONDS: "180" });
    agent = startQemuAgent(stack.server.url, "qemu-rebuild");
    api = await signedInClient(stack.server.url);
    await waitFor(
      "the qemu host up",
      async () => (await api.client.hosts.list.query()).find((h) => h.hostname === "qemu-rebuild")?.state === "up",
      60_000,
    );
  }, 300_000);

  afterAll(async () => {
    if (instanceId) {
      await api.client.instances.delete.mutate({ id: instanceId }).catch(() => undefined);
      await waitFor(
        "the guest deleted",
        async () =>
          (await stack.server.database.db.select().from(schema.instances).where(eq(schema.instances.id, instanceId)))[0]?.vmState === "deleted",
        60_000,
      ).catch(() => undefined);
    }
    if (agent && agent.child.exitCode === null) {
      agent.child.kill("SIGTERM");
      await new Promise((resolve) => agent!.child.once("exit", resolve));
    }
    if (agent) rmSync(agent.stateDir, { recursive: true, force: true });
    await stack?.stop();
  });

  async function consoleText(): Promise<string> {
    return (await api.client.instances.console.query({ id: instanceId })).text;
  }

  it("boots again from the new image and shows its new hostname from its new config drive, on the same address", async () => {
    const first = await uploadTestGuest(stack.server.url, api, "guest-image-a");
    const second = await uploadTestGuest(stack.server.url, api, "guest-image-b");
    const [flavors, networks] = await Promise.all([api.client.catalog.flavors.query(), api.client.catalog.networks.query()]);
    instanceId = (
      await api.client.instances.launch.mutate({
        name: "guest-one",
        count: 1,
        imageId: first.imageId,
        flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
        networkId: networks.find((n) => n.name === "shared-net")!.id,
      })
    ).instanceIds[0]!;
    await waitFor("guest-one booted", async () => (await consoleText()).includes("NIMBUS-GUEST booted"), 240_000);
    const before = await consoleText();
    expect(before).toContain("NIMBUS-GUEST hostname=guest-one");
    const address = before.match(/NIMBUS-GUEST address=(10\.0\.0\.\d+)/)?.[1];

    await api.client.instances.rebuild.mutate({ instanceId, imageId: second.imageId, name: "guest-two" });
    await waitFor(
      "the rebuild to finish",
      async () => {
        const { instance } = await api.client.instances.get.query({ id: instanceId });
        return instance.taskState === null && instance.status === "ACTIVE";
      },
      240_000,
    );
    await waitFor("guest-two booted", async () => (await consoleText()).includes("NIMBUS-GUEST hostname=guest-two"), 240_000);
    await waitFor("guest-two's boot finished", async () => (await consoleText()).includes("NIMBUS-GUEST booted"), 240_000);
    const after = await consoleText();
    expect(after).not.toContain("NIMBUS-GUEST hostname=guest-one");
    if (address) expect(after).toContain(`NIMBUS-GUEST address=${address}`);
    const { instance, ports } = await api.client.instances.get.query({ id: instanceId });
    expect(instance).toMatchObject({ imageId: second.imageId, name: "guest-two", powerState: "running" });
    expect(ports.map((p) => p.ipAddress)).toContain(address ?? ports[0]!.ipAddress);
  }, 600_000);
});
