import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instanceChangedSchema } from "@nimbus/core/protocol/browser";
import { SNAPSHOT_UPLOAD_PATH } from "@nimbus/core/protocol/http";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import {
  addUser,
  AGENT_SECRET,
  browserSocket,
  PERSONA_PASSWORD,
  signedInClient,
  startAgent,
  TRPCClientError,
  waitFor,
  type AgentProcess,
  type Stack,
} from "./harness";
import { ACTION_AGENT_ENV, startActionStack } from "./action-stack";
import { assertInvariants } from "./invariants";

/**
 * Nova's createImage (a snapshot) on real PostgreSQL with real agent processes on libvirt's test
 * driver: the image is queued at once, the instance walks image_snapshot ─▶ image_pending_upload
 * ─▶ image_uploading (pushed live) and ends as it was, the host uploads its (blank, simulated)
 * disk over HTTP and the image becomes active and launchable. Refusals in plain words (building,
 * busy, quota, another project, a reader), and every failure (a delete that wins, an agent
 * killed mid-snapshot, an upload over the image quota) leaves the instance in its true state with
 * a fault and no half-built image.
 */
describe("instance snapshots (createImage)", () => {
  let stack: Stack;
  let agent: AgentProcess;
  let api: Awaited<ReturnType<typeof signedInClient>>;
  const agentEnv = ACTION_AGENT_ENV;

  beforeAll(async () => {
    ({ stack, agent, api } = await startActionStack("snap-1"));
  });

  afterAll(async () => {
    await agent?.stop("SIGKILL");
    await stack?.stop();
  });

  const db = () => stack.server.database.db;

  async function launch(name: string, { imageId, client = api.client }: { imageId?: string; client?: typeof api.client } = {}): Promise<string> {
    const [flavors, images, networks] = await Promise.all([
      client.catalog.flavors.query(),
      client.catalog.images.query(),
      client.catalog.networks.query(),
    ]);
    const { instanceIds } = await client.instances.launch.mutate({
      name,
      count: 1,
      imageId: imageId ?? images[0]!.id,
      flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
      networkId: networks[0]!.id,
    });
    const id = instanceIds[0]!;
    await settled(id, "ACTIVE", client);
    return id;
  }

  async function settled(id: string, status: string, client = api.client) {
    return waitFor(`instance ${id} to be ${status} with no task`, async () => {
      const { instance } = await client.instances.get.query({ id });
      return instance.status === status && instance.taskState === null ? instance : null;
    });
  }

  async function imageRow(id: string) {
    const [row] = await db().select().from(schema.images).where(eq(schema.images.id, id));
    return row;
  }

  async function imageActive(id: string) {
    return waitFor(`image ${id} to be active`, async () => {
      const image = await api.client.images.get.query({ id });
      return image.status === "active" ? image : null;
    });
  }

  async function refusal(call: Promise<unknown>, code: string): Promise<string> {
    const error = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error, "the call should have been refused").toBeInstanceOf(TRPCClientError);
    expect((error as { data?: { code?: string } }).data?.code).toBe(code);
    return (error as Error).message;
  }

  async function remove(id: string) {
    await api.client.instances.delete.mutate({ id });
    await waitFor(
      "the instance to be deleted",
      async () => (await db().select().from(schema.instances).where(eq(schema.instances.id, id)))[0]?.vmState === "deleted",
    );
  }

  /** No snapshot image is left half-built: every one is active, or gone. */
  async function noHalfBuiltSnapshots() {
    const rows = await db().select().from(schema.images);
    for (const image of rows.filter((i) => i.properties.image_type === "snapshot")) {
      expect(["active", "deleted"], `snapshot image ${image.name} is ${image.status}`).toContain(image.status);
      if (image.status === "deleted") expect(image.stagedBytes).toBe(0);
    }
  }

  it("snapshots a running instance: image queued at once, task states pushed live, instance ACTIVE again, image active and launchable", async () => {
    const id = await launch("snap-web-1");
    const base = (await api.client.instances.get.query({ id })).instance;
    const { socket, received } = browserSocket(stack.server.url, api.cookie()!);
    await waitFor("the browser socket to connect", () => socket.connected);

    const started = await api.client.instances.snapshot.mutate({ instanceId: id, name: "snap-web-1-image", metadata: { purpose: "backup" } });
    expect(started.taskState).toBe("image_snapshot");
    // The image exists at once, queued, private to the project, with Nova's snapshot properties.
    const queued = await imageRow(started.imageId);
    expect(queued).toMatchObject({ name: "snap-web-1-image", visibility: "private", diskFormat: "qcow2", containerFormat: "bare" });
    expect(["queued", "saving", "active"]).toContain(queued!.status);
    expect(queued!.properties).toMatchObject({ image_type: "snapshot", instance_uuid: id, purpose: "backup" });
    expect(queued!.properties.base_image_ref).toBeTruthy();
    expect(queued!.minDiskGb).toBeGreaterThanOrEqual(1);

    const after = await settled(id, "ACTIVE");
    expect(after.powerState).toBe("running");
    expect(after.fault).toBeNull();
    const image = await imageActive(started.imageId);
    expect(image.properties).toMatchObject({ image_type: "snapshot", instance_uuid: id, nimbus_simulated_snapshot: "true" });
    expect(image.checksumSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(image.sizeBytes).toBeGreaterThan(0);
    expect(image.diskFormat).toBe("qcow2");
    expect(image.ownerProjectId).toBe(base.projectId);

    const mine = received
      .filter((m) => m.event === "instance.changed")
      .map((m) => instanceChangedSchema.parse(m.payload))
      .filter((c) => c.id === id);
    const states = mine.map((c) => c.taskState);
    expect(states).toContain("image_snapshot");
    expect(states).toContain("image_pending_upload");
    expect(states).toContain("image_uploading");
    expect(states.indexOf("image_pending_upload")).toBeLessThan(states.indexOf("image_uploading"));
    expect(mine.at(-1)).toMatchObject({ status: "ACTIVE", taskState: null });
    socket.close();

    const { actions } = await api.client.instances.get.query({ id });
    const action = actions.find((a) => a.action === "createImage")!;
    expect(action.finishTime).not.toBeNull();
    expect(action.events.map((e) => [e.event, e.result])).toEqual([["compute_snapshot_instance", "Success"]]);

    // The snapshot is on the Images page and in the launch catalog, and boots a new instance.
    expect((await api.client.images.list.query()).map((i) => i.id)).toContain(image.id);
    expect((await api.client.catalog.images.query()).map((i) => i.id)).toContain(image.id);
    const child = await launch("snap-web-1-child", { imageId: image.id });
    expect((await api.client.instances.get.query({ id: child })).instance.status).toBe("ACTIVE");
    await remove(child);
    await remove(id);
    await noHalfBuiltSnapshots();
    await assertInvariants(db());
  });

  it("snapshots a stopped instance and leaves it stopped; paused and suspended ones stay paused and suspended", async () => {
    const id = await launch("snap-web-2");
    await api.client.instances.stop.mutate({ id });
    await settled(id, "SHUTOFF");
    const stopped = await api.client.instances.snapshot.mutate({ instanceId: id, name: "snap-web-2-off" });
    const after = await settled(id, "SHUTOFF");
    expect(after.powerState).toBe("shutdown");
    await imageActive(stopped.imageId);

    await api.client.instances.start.mutate({ id });
    await settled(id, "ACTIVE");
    await api.client.instances.pause.mutate({ id });
    await settled(id, "PAUSED");
    const paused = await api.client.instances.snapshot.mutate({ instanceId: id, name: "snap-web-2-paused" });
    expect((await settled(id, "PAUSED")).powerState).toBe("paused");
    await imageActive(paused.imageId);

    await api.client.instances.unpause.mutate({ id });
    await settled(id, "ACTIVE");
    await api.client.instances.suspend.mutate({ id });
    await settled(id, "SUSPENDED");
    const suspended = await api.client.instances.snapshot.mutate({ instanceId: id, name: "snap-web-2-suspended" });
    await settled(id, "SUSPENDED");
    await imageActive(suspended.imageId);
    // It resumes from the memory it had: the snapshot did not touch it.
    await api.client.instances.resume.mutate({ id });
    await settled(id, "ACTIVE");
    await remove(id);
    await noHalfBuiltSnapshots();
    await assertInvariants(db());
  });

  it("refuses a snapshot while the instance builds, in plain words, and leaves no image", async () => {
    const [flavors, images, networks] = await Promise.all([
      api.client.catalog.flavors.query(),
      api.client.catalog.images.query(),
      api.client.catalog.networks.query(),
    ]);
    const before = (await db().select().from(schema.images)).length;
    agent.child.kill("SIGSTOP"); // the build cannot finish meanwhile
    let id: string;
    try {
      const launched = await api.client.instances.launch.mutate({
        name: "snap-building",
        count: 1,
        imageId: images[0]!.id,
        flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
        networkId: networks[0]!.id,
      });
      id = launched.instanceIds[0]!;
      expect(await refusal(api.client.instances.snapshot.mutate({ instanceId: id, name: "too-soon" }), "CONFLICT")).toBe(
        "Instance snap-building is still being built (BUILD): wait until it is ACTIVE.",
      );
    } finally {
      agent.child.kill("SIGCONT");
    }
    expect((await db().select().from(schema.images)).length).toBe(before);
    await settled(id!, "ACTIVE");
    await remove(id!);
    await assertInvariants(db());
  });

  it("two snapshots at once: one wins, the other gets a conflict and leaves no image", async () => {
    const id = await launch("snap-web-3");
    const before = (await db().select().from(schema.images)).length;
    const results = await Promise.allSettled([
      api.client.instances.snapshot.mutate({ instanceId: id, name: "race-a" }),
      api.client.instances.snapshot.mutate({ instanceId: id, name: "race-b" }),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as { data?: { code?: string } }).data?.code).toBe("CONFLICT");
    expect((lost[0]!.reason as Error).message).toMatch(/^Instance snap-web-3 is busy \(snapshotting/);
    expect((await db().select().from(schema.images)).length).toBe(before + 1);
    await imageActive(won[0]!.value.imageId);
    await settled(id, "ACTIVE");
    // A snapshot and another action at once: the same rule.
    const mixed = await Promise.allSettled([
      api.client.instances.snapshot.mutate({ instanceId: id, name: "race-c" }),
      api.client.instances.stop.mutate({ id }),
    ]);
    expect(mixed.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    await waitFor("the winner to finish", async () => (await api.client.instances.get.query({ id })).instance.taskState === null);
    await remove(id);
    await noHalfBuiltSnapshots();
    await assertInvariants(db());
  });

  it("delete during a snapshot wins: the snapshot is interrupted, its image deleted, nothing leaks", async () => {
    const id = await launch("snap-web-4");
    agent.child.kill("SIGSTOP"); // the snapshot reaches the host but does not run
    let imageId: string;
    try {
      ({ imageId } = await api.client.instances.snapshot.mutate({ instanceId: id, name: "doomed" }));
      expect((await api.client.instances.get.query({ id })).instance.taskState).toBe("image_snapshot");
      await api.client.instances.delete.mutate({ id });
    } finally {
      agent.child.kill("SIGCONT");
    }
    await waitFor(
      "the instance to be deleted",
      async () => (await db().select().from(schema.instances).where(eq(schema.instances.id, id)))[0]?.vmState === "deleted",
    );
    const actions = await db().select().from(schema.instanceActions).where(eq(schema.instanceActions.instanceId, id));
    expect(actions.find((a) => a.action === "createImage")?.message).toBe("Interrupted: the instance was deleted.");
    expect((await imageRow(imageId!))?.status).toBe("deleted");
    // The thawed host may still try to upload: the image is gone, so its upload is refused and nothing comes back.
    await waitFor("the host to have no snapshot file left", async () => {
      const { readdir } = await import("node:fs/promises");
      return (await readdir(`${agent.stateDir}/snapshots`).catch(() => [])).length === 0;
    });
    expect((await imageRow(imageId!))?.status).toBe("deleted");
    expect((await api.client.images.list.query()).map((i) => i.id)).not.toContain(imageId!);
    await noHalfBuiltSnapshots();
    await assertInvariants(db());
  });

  it("an agent killed mid-snapshot: the instance ends in its true state with a fault, the image is not left half-built", async () => {
    const killed = startAgent(stack.server.url, { hostname: "snap-2", env: agentEnv });
    await waitFor("the second host to be up", async () =>
      (await api.client.hosts.list.query()).find((h) => h.hostname === "snap-2" && h.state === "up"),
    );
    const snap1 = (await api.client.hosts.list.query()).find((h) => h.hostname === "snap-1")!;
    await db().update(schema.computeHosts).set({ enabled: false }).where(eq(schema.computeHosts.id, snap1.id));
    let id: string;
    try {
      id = await launch("snap-web-5");
    } finally {
      await db().update(schema.computeHosts).set({ enabled: true }).where(eq(schema.computeHosts.id, snap1.id));
    }
    killed.child.kill("SIGSTOP");
    const { imageId } = await api.client.instances.snapshot.mutate({ instanceId: id, name: "orphan" });
    await killed.stop("SIGKILL");
    const failed = await waitFor(
      "the snapshot to fail back",
      async () => {
        const { instance } = await api.client.instances.get.query({ id });
        return instance.taskState === null ? instance : null;
      },
      15_000,
    );
    expect(["HostDown", "ActionTimeout"]).toContain(failed.fault?.code);
    expect(failed.status).toBe("ACTIVE"); // as it was: the host never said otherwise
    const image = await imageRow(imageId);
    expect(["killed", "deleted"]).toContain(image?.status);
    expect((await api.client.catalog.images.query()).map((i) => i.id)).not.toContain(imageId);
    const { actions } = await api.client.instances.get.query({ id });
    const action = actions.find((a) => a.action === "createImage")!;
    expect(action.message).toMatch(/createImage/);
    await remove(id);
    await noHalfBuiltSnapshots();
    await assertInvariants(db());
  });

  it("image quotas: no room for another image is a clear refusal with no image; an upload past image_size_total fails back with a fault and no image", async () => {
    const id = await launch("snap-web-6");
    const project = (await api.client.instances.get.query({ id })).instance.projectId;
    const owned = (await db().select().from(schema.images).where(eq(schema.images.ownerProjectId, project))).filter(
      (i) => i.status !== "deleted",
    ).length;
    await api.client.quotas.set.mutate({ projectId: project, limits: { image_count_total: owned } });
    const before = (await db().select().from(schema.images)).length;
    const message = await refusal(api.client.instances.snapshot.mutate({ instanceId: id, name: "over-count" }), "FORBIDDEN");
    expect(message).toMatch(/image_count_total|images/i);
    expect((await db().select().from(schema.images)).length).toBe(before);
    expect((await api.client.instances.get.query({ id })).instance.taskState).toBeNull();

    // Room for the record, none for its bits: the upload is refused (413) and the snapshot fails back.
    await api.client.quotas.set.mutate({ projectId: project, limits: { image_count_total: owned + 5, image_size_total: 0 } });
    const { imageId } = await api.client.instances.snapshot.mutate({ instanceId: id, name: "over-size" });
    const failed = await waitFor("the snapshot to fail back", async () => {
      const { instance } = await api.client.instances.get.query({ id });
      return instance.taskState === null ? instance : null;
    });
    expect(failed.status).toBe("ACTIVE");
    expect(failed.fault?.message).toMatch(/image_size_total/);
    expect((await imageRow(imageId))?.status).toBe("deleted");
    await api.client.quotas.set.mutate({ projectId: project, limits: { image_count_total: 100, image_size_total: 102_400 } });
    await remove(id);
    await noHalfBuiltSnapshots();
    await assertInvariants(db());
  });

  it("another project's instance is not found; a reader may not snapshot; nobody but a host may upload a snapshot's bits", async () => {
    const id = await launch("snap-web-7");
    await addUser(stack, { name: "snap-reader", project: "admin", role: "reader" });
    await addUser(stack, { name: "snap-other", project: "elsewhere", role: "member" });
    const reader = await signedInClient(stack.server.url, "snap-reader", PERSONA_PASSWORD);
    const other = await signedInClient(stack.server.url, "snap-other", PERSONA_PASSWORD);
    const before = (await db().select().from(schema.images)).length;
    await refusal(reader.client.instances.snapshot.mutate({ instanceId: id, name: "nope" }), "FORBIDDEN");
    await refusal(other.client.instances.snapshot.mutate({ instanceId: id, name: "nope" }), "NOT_FOUND");
    await refusal(api.client.instances.snapshot.mutate({ instanceId: id, name: "   " }), "BAD_REQUEST");
    expect((await db().select().from(schema.images)).length).toBe(before);

    // The upload route: a signed-in user is refused; a host with no snapshot of that image gets 404.
    agent.child.kill("SIGSTOP");
    let imageId: string;
    try {
      ({ imageId } = await api.client.instances.snapshot.mutate({ instanceId: id, name: "guarded" }));
      const asUser = await fetch(`${stack.server.url}${SNAPSHOT_UPLOAD_PATH(imageId)}`, {
        method: "PUT",
        headers: { cookie: api.cookie()!, "content-type": "application/octet-stream" },
        body: "not a disk",
      });
      expect(asUser.status).toBe(403);
      const otherHost = await fetch(`${stack.server.url}${SNAPSHOT_UPLOAD_PATH(imageId)}`, {
        method: "PUT",
        headers: { "x-nimbus-hostname": "snap-2", "x-nimbus-agent-secret": AGENT_SECRET, "content-type": "application/octet-stream" },
        body: "not a disk",
      });
      // Unknown to the server, or known but not snapshotting this image: nothing either way.
      expect([401, 404]).toContain(otherHost.status);
      expect((await imageRow(imageId))?.status).toBe("queued");
    } finally {
      agent.child.kill("SIGCONT");
    }
    await imageActive(imageId!);
    await settled(id, "ACTIVE");
    await remove(id);
    await noHalfBuiltSnapshots();
    await assertInvariants(db());
  });
});
