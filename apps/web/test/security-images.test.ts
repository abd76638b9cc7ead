import { randomUUID } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENROLL_PATH, IMAGE_DOWNLOAD_PATH } from "@nimbus/core/protocol/http";
import {
  addUser,
  AGENT_SECRET,
  openUpload,
  PERSONA_PASSWORD,
  protocolPeer,
  signedInClient,
  startStack,
  TRPCClientError,
  waitFor,
  type Stack,
} from "./harness";

/**
 * Issue 21, "Images: only the owners and the hosts that need them", against a real server on
 * real PostgreSQL: host-scoped image download, member consent, image quotas (also while an
 * upload streams), the image-to-volume launch counted once, and a revoked hostname refused with
 * the shared secret.
 */

type Client = Awaited<ReturnType<typeof signedInClient>>["client"];

const MiB = 1024 * 1024;

/** What a refused call carried: tRPC code, domain code, message. */
async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof TRPCClientError)) throw new Error(`expected a refusal, got ${error === null ? "success" : String(error)}`);
  const data = error.data as { code: string; nimbus: { code: string } | null; fieldErrors: Record<string, string[]> | null };
  return { code: data.code, nimbusCode: data.nimbus?.code ?? null, message: error.message, fieldErrors: data.fieldErrors ?? {} };
}

/** PUT of an image's bits as the console sends them; the answer's status and JSON body. */
async function putFile(baseUrl: string, imageId: string, cookie: string, body: Buffer) {
  const response = await fetch(`${baseUrl}/api/images/${imageId}/file`, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream", cookie },
    body: new Uint8Array(body),
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
}

/** A hand-driven agent that takes spawns (and never builds) and answers destroys as a host whose domain is gone. */
async function peerHost(baseUrl: string, hostname: string): Promise<Socket> {
  const socket = await protocolPeer(baseUrl, hostname, { heartbeat: true });
  socket.on("instance.spawn", (_command: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
  socket.on("instance.destroy", (_command: unknown, ack: (r: unknown) => void) => ack({ ok: false, error: "no such domain" }));
  return socket;
}

describe("images: only the owners and the hosts that need them (real PostgreSQL)", () => {
  let stack: Stack;
  let url: string;
  let admin: Client;
  let alice: Client;
  let aliceCookie: string;

  beforeAll(async () => {
    stack = await startStack("postgres", { NIMBUS_IMAGE_MAX_BYTES: String(64 * MiB) });
    url = stack.server.url;
    await addUser(stack, { name: "alice", project: "demo", role: "member" });
    admin = (await signedInClient(url)).client;
    const session = await signedInClient(url, "alice", PERSONA_PASSWORD);
    alice = session.client;
    aliceCookie = session.cookie()!;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** An active raw image of alice's: 1 MiB of one byte. */
  async function aliceImage(name: string, options: { kind?: "kernel" | "ramdisk"; kernelId?: string; ramdiskId?: string } = {}) {
    const image = await alice.images.create.mutate({ name, ...options });
    expect((await putFile(url, image.id, aliceCookie, Buffer.alloc(MiB, name.length))).status).toBe(200);
    return image;
  }

  /** A session of a new user with `role` in `project` (created if needed), and the project's id. */
  async function persona(name: string, project: string, role: "reader" | "member" = "member") {
    const { projectId } = await addUser(stack, { name, project, role });
    const session = await signedInClient(url, name, PERSONA_PASSWORD);
    return { client: session.client, cookie: session.cookie()!, projectId };
  }

  async function launchContext(client: Client) {
    const [flavors, networks] = await Promise.all([client.catalog.flavors.query(), client.catalog.networks.query()]);
    return { flavorId: flavors.find((f) => f.name === "m1.tiny")!.id, networkId: networks[0]!.id };
  }

  describe("the agent image route", () => {
    const peers: Socket[] = [];
    afterAll(() => {
      for (const peer of peers) peer.disconnect();
    });
    const download = (imageId: string, hostname: string) =>
      fetch(`${url}${IMAGE_DOWNLOAD_PATH(imageId)}`, { headers: { "x-nimbus-hostname": hostname, "x-nimbus-agent-secret": AGENT_SECRET } });

    it("serves a host only the images a build or instance placed on it uses (root, kernel, ramdisk, volume source); any other is 404", async () => {
      const kernel = await aliceImage("vmlinuz", { kind: "kernel" });
      const ramdisk = await aliceImage("initrd", { kind: "ramdisk" });
      const disk = await aliceImage("direct-boot", { kernelId: kernel.id, ramdiskId: ramdisk.id });
      const volumeSource = await aliceImage("volume-source");
      const unused = await aliceImage("unused");
      const all = [kernel, ramdisk, disk, volumeSource, unused];

      // A host with nothing on it gets none of them, answered as an image that does not exist.
      peers.push(await peerHost(url, "host-a"));
      for (const image of all) expect((await download(image.id, "host-a")).status, image.name).toBe(404);
      const unknown = await download(randomUUID(), "host-a");
      const hidden = await download(unused.id, "host-a");
      expect([unknown.status, hidden.status]).toEqual([404, 404]);
      const bodies = [(await unknown.json()) as { error: string }, (await hidden.json()) as { error: string }];
      expect(bodies[0]!.error.replace(/[0-9a-f-]{36}/, "<id>")).toBe(bodies[1]!.error.replace(/[0-9a-f-]{36}/, "<id>"));

      // An instance of the direct-boot image with a volume made from another image, placed on host-a (the only host).
      const volume = await alice.volumes.create.mutate({ name: "data", sizeGb: 1, imageId: volumeSource.id });
      const { instanceIds } = await alice.instances.launch.mutate({
        name: "user",
        count: 1,
        imageId: disk.id,
        ...(await launchContext(alice)),
        volumes: [{ volumeId: volume.id, deleteOnTermination: true }],
      });
      const id = instanceIds[0]!;
      await waitFor("the build placed on host-a", async () => (await alice.instances.get.query({ id })).instance.hostname === "host-a");
      peers.push(await peerHost(url, "host-b"));

      for (const image of [disk, kernel, ramdisk, volumeSource]) {
        const response = await download(image.id, "host-a");
        expect(response.status, image.name).toBe(200);
        expect(Buffer.from(await response.arrayBuffer()).length).toBe(MiB);
        // Another host, enrolled just the same, runs nothing that uses it.
        expect((await download(image.id, "host-b")).status, `${image.name} on host-b`).toBe(404);
      }
      expect((await download(unused.id, "host-a")).status).toBe(404);

      // Once the instance is gone, its host has no more use for its images.
      await alice.instances.delete.mutate({ id });
      await waitFor("the instance deleted", async () => (await alice.instances.list.query()).every((i) => i.id !== id));
      for (const image of [disk, kernel, ramdisk, volumeSource]) expect((await download(image.id, "host-a")).status, image.name).toBe(404);
    });
  });

  describe("image members (Glance's consent)", () => {
    let bob: Client;
    let rita: Client;
    let carol: Client;
    let otherProjectId: string;
    let thirdProjectId: string;

    beforeAll(async () => {
      ({ client: bob, projectId: otherProjectId } = await persona("bob", "other"));
      ({ client: rita } = await persona("rita", "other", "reader"));
      ({ client: carol, projectId: thirdProjectId } = await persona("carol", "third"));
    });

    it("an offered image stays out of the member's list, catalog and launches until it accepts; rejecting hides it again", async () => {
      const image = await aliceImage("offered");
      const shared = await alice.images.addMember.mutate({ id: image.id, projectId: otherProjectId });
      expect(shared).toMatchObject({ visibility: "shared", members: [{ projectId: otherProjectId, status: "pending", projectName: null }] });

      const hiddenFromBob = async () => {
        expect((await bob.images.list.query()).map((i) => i.id)).not.toContain(image.id);
        expect((await bob.catalog.images.query()).map((i) => i.id)).not.toContain(image.id);
        expect((await refusal(bob.images.get.query({ id: image.id }))).code).toBe("NOT_FOUND");
        const launch = await refusal(bob.instances.launch.mutate({ name: "x", count: 1, imageId: image.id, ...(await launchContext(bob)) }));
        expect(launch.code).toBe("NOT_FOUND");
        const volume = await refusal(bob.volumes.create.mutate({ name: "x", sizeGb: 1, imageId: image.id }));
        expect(volume.code).toBe("NOT_FOUND");
      };
      await hiddenFromBob();
      // The member project sees the offer, with who makes it, to answer it.
      expect(await bob.images.shares.query()).toEqual([
        expect.objectContaining({ id: image.id, name: "offered", ownerProjectName: "demo", status: "pending", sizeBytes: MiB }),
      ]);
      expect(await rita.images.shares.query()).toHaveLength(1);

      // Only the member project answers, and only its members (not its readers).
      expect((await refusal(rita.images.updateMember.mutate({ id: image.id, status: "accepted" }))).code).toBe("FORBIDDEN");
      expect((await refusal(alice.images.updateMember.mutate({ id: image.id, status: "accepted" }))).code).toBe("FORBIDDEN");
      expect((await refusal(carol.images.updateMember.mutate({ id: image.id, status: "accepted" }))).code).toBe("NOT_FOUND");
      expect(await carol.images.shares.query()).toEqual([]);
      await hiddenFromBob();

      expect(await bob.images.updateMember.mutate({ id: image.id, status: "accepted" })).toEqual({ id: image.id, status: "accepted" });
      expect((await bob.images.list.query()).map((i) => i.id)).toContain(image.id);
      expect((await bob.catalog.images.query()).map((i) => i.id)).toContain(image.id);
      expect(await bob.images.get.query({ id: image.id })).toMatchObject({ owned: false, ownerProjectName: "demo" });
      const launched = await bob.instances.launch.mutate({ name: "accepted", count: 1, imageId: image.id, ...(await launchContext(bob)) });
      expect(launched.instanceIds).toHaveLength(1);
      // Having accepted, the member is named to the owner.
      expect((await alice.images.get.query({ id: image.id })).members).toEqual([
        { projectId: otherProjectId, status: "accepted", projectName: "other" },
      ]);

      await bob.images.updateMember.mutate({ id: image.id, status: "rejected" });
      await hiddenFromBob();
      expect((await bob.images.shares.query())[0]).toMatchObject({ id: image.id, status: "rejected" });
      expect((await alice.images.get.query({ id: image.id })).members).toEqual([
        { projectId: otherProjectId, status: "rejected", projectName: null },
      ]);
      // Offering it again does not overrule the member's answer.
      await alice.images.addMember.mutate({ id: image.id, projectId: otherProjectId });
      await hiddenFromBob();
    });

    it("members are project ids: an id no project has is answered exactly as one the owner cannot see; names are not taken", async () => {
      const image = await aliceImage("probe");
      const nobody = randomUUID();
      const toNobody = await alice.images.addMember.mutate({ id: image.id, projectId: nobody });
      const toThird = await alice.images.addMember.mutate({ id: image.id, projectId: thirdProjectId });
      const member = (view: typeof toThird, projectId: string) => view.members.find((m) => m.projectId === projectId);
      expect(member(toNobody, nobody)).toEqual({ projectId: nobody, status: "pending", projectName: null });
      expect(member(toThird, thirdProjectId)).toEqual({ projectId: thirdProjectId, status: "pending", projectName: null });
      expect(member(toThird, nobody)).toEqual(member(toNobody, nobody));
      await alice.images.removeMember.mutate({ id: image.id, projectId: nobody });

      // The old name form, or anything that is not an id, is a field error: no lookup by name.
      const byName = await refusal(alice.images.addMember.mutate({ id: image.id, projectId: "other" }));
      expect(byName.code).toBe("BAD_REQUEST");
      expect(byName.fieldErrors.projectId?.[0]).toMatch(/project id/);
      expect(
        (await refusal(alice.images.addMember.mutate({ id: image.id, project: "other" } as unknown as { id: string; projectId: string }))).code,
      ).toBe("BAD_REQUEST");
    });
  });

  describe("image quotas (Glance's image_count_total, image_size_total, image_stage_total)", () => {
    let dave: Client;
    let daveCookie: string;
    let quotaProjectId: string;
    const store = () => (existsSync(stack.server.services.imageStoreDir) ? readdirSync(stack.server.services.imageStoreDir) : []);

    beforeAll(async () => {
      ({ client: dave, cookie: daveCookie, projectId: quotaProjectId } = await persona("dave", "quota"));
    });

    it("counts a project's images against image_count_total, checked as each is created", async () => {
      await admin.quotas.set.mutate({ projectId: quotaProjectId, limits: { image_count_total: 2 } });
      const first = await dave.images.create.mutate({ name: "one" });
      await dave.images.create.mutate({ name: "two" });
      const third = await refusal(dave.images.create.mutate({ name: "three" }));
      expect(third).toMatchObject({
        code: "FORBIDDEN",
        nimbusCode: "QuotaExceeded",
        message: "Quota exceeded for images: requested 1, already used 2 of 2.",
      });
      expect((await dave.quota.usage.query()).image_count_total).toEqual({ limit: 2, used: 2 });
      await dave.images.delete.mutate({ id: first.id });
      await dave.images.create.mutate({ name: "three" });
      expect((await admin.quotas.get.query({ projectId: quotaProjectId })).used.image_count_total).toBe(2);
    });

    it("stops an upload mid-way once it would pass image_size_total: 413, the image killed, nothing left behind, usage unchanged", async () => {
      await admin.quotas.set.mutate({ projectId: quotaProjectId, limits: { image_count_total: 20, image_size_total: 3, image_stage_total: -1 } });
      const stored = await dave.images.create.mutate({ name: "stored" });
      expect((await putFile(url, stored.id, daveCookie, Buffer.alloc(2 * MiB, 1))).status).toBe(200);
      expect((await dave.quota.usage.query()).image_size_total).toEqual({ limit: 3, used: 2 });

      const big = await dave.images.create.mutate({ name: "too-big" });
      const { req, answer } = openUpload(url, big.id, daveCookie);
      req.write(Buffer.alloc(MiB, 2));
      await waitFor("the first MiB received", () => existsSync(`${stack.server.services.imageStoreDir}/${big.id}.partial`));
      await waitFor("the upload's reservation", async () => (await dave.quota.usage.query()).image_stage_total.used === 1);
      // The next byte passes the limit: the answer comes while the request is still open.
      req.write(Buffer.alloc(MiB, 2));
      const refused = await answer;
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body)).toEqual({
        error: { code: "QuotaExceeded", message: expect.stringMatching(/^Quota exceeded for image storage \(image_size_total\)/) },
      });
      req.destroy();
      await waitFor("the image killed", async () => (await dave.images.get.query({ id: big.id })).status === "killed");
      expect(store().filter((f) => f.startsWith(big.id))).toEqual([]);
      const usage = await dave.quota.usage.query();
      expect([usage.image_size_total.used, usage.image_stage_total.used]).toEqual([2, 0]);

      // A declared size over what is left is refused before a byte is read.
      const declared = await dave.images.create.mutate({ name: "declared" });
      const upfront = await putFile(url, declared.id, daveCookie, Buffer.alloc(2 * MiB, 3));
      expect(upfront.status).toBe(413);
      expect(upfront.body.error?.code).toBe("QuotaExceeded");
      expect((await dave.images.get.query({ id: declared.id })).status).toBe("killed");
      expect(store().filter((f) => f.startsWith(declared.id))).toEqual([]);

      // What fits still goes through.
      const small = await dave.images.create.mutate({ name: "fits" });
      expect((await putFile(url, small.id, daveCookie, Buffer.alloc(MiB, 4))).status).toBe(200);
      expect((await dave.quota.usage.query()).image_size_total).toEqual({ limit: 3, used: 3 });
    });

    it("counts uploads under way together against image_stage_total: a second one is stopped while the first holds the room", async () => {
      await admin.quotas.set.mutate({ projectId: quotaProjectId, limits: { image_count_total: 20, image_size_total: -1, image_stage_total: 1 } });
      const first = await dave.images.create.mutate({ name: "first" });
      const second = await dave.images.create.mutate({ name: "second" });
      const one = openUpload(url, first.id, daveCookie);
      one.req.write(Buffer.alloc(MiB - 4096, 5));
      await waitFor("the first upload holding the room", async () => (await dave.quota.usage.query()).image_stage_total.used === 1);
      const two = openUpload(url, second.id, daveCookie);
      two.req.write(Buffer.alloc(8192, 6));
      const refused = await two.answer;
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body).error.message).toMatch(/image uploads under way \(image_stage_total\)/);
      two.req.destroy();
      one.req.end(Buffer.alloc(4096, 5));
      expect((await one.answer).status).toBe(200);
      expect((await dave.images.get.query({ id: first.id })).status).toBe("active");
      await waitFor("the second killed", async () => (await dave.images.get.query({ id: second.id })).status === "killed");
      expect((await dave.quota.usage.query()).image_stage_total.used).toBe(0);
      // The admin's quota editor shows the image figures beside their limits.
      const quotas = await admin.quotas.get.query({ projectId: quotaProjectId });
      expect(quotas.limits).toMatchObject({ image_count_total: 20, image_size_total: -1, image_stage_total: 1 });
      expect(quotas.defaults).toMatchObject({ image_count_total: 100, image_size_total: 102_400, image_stage_total: 20_480 });
      expect(quotas.used).toMatchObject({ image_size_total: 4, image_stage_total: 0 });
    });
  });

  describe("volumes made at launch", () => {
    it("counts an image-to-volume root once against the volumes quota", async () => {
      const { client: erin, projectId } = await persona("erin", "one-volume");
      await admin.quotas.set.mutate({ projectId, limits: { volumes: 1, gigabytes: 10 } });
      const imageId = (await erin.catalog.images.query())[0]!.id;
      const bootSource = { type: "image-to-volume" as const, sizeGb: 1, deleteOnTermination: true };
      const launched = await erin.instances.launch.mutate({ name: "on-volume", count: 1, imageId, ...(await launchContext(erin)), bootSource });
      expect(launched.instanceIds).toHaveLength(1);
      expect((await erin.quota.usage.query()).volumes).toEqual({ limit: 1, used: 1 });

      const second = await refusal(erin.instances.launch.mutate({ name: "second", count: 1, imageId, ...(await launchContext(erin)), bootSource }));
      expect(second.message).toBe("Quota exceeded for volumes: requested 1, already used 1 of 1.");
      // Two at once, each with its root volume: two more volumes and GB, no more.
      await admin.quotas.set.mutate({ projectId, limits: { volumes: 3, gigabytes: 3 } });
      const pair = await erin.instances.launch.mutate({ name: "pair", count: 2, imageId, ...(await launchContext(erin)), bootSource });
      expect(pair.instanceIds).toHaveLength(2);
      expect(await erin.quota.usage.query()).toMatchObject({ volumes: { limit: 3, used: 3 }, gigabytes: { limit: 3, used: 3 } });
    });
  });

  describe("agent access", () => {
    it("refuses the shared secret for a hostname an admin revoked, until it is enrolled again", async () => {
      const enrol = async () => {
        const { token } = await admin.agents.createJoinToken.mutate({ hostname: "node-r" });
        const response = await fetch(`${url}${ENROLL_PATH}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ joinToken: token, hostname: "node-r" }),
        });
        expect(response.status).toBe(200);
      };
      await enrol();
      await admin.agents.revoke.mutate({ hostname: "node-r" });

      await expect(protocolPeer(url, "node-r")).rejects.toThrow("invalid agent credential");
      // DNS names are one name whatever their case.
      await expect(protocolPeer(url, "NODE-R")).rejects.toThrow("invalid agent credential");
      const image = await aliceImage("for-node-r");
      const asRevoked = await fetch(`${url}${IMAGE_DOWNLOAD_PATH(image.id)}`, {
        headers: { "x-nimbus-hostname": "node-r", "x-nimbus-agent-secret": AGENT_SECRET },
      });
      expect(asRevoked.status).toBe(401);
      expect((await admin.hosts.list.query()).some((h) => h.hostname.toLowerCase() === "node-r")).toBe(false);

      // Any other hostname still joins with the secret, and node-r does once an admin enrols it again.
      const other = await protocolPeer(url, "node-s");
      other.disconnect();
      await enrol();
      const again = await protocolPeer(url, "node-r");
      again.disconnect();
    });
  });
});
