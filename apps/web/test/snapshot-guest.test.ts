/**
 * A snapshot of a real guest, end to end, on qemu:///system (TCG): the test guest boots, is
 * snapshotted while it runs (its memory saved, its overlay flattened with its base image by
 * qemu-img, the guest restored and running again), the snapshot is uploaded over HTTP and
 * becomes an active image carrying the base image's kernel, ramdisk and command line; a second
 * instance launched from it boots, and its guest says so on its serial console (the NIMBUS-GUEST
 * marker lines). Run under `flock /tmp/nimbus-real-guest.lock`: the machine has one libvirt.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { signedInClient, startStack, waitFor, type Stack } from "./harness";
import { assertInvariants } from "./invariants";
import { prepareRealHypervisor, startQemuAgent, uploadTestGuest } from "./test-guest";

describe("snapshot of a real guest (qemu, TCG)", () => {
  let stack: Stack;
  let agent: ReturnType<typeof startQemuAgent> | undefined;
  let api: Awaited<ReturnType<typeof signedInClient>>;
  const imageStore = mkdtempSync(path.join(tmpdir(), "nimbus-snapshot-images-"));
  const ids = { base: "", flavor: "", network: "" };

  beforeAll(async () => {
    prepareRealHypervisor();
    stack = await startStack("postgres", { NIMBUS_IMAGE_STORE: imageStore, NIMBUS_HOST_DOWN_AFTER_SECONDS: "10" });
    agent = startQemuAgent(stack.server.url, "qemu-snapshot");
    api = await signedInClient(stack.server.url);
    await waitFor(
      "the qemu host up",
      async () => (await api.client.hosts.list.query()).find((h) => h.hostname === "qemu-snapshot")?.state === "up",
      60_000,
    );
    const demo = (await stack.server.database.db.query.projects.findFirst({ where: eq(schema.projects.name, "demo") }))!;
    await api.client.auth.switchProject.mutate({ projectId: demo.id });
    ids.base = (await uploadTestGuest(stack.server.url, api, "snapshot-guest")).imageId;
    const [flavors, networks] = await Promise.all([api.client.catalog.flavors.query(), api.client.catalog.networks.query()]);
    ids.flavor = flavors.find((f) => f.name === "m1.tiny")!.id;
    ids.network = networks.find((n) => n.name === "shared-net")!.id;
  }, 300_000);

  afterAll(async () => {
    if (agent && agent.child.exitCode === null) {
      agent.child.kill("SIGTERM");
      await new Promise((resolve) => agent!.child.once("exit", resolve));
    }
    if (agent) rmSync(agent.stateDir, { recursive: true, force: true });
    await stack?.stop();
    rmSync(imageStore, { recursive: true, force: true });
  });

  async function launchAndBoot(name: string, imageId: string): Promise<string> {
    const id = (await api.client.instances.launch.mutate({ name, count: 1, imageId, flavorId: ids.flavor, networkId: ids.network })).instanceIds[0]!;
    await waitFor(`${name} ACTIVE`, async () => (await api.client.instances.get.query({ id })).instance.status === "ACTIVE", 180_000);
    await waitFor(
      `${name}'s guest to boot`,
      async () => {
        const { text } = await api.client.instances.console.query({ id });
        return text.includes(`NIMBUS-GUEST hostname=${name}`) && text.includes("NIMBUS-GUEST booted");
      },
      240_000,
    );
    return id;
  }

  it("snapshots a running guest, which runs on; an instance launched from the snapshot boots its guest", async () => {
    const parent = await launchAndBoot("snap-parent", ids.base);

    const { imageId } = await api.client.instances.snapshot.mutate({ instanceId: parent, name: "snap-parent-image" });
    const image = await waitFor(
      "the snapshot image active",
      async () => {
        const found = await api.client.images.get.query({ id: imageId });
        if (found.status === "deleted" || found.status === "killed") throw new Error(`the snapshot image is ${found.status}`);
        return found.status === "active" ? found : null;
      },
      180_000,
    );
    // A real copy: qcow2, self-contained, with the base image's way of booting and no simulated mark.
    expect(image.diskFormat).toBe("qcow2");
    expect(image.properties).toMatchObject({
      image_type: "snapshot",
      instance_uuid: parent,
      base_image_ref: ids.base,
      os_command_line: "console=ttyS0",
    });
    expect(image.properties.kernel_id).toBeTruthy();
    expect(image.properties.nimbus_simulated_snapshot).toBeUndefined();
    expect(image.virtualSizeBytes).toBeGreaterThan(0);

    // The parent's guest was restored from its saved memory and runs on, with no fault.
    const after = await waitFor("the parent to settle", async () => {
      const { instance } = await api.client.instances.get.query({ id: parent });
      return instance.taskState === null ? instance : null;
    });
    expect(after).toMatchObject({ status: "ACTIVE", powerState: "running", fault: null });

    // The child boots from the snapshot: its own hostname on its own console.
    const child = await launchAndBoot("snap-child", imageId);
    const { text } = await api.client.instances.console.query({ id: child });
    expect(text).toMatch(/NIMBUS-GUEST address=10\.0\.0\.\d+/);

    for (const id of [child, parent]) await api.client.instances.delete.mutate({ id });
    const db = stack.server.database.db;
    await waitFor("both instances deleted", async () => (await db.select().from(schema.instances)).every((i) => i.vmState === "deleted"), 120_000);
    await assertInvariants(db);
  }, 900_000);
});
