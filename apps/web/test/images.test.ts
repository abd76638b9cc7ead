import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_DOWNLOAD_PATH } from "@nimbus/core/protocol/http";
import {
  addUser,
  AGENT_SECRET,
  freshDatabase,
  openUpload,
  PERSONA_PASSWORD,
  protocolPeer,
  signedInClient,
  startStack,
  waitFor,
  type Stack,
} from "./harness";
import { freePort, startWebProcess, type WebProcess } from "./processes";

type Client = Awaited<ReturnType<typeof signedInClient>>["client"];

const MiB = 1024 * 1024;
const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** PUT of an image's bits as the console sends them; the answer's JSON body. */
async function putFile(
  baseUrl: string,
  imageId: string,
  cookie: string | null,
  body: Buffer | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${baseUrl}/api/images/${imageId}/file`, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream", ...(cookie ? { cookie } : {}), ...headers },
    body,
    duplex: "half",
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as { error?: { code: string; message: string } } & Record<string, unknown> };
}

/** `count` chunks of `chunk` zero bytes, produced as they are read (never all in memory). */
function zeros(count: number, chunk = MiB): ReadableStream<Uint8Array> {
  const block = new Uint8Array(chunk);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ < count) controller.enqueue(block);
      else controller.close();
    },
  });
}

const storeFiles = (stack: Stack) => (existsSync(stack.server.services.imageStoreDir) ? readdirSync(stack.server.services.imageStoreDir) : []);

describe("images (Glance): create, upload, inspect, share, download", () => {
  let stack: Stack;
  let url: string;
  let work: string;
  let alice: Client;
  let aliceCookie: string;
  let bob: Client;
  let bobCookie: string;
  let reader: Client;
  let readerCookie: string;
  let admin: Client;
  let adminCookie: string;
  let otherProjectId: string;

  beforeAll(async () => {
    stack = await startStack("pglite", { NIMBUS_IMAGE_MAX_BYTES: String(8 * MiB) });
    url = stack.server.url;
    work = mkdtempSync(path.join(tmpdir(), "nimbus-images-"));
    await addUser(stack, { name: "alice", project: "demo", role: "member" });
    ({ projectId: otherProjectId } = await addUser(stack, { name: "bob", project: "other", role: "member" }));
    await addUser(stack, { name: "rita", project: "demo", role: "reader" });
    const sessions = await Promise.all([
      signedInClient(url, "alice", PERSONA_PASSWORD),
      signedInClient(url, "bob", PERSONA_PASSWORD),
      signedInClient(url, "rita", PERSONA_PASSWORD),
      signedInClient(url),
    ]);
    [{ client: alice }, { client: bob }, { client: reader }, { client: admin }] = sessions;
    [aliceCookie, bobCookie, readerCookie, adminCookie] = sessions.map((s) => s.cookie()!) as [string, string, string, string];
  });
  afterAll(async () => {
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function qcow2(name: string, size = "64M", backing?: string): string {
    const file = path.join(work, name);
    execFileSync("qemu-img", ["create", "-f", "qcow2", ...(backing ? ["-b", backing, "-F", "raw"] : []), file, size], { stdio: "ignore" });
    return file;
  }

  it("detects a qcow2 even when the uploader claimed raw: active with size, virtual size and sha256", async () => {
    const file = qcow2("disk.qcow2");
    const bytes = readFileSync(file);
    const image = await alice.images.create.mutate({ name: "cirros", diskFormat: "raw", minRamMb: 256 });
    expect(image).toMatchObject({ status: "queued", owned: true, kind: "disk", visibility: "private" });

    const upload = await putFile(url, image.id, aliceCookie, bytes);
    expect(upload.status).toBe(200);
    const active = await alice.images.get.query({ id: image.id });
    expect(active).toMatchObject({
      status: "active",
      diskFormat: "qcow2",
      sizeBytes: bytes.length,
      virtualSizeBytes: 64 * MiB,
      checksumSha256: sha256(bytes),
      minRamMb: 256,
    });
    expect(storeFiles(stack)).toContain(image.id);
    expect(storeFiles(stack).filter((f) => f.endsWith(".partial"))).toEqual([]);
    // Now a launchable image of the project.
    expect((await alice.catalog.images.query()).map((i) => i.id)).toContain(image.id);
  });

  it("a raw file is raw; a text file named .qcow2 is raw too (qemu-img probes the content, as Glance accepts it)", async () => {
    const raw = Buffer.alloc(2 * MiB, 7);
    const rawImage = await alice.images.create.mutate({ name: "raw-disk", diskFormat: "qcow2" });
    expect((await putFile(url, rawImage.id, aliceCookie, raw)).status).toBe(200);
    expect(await alice.images.get.query({ id: rawImage.id })).toMatchObject({
      status: "active",
      diskFormat: "raw",
      sizeBytes: raw.length,
      virtualSizeBytes: raw.length,
      checksumSha256: sha256(raw),
    });

    const text = path.join(work, "notes.qcow2");
    writeFileSync(text, "this is not a disk image, whatever its name says\n");
    const textImage = await alice.images.create.mutate({ name: "notes.qcow2", diskFormat: "qcow2" });
    expect((await putFile(url, textImage.id, aliceCookie, readFileSync(text))).status).toBe(200);
    expect(await alice.images.get.query({ id: textImage.id })).toMatchObject({ status: "active", diskFormat: "raw" });
  });

  it("refuses a qcow2 with a backing file: the image ends killed and no partial file is left", async () => {
    const base = path.join(work, "base.raw");
    writeFileSync(base, Buffer.alloc(MiB));
    const overlay = qcow2("overlay.qcow2", "1M", base);
    const image = await alice.images.create.mutate({ name: "sneaky" });
    const upload = await putFile(url, image.id, aliceCookie, readFileSync(overlay));
    expect(upload.status).toBe(400);
    expect(upload.body.error).toMatchObject({ code: "InvalidImage", message: expect.stringMatching(/backing/) });
    expect(await alice.images.get.query({ id: image.id })).toMatchObject({ status: "killed", sizeBytes: null, checksumSha256: null });
    expect(storeFiles(stack).filter((f) => f.startsWith(image.id))).toEqual([]);
    // A killed image takes no second upload.
    expect((await putFile(url, image.id, aliceCookie, Buffer.alloc(MiB))).status).toBe(409);
  });

  it("an upload cut off midway leaves the image killed and removes the partial file", async () => {
    const image = await alice.images.create.mutate({ name: "cut" });
    const { req, answer } = openUpload(url, image.id, aliceCookie);
    req.write(Buffer.alloc(MiB, 1));
    await waitFor("the upload to start saving", async () => (await alice.images.get.query({ id: image.id })).status === "saving");
    await waitFor("the partial file", () => existsSync(path.join(stack.server.services.imageStoreDir, `${image.id}.partial`)));
    req.destroy();
    await answer.catch(() => undefined);
    await waitFor("the image to be killed", async () => (await alice.images.get.query({ id: image.id })).status === "killed");
    expect(existsSync(path.join(stack.server.services.imageStoreDir, `${image.id}.partial`))).toBe(false);
  });

  it("a second upload while the first is running is refused with 409; the first completes", async () => {
    const image = await alice.images.create.mutate({ name: "twice" });
    const first = openUpload(url, image.id, aliceCookie);
    first.req.write(Buffer.alloc(MiB, 3));
    await waitFor("the first upload to be saving", async () => (await alice.images.get.query({ id: image.id })).status === "saving");
    const second = await putFile(url, image.id, aliceCookie, Buffer.alloc(MiB));
    expect(second.status).toBe(409);
    expect(second.body.error?.code).toBe("Conflict");
    first.req.end(Buffer.alloc(MiB, 3));
    expect((await first.answer).status).toBe(200);
    expect(await alice.images.get.query({ id: image.id })).toMatchObject({
      status: "active",
      sizeBytes: 2 * MiB,
      checksumSha256: sha256(Buffer.alloc(2 * MiB, 3)),
    });
  });

  it("refuses an image over NIMBUS_IMAGE_MAX_BYTES, declared or streamed, with 413 and kills it", async () => {
    const declared = await alice.images.create.mutate({ name: "big-declared" });
    const tooBig = await putFile(url, declared.id, aliceCookie, Buffer.alloc(9 * MiB));
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error?.code).toBe("TooLarge");
    expect((await alice.images.get.query({ id: declared.id })).status).toBe("killed");

    const streamed = await alice.images.create.mutate({ name: "big-streamed" });
    const chunked = await putFile(url, streamed.id, aliceCookie, zeros(9));
    expect(chunked.status).toBe(413);
    expect((await alice.images.get.query({ id: streamed.id })).status).toBe("killed");
    expect(storeFiles(stack).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });

  it("guards the upload route: sign-in, member role, same origin, raw bytes", async () => {
    const image = await alice.images.create.mutate({ name: "guarded" });
    const body = Buffer.alloc(MiB);
    expect((await putFile(url, image.id, null, body)).status).toBe(401);
    const asReader = await putFile(url, image.id, readerCookie, body);
    expect(asReader.status).toBe(403);
    expect(asReader.body.error?.code).toBe("Forbidden");
    expect((await putFile(url, image.id, aliceCookie, body, { origin: "http://evil.example" })).status).toBe(403);
    expect((await putFile(url, image.id, aliceCookie, body, { "content-type": "multipart/form-data; boundary=x" })).status).toBe(415);
    expect((await putFile(url, "not-an-id", aliceCookie, body)).status).toBe(404);
    // None of these touched the image.
    expect((await alice.images.get.query({ id: image.id })).status).toBe("queued");
    // An API token works as the session does, and the same-origin console is welcome.
    const token = await alice.tokens.create.mutate({ name: "upload" });
    expect((await putFile(url, image.id, null, body, { authorization: `Bearer ${token.token}`, origin: url })).status).toBe(200);
  });

  it("visibility: private to its project, shared with members, public by cloud admins only", async () => {
    const image = await alice.images.create.mutate({ name: "team-image" });
    expect((await putFile(url, image.id, aliceCookie, Buffer.alloc(MiB, 9))).status).toBe(200);
    const notFound = { data: { code: "NOT_FOUND" } };

    await expect(bob.images.get.query({ id: image.id })).rejects.toMatchObject(notFound);
    expect((await bob.images.list.query()).map((i) => i.id)).not.toContain(image.id);
    await expect(bob.images.delete.mutate({ id: image.id })).rejects.toMatchObject(notFound);
    await expect(bob.images.addMember.mutate({ id: image.id, projectId: otherProjectId })).rejects.toMatchObject(notFound);

    const shared = await alice.images.addMember.mutate({ id: image.id, projectId: otherProjectId });
    expect(shared.visibility).toBe("shared");
    // Offered, not yet accepted: the owner sees the id it typed and the answer pending.
    expect(shared.members).toEqual([{ projectId: otherProjectId, status: "pending", projectName: null }]);
    await bob.images.updateMember.mutate({ id: image.id, status: "accepted" });
    expect((await alice.images.get.query({ id: image.id })).members).toEqual([
      { projectId: otherProjectId, status: "accepted", projectName: "other" },
    ]);
    const seen = await bob.images.get.query({ id: image.id });
    expect(seen).toMatchObject({ visibility: "shared", owned: false, ownerProjectName: "demo", members: [] });
    expect((await bob.catalog.images.query()).map((i) => i.id)).toContain(image.id);
    // A member sees the image but does not own it.
    await expect(bob.images.delete.mutate({ id: image.id })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(bob.images.update.mutate({ id: image.id, name: "mine" })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });

    await alice.images.removeMember.mutate({ id: image.id, projectId: otherProjectId });
    await expect(bob.images.get.query({ id: image.id })).rejects.toMatchObject(notFound);

    await expect(alice.images.create.mutate({ name: "for-all", visibility: "public" })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(alice.images.update.mutate({ id: image.id, visibility: "public" })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    const published = await admin.images.create.mutate({ name: "for-all", visibility: "public" });
    expect((await putFile(url, published.id, adminCookie, Buffer.alloc(MiB, 5))).status).toBe(200);
    expect(await bob.images.get.query({ id: published.id })).toMatchObject({ visibility: "public", owned: false });
    // Another project's queued image is not listed, even public.
    const queued = await admin.images.create.mutate({ name: "not-yet", visibility: "public" });
    expect((await bob.images.list.query()).map((i) => i.id)).not.toContain(queued.id);
    expect((await admin.images.list.query()).map((i) => i.id)).toContain(queued.id);
  });

  it("a member of another project cannot upload to your image: 404 while private or only offered, 403 once they accepted it", async () => {
    const image = await alice.images.create.mutate({ name: "not-yours" });
    const body = Buffer.alloc(MiB);
    const hidden = await putFile(url, image.id, bobCookie, body);
    expect(hidden.status).toBe(404);
    expect(hidden.body.error?.code).toBe("NotFound");
    await alice.images.addMember.mutate({ id: image.id, projectId: otherProjectId });
    expect((await putFile(url, image.id, bobCookie, body)).status).toBe(404);
    await bob.images.updateMember.mutate({ id: image.id, status: "accepted" });
    expect((await putFile(url, image.id, bobCookie, body)).status).toBe(403);
    expect((await alice.images.get.query({ id: image.id })).status).toBe("queued");
  });

  it("kernels and ramdisks: stored as aki / ari without inspection, named by a disk image, kept while it needs them", async () => {
    const kernelBytes = Buffer.from("\x7fELF not really a kernel, and never inspected");
    const kernel = await alice.images.create.mutate({ name: "vmlinuz", kind: "kernel" });
    expect((await putFile(url, kernel.id, aliceCookie, kernelBytes)).status).toBe(200);
    expect(await alice.images.get.query({ id: kernel.id })).toMatchObject({
      status: "active",
      kind: "kernel",
      diskFormat: "aki",
      sizeBytes: kernelBytes.length,
    });
    const ramdisk = await alice.images.create.mutate({ name: "initrd", kind: "ramdisk" });
    expect((await putFile(url, ramdisk.id, aliceCookie, Buffer.alloc(4096, 1))).status).toBe(200);
    // Parts are not launch choices.
    expect((await alice.catalog.images.query()).map((i) => i.id)).not.toContain(kernel.id);

    const disk = (await alice.images.list.query()).find((i) => i.name === "cirros")!;
    await expect(alice.images.create.mutate({ name: "dkb", kernelId: disk.id })).rejects.toMatchObject({
      data: { code: "BAD_REQUEST", nimbus: { details: { fields: [{ path: "kernelId" }] } } },
    });
    await expect(alice.images.create.mutate({ name: "dkb", ramdiskId: ramdisk.id })).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    await expect(alice.images.create.mutate({ name: "dkb", kind: "kernel", osCommandLine: "console=ttyS0" })).rejects.toMatchObject({
      data: { code: "BAD_REQUEST" },
    });
    // bob cannot boot with alice's private kernel: it is not visible to him.
    await expect(bob.images.create.mutate({ name: "dkb", kernelId: kernel.id })).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });

    const booted = await alice.images.create.mutate({
      name: "direct-boot",
      kernelId: kernel.id,
      ramdiskId: ramdisk.id,
      osCommandLine: "console=ttyS0 root=/dev/vda",
      architecture: "x86_64",
      hypervisorType: "qemu",
      osType: "linux",
    });
    expect(booted.properties).toEqual({
      kernel_id: kernel.id,
      ramdisk_id: ramdisk.id,
      os_command_line: "console=ttyS0 root=/dev/vda",
      architecture: "x86_64",
      hypervisor_type: "qemu",
      os_type: "linux",
    });
    await expect(alice.images.delete.mutate({ id: kernel.id })).rejects.toMatchObject({ data: { code: "CONFLICT" } });
    const updated = await alice.images.update.mutate({ id: booted.id, ramdiskId: null, osType: null, minDiskGb: 2 });
    expect(updated.properties).toEqual({
      kernel_id: kernel.id,
      os_command_line: "console=ttyS0 root=/dev/vda",
      architecture: "x86_64",
      hypervisor_type: "qemu",
    });
    expect(updated.minDiskGb).toBe(2);
    await alice.images.delete.mutate({ id: ramdisk.id });
    await alice.images.delete.mutate({ id: booted.id });
    await alice.images.delete.mutate({ id: kernel.id });
  });

  it("delete: protected images stay; a deleted image leaves the list, the catalog and the store", async () => {
    const image = await alice.images.create.mutate({ name: "doomed", protected: true });
    expect((await putFile(url, image.id, aliceCookie, Buffer.alloc(MiB, 2))).status).toBe(200);
    await expect(alice.images.delete.mutate({ id: image.id })).rejects.toMatchObject({ data: { code: "CONFLICT" } });
    await expect(reader.images.delete.mutate({ id: image.id })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await alice.images.update.mutate({ id: image.id, protected: false });
    await alice.images.delete.mutate({ id: image.id });
    await expect(alice.images.get.query({ id: image.id })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    expect((await alice.images.list.query()).map((i) => i.id)).not.toContain(image.id);
    expect((await alice.catalog.images.query()).map((i) => i.id)).not.toContain(image.id);
    expect(storeFiles(stack).filter((f) => f.startsWith(image.id))).toEqual([]);
    await expect(alice.images.delete.mutate({ id: image.id })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
  });

  it("agents download the images their host's instances use, with their credential: the bytes match the checksum, and Range resumes", async () => {
    const bytes = Buffer.alloc(3 * MiB);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) % 251;
    const image = await alice.images.create.mutate({ name: "fetched" });
    expect((await putFile(url, image.id, aliceCookie, bytes)).status).toBe(200);
    const fileUrl = `${url}${IMAGE_DOWNLOAD_PATH(image.id)}`;
    const agent = { "x-nimbus-hostname": "compute-1", "x-nimbus-agent-secret": AGENT_SECRET };
    // compute-1's agent, with an instance of the image placed on it (the spawn is never answered).
    const peer = await protocolPeer(url, "compute-1", { heartbeat: true });
    peer.on("instance.destroy", (_command: unknown, ack: (r: unknown) => void) => ack({ ok: false, error: "no such domain" }));
    try {
      const [flavors, networks] = await Promise.all([alice.catalog.flavors.query(), alice.catalog.networks.query()]);
      const { instanceIds } = await alice.instances.launch.mutate({
        name: "uses-fetched",
        count: 1,
        imageId: image.id,
        flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
        networkId: networks[0]!.id,
      });
      await waitFor(
        "the instance placed on compute-1",
        async () => (await alice.instances.get.query({ id: instanceIds[0]! })).instance.hostname === "compute-1",
      );

      expect((await fetch(fileUrl)).status).toBe(401);
      expect((await fetch(fileUrl, { headers: { cookie: aliceCookie } })).status).toBe(403);
      expect((await fetch(fileUrl, { headers: { ...agent, "x-nimbus-agent-secret": "not-the-secret-at-all-0000" } })).status).toBe(401);
      expect(
        (await fetch(fileUrl, { headers: { "x-nimbus-hostname": "compute-1", authorization: "Bearer nimbus-host_forged-credential-000000" } }))
          .status,
      ).toBe(401);

      const whole = await fetch(fileUrl, { headers: agent });
      expect(whole.status).toBe(200);
      expect(whole.headers.get("content-length")).toBe(String(bytes.length));
      expect(whole.headers.get("x-checksum-sha256")).toBe(sha256(bytes));
      const received = Buffer.from(await whole.arrayBuffer());
      expect(sha256(received)).toBe(sha256(bytes));

      const resumed = await fetch(fileUrl, { headers: { ...agent, range: `bytes=${MiB}-` } });
      expect(resumed.status).toBe(206);
      expect(resumed.headers.get("content-range")).toBe(`bytes ${MiB}-${bytes.length - 1}/${bytes.length}`);
      expect(Buffer.from(await resumed.arrayBuffer()).equals(bytes.subarray(MiB))).toBe(true);
      expect((await fetch(fileUrl, { headers: { ...agent, range: `bytes=${bytes.length}-` } })).status).toBe(416);

      // An enrolled host's own credential is accepted for its own hostname only; its host runs
      // nothing that uses the image, so the image is not there for it.
      const joinToken = await admin.agents.createJoinToken.mutate({ hostname: "compute-2" });
      const enrolled = await fetch(`${url}/api/agent/enroll`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ joinToken: joinToken.token, hostname: "compute-2" }),
      });
      const { credential } = (await enrolled.json()) as { credential: string };
      expect((await fetch(fileUrl, { headers: { "x-nimbus-hostname": "compute-2", authorization: `Bearer ${credential}` } })).status).toBe(404);
      expect((await fetch(fileUrl, { headers: { "x-nimbus-hostname": "compute-1", authorization: `Bearer ${credential}` } })).status).toBe(401);

      // Only active images have bits to fetch.
      const queued = await alice.images.create.mutate({ name: "empty" });
      expect((await fetch(`${url}${IMAGE_DOWNLOAD_PATH(queued.id)}`, { headers: agent })).status).toBe(404);
      await alice.instances.delete.mutate({ id: instanceIds[0]! });
    } finally {
      peer.disconnect();
    }
  });
});

/** VmRSS of a process in bytes, from /proc. */
function residentBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

describe("images on PostgreSQL, in a web process of its own", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let web: WebProcess;

  beforeAll(async () => {
    database = await freshDatabase();
    web = await startWebProcess({ port: await freePort(), databaseUrl: database.url });
  });
  afterAll(async () => {
    await web?.kill();
    await database?.drop();
  });

  it("streams a 300 MB upload to disk: the server's memory stays flat and the checksum is right", async () => {
    const api = await signedInClient(web.url);
    const image = await api.client.images.create.mutate({ name: "big-raw" });
    const pid = web.child.pid!;
    const before = residentBytes(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(pid))), 20);
    const chunks = 300;
    let upload: Awaited<ReturnType<typeof putFile>>;
    try {
      upload = await putFile(web.url, image.id, api.cookie(), zeros(chunks));
    } finally {
      clearInterval(sampler);
    }
    expect(upload.status).toBe(200);
    const expected = createHash("sha256");
    const block = new Uint8Array(MiB);
    for (let i = 0; i < chunks; i++) expected.update(block);
    expect(await api.client.images.get.query({ id: image.id })).toMatchObject({
      status: "active",
      diskFormat: "raw",
      sizeBytes: chunks * MiB,
      checksumSha256: expected.digest("hex"),
    });
    expect(peak - before, `RSS grew from ${before} to a peak of ${peak} bytes`).toBeLessThan(100 * MiB);
  });
});

describe("an upload whose web process dies mid-way", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let store: string;
  const webs: WebProcess[] = [];
  /** Two processes of one deployment: the same database and image store; uploads given up after 2 s without a refresh. */
  const start = async () => {
    const web = await startWebProcess({
      port: await freePort(),
      databaseUrl: database.url,
      env: { NIMBUS_IMAGE_STORE: store, NIMBUS_UPLOAD_STALL_SECONDS: "2" },
    });
    webs.push(web);
    return web;
  };

  beforeAll(async () => {
    database = await freshDatabase();
    store = mkdtempSync(path.join(tmpdir(), "nimbus-store-"));
  });
  afterAll(async () => {
    for (const web of webs) await web.kill();
    await database?.drop();
    if (store) rmSync(store, { recursive: true, force: true });
  });

  it("is given up by the process that remains: the image ends killed, its partial file removed, and can be deleted", async () => {
    const first = await start();
    const second = await start();
    const onFirst = await signedInClient(first.url);
    const image = await onFirst.client.images.create.mutate({ name: "orphaned-upload" });
    const { req, answer } = openUpload(first.url, image.id, onFirst.cookie()!);
    req.write(Buffer.alloc(MiB, 7));
    const partial = path.join(store, `${image.id}.partial`);
    await waitFor("the partial file", () => existsSync(partial));
    const onSecond = await signedInClient(second.url);
    expect((await onSecond.client.images.get.query({ id: image.id })).status).toBe("saving");
    await first.kill("SIGKILL");
    await answer.catch(() => undefined);

    await waitFor("the image to be killed", async () => (await onSecond.client.images.get.query({ id: image.id })).status === "killed", 15_000);
    // The sweep removes the partial file after it commits the kill: soon after, not at once.
    await waitFor("its partial file removed", () => !existsSync(partial), 5_000);
    const [given] = await onSecond.client.audit.list.query({ action: "image.upload" });
    expect(given).toMatchObject({
      targetId: image.id,
      outcome: "failure",
      actorName: "nimbus",
      details: { name: "orphaned-upload", reason: "Stalled" },
    });
    await onSecond.client.images.delete.mutate({ id: image.id });
    expect((await onSecond.client.images.list.query()).some((i) => i.id === image.id)).toBe(false);
  });

  it("a stopped process (SIGTERM) finishes the upload under way, then exits cleanly at once", async () => {
    const web = await start();
    const api = await signedInClient(web.url);
    const image = await api.client.images.create.mutate({ name: "during-shutdown" });
    const { req, answer } = openUpload(web.url, image.id, api.cookie()!);
    req.write(Buffer.alloc(MiB, 9));
    await waitFor("the partial file", () => existsSync(path.join(store, `${image.id}.partial`)));
    const exited = new Promise<number | null>((resolve) => web.child.once("exit", (code) => resolve(code)));
    const stoppedAt = Date.now();
    web.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    req.end(Buffer.alloc(MiB, 9));
    expect((await answer).status).toBe(200);
    // Its kept-alive connection does not hold the server open (the shutdown gives up after 10 s, exiting 1).
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
  });

  it("a slow upload on a live process is not given up: bytes arriving for longer than the stall time end active", async () => {
    const web = webs.find((w) => w.child.exitCode === null && w.child.signalCode === null) ?? (await start());
    const api = await signedInClient(web.url);
    const image = await api.client.images.create.mutate({ name: "slow-upload" });
    const { req, answer } = openUpload(web.url, image.id, api.cookie()!);
    // 4.5 s of uploading, one chunk every 0.5 s: more than twice the 2 s stall time.
    for (let i = 0; i < 9; i++) {
      req.write(Buffer.alloc(64 * 1024, 5));
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    req.end(Buffer.alloc(64 * 1024, 5));
    expect((await answer).status).toBe(200);
    expect((await api.client.images.get.query({ id: image.id })).status).toBe("active");
  });
});
