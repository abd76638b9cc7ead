import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_NAMESPACE, PROTOCOL_VERSION, volumeDeleteCommandSchema, type VolumeDeleteCommand } from "@nimbus/core/protocol/agent";
import { addUser, AGENT_SECRET, PERSONA_PASSWORD, signedInClient, startStack, TRPCClientError, waitFor, type Backend, type Stack } from "./harness";

const run = promisify(execFile);
type Client = Awaited<ReturnType<typeof signedInClient>>["client"];

/** What a refused call carried: tRPC code, domain code, message, field messages. */
async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof TRPCClientError)) throw new Error(`expected a refusal, got ${error === null ? "success" : String(error)}`);
  const data = error.data as {
    code: string;
    nimbus: { code: string; details: { fields?: { path: string; message: string }[] } | null } | null;
    fieldErrors: Record<string, string[]> | null;
  };
  const fields: Record<string, string> = {};
  for (const f of data.nimbus?.details?.fields ?? []) fields[f.path] = f.message;
  for (const [k, v] of Object.entries(data.fieldErrors ?? {})) fields[k] = v[0]!;
  return { code: data.code, nimbusCode: data.nimbus?.code ?? null, message: error.message, fields };
}

/** ssh-keygen's own view of a key file: `<bits> SHA256:… comment (TYPE)`. */
async function sshKeygenFingerprint(file: string): Promise<string> {
  const { stdout } = await run("ssh-keygen", ["-l", "-E", "sha256", "-f", file]);
  return stdout.trim().split(/\s+/)[1]!;
}

describe.each<Backend>(["pglite", "postgres"])("key pairs and volumes on %s", (backend) => {
  let stack: Stack;
  let admin: Client;
  let bob: Client;
  let carol: Client;
  let outsider: Client;
  let volProjectId: string;
  let keyDir: string;

  beforeAll(async () => {
    stack = await startStack(backend);
    admin = (await signedInClient(stack.server.url)).client;
    await addUser(stack, { name: "bob", project: "demo", role: "member" });
    ({ projectId: volProjectId } = await addUser(stack, { name: "carol", project: "vol", role: "member" }));
    await addUser(stack, { name: "outsider", project: "other", role: "member" });
    bob = (await signedInClient(stack.server.url, "bob", PERSONA_PASSWORD)).client;
    carol = (await signedInClient(stack.server.url, "carol", PERSONA_PASSWORD)).client;
    outsider = (await signedInClient(stack.server.url, "outsider", PERSONA_PASSWORD)).client;
    keyDir = mkdtempSync(path.join(tmpdir(), "nimbus-keys-"));
  });

  afterAll(async () => {
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
    await stack?.stop();
  });

  async function catalog(client: Client) {
    const [flavors, images, networks] = await Promise.all([
      client.catalog.flavors.query(),
      client.catalog.images.query(),
      client.catalog.networks.query(),
    ]);
    return { flavorId: flavors.find((f) => f.name === "m1.tiny")!.id, imageId: images[0]!.id, networkId: networks[0]!.id };
  }

  describe("key pairs", () => {
    it("generates an ed25519 key pair whose private key ssh-keygen reads back, shown once and never listed", async () => {
      const created = await admin.keyPairs.create.mutate({ name: "laptop key" });
      expect(created.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ laptop key$/);
      expect(created.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);

      const file = path.join(keyDir, "generated");
      writeFileSync(file, created.privateKey, { mode: 0o600 });
      const { stdout } = await run("ssh-keygen", ["-y", "-f", file]);
      expect(stdout.trim()).toBe(created.publicKey);
      expect(await sshKeygenFingerprint(file)).toBe(created.fingerprint);

      const listed = await admin.keyPairs.list.query();
      const row = listed.find((k) => k.name === "laptop key")!;
      expect(row).toMatchObject({ fingerprint: created.fingerprint, publicKey: created.publicKey, algorithm: "ssh-ed25519", type: "ssh" });
      expect(JSON.stringify(listed)).not.toContain("PRIVATE KEY");
    });

    it("imports keys made by ssh-keygen (ed25519, RSA 2048, ECDSA 384) with ssh-keygen's fingerprint", async () => {
      for (const [type, bits] of [
        ["ed25519", null],
        ["rsa", "2048"],
        ["ecdsa", "384"],
      ] as const) {
        const file = path.join(keyDir, `import-${type}`);
        await run("ssh-keygen", ["-q", "-t", type, ...(bits ? ["-b", bits] : []), "-N", "", "-C", `ops@${type}`, "-f", file]);
        const publicKey = readFileSync(`${file}.pub`, "utf8");
        const imported = await admin.keyPairs.import.mutate({ name: `imported-${type}`, publicKey });
        expect(imported.publicKey).toBe(publicKey.trim());
        expect(imported.fingerprint).toBe(await sshKeygenFingerprint(`${file}.pub`));
      }
      const algorithms = (await admin.keyPairs.list.query()).filter((k) => k.name.startsWith("imported-")).map((k) => k.algorithm);
      expect(algorithms.sort()).toEqual(["ecdsa-sha2-nistp384", "ssh-ed25519", "ssh-rsa"]);
    });

    it("refuses garbage, a type that does not match the key data, short RSA keys and private keys, next to the public key field", async () => {
      const ed = readFileSync(path.join(keyDir, "import-ed25519.pub"), "utf8").trim();
      const data = ed.split(" ")[1]!;
      await run("ssh-keygen", ["-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", path.join(keyDir, "short")]);
      const cases: [string, RegExp][] = [
        ["this is not a key", /not supported/],
        [`ssh-ed25519 ${data.slice(0, 30)}`, /ends|base64/],
        [`ssh-rsa ${data} mismatched`, /says ssh-rsa but the key data inside is "ssh-ed25519"/],
        [`ecdsa-sha2-nistp256 ${data}`, /says ecdsa-sha2-nistp256/],
        [readFileSync(path.join(keyDir, "short.pub"), "utf8"), /1024 bits; use at least 2048/],
        [readFileSync(path.join(keyDir, "import-ed25519"), "utf8"), /private key/],
      ];
      for (const [publicKey, why] of cases) {
        const refused = await refusal(admin.keyPairs.import.mutate({ name: "bad", publicKey }));
        expect(refused.code, publicKey).toBe("BAD_REQUEST");
        expect(refused.fields.publicKey, publicKey).toMatch(why);
      }
      expect((await admin.keyPairs.list.query()).some((k) => k.name === "bad")).toBe(false);
    });

    it("checks names as Nova does and keeps them unique per user", async () => {
      const badName = await refusal(admin.keyPairs.create.mutate({ name: "semi;colon" }));
      expect(badName.code).toBe("BAD_REQUEST");
      expect(badName.fields.name).toMatch(/letters, digits, spaces/);
      const duplicate = await refusal(
        admin.keyPairs.import.mutate({ name: "laptop key", publicKey: readFileSync(path.join(keyDir, "import-ed25519.pub"), "utf8") }),
      );
      expect(duplicate.code).toBe("CONFLICT");
      expect(duplicate.fields.name).toMatch(/already have a key pair/);
      // Another user may use the same name: key pairs are per user.
      await bob.keyPairs.create.mutate({ name: "laptop key" });
    });

    it("belong to their user: another user neither sees, deletes nor launches with them", async () => {
      const mine = (await admin.keyPairs.list.query()).map((k) => k.fingerprint);
      const bobs = await bob.keyPairs.list.query();
      expect(bobs.map((k) => k.name)).toEqual(["laptop key"]);
      expect(mine).not.toContain(bobs[0]!.fingerprint);

      await admin.keyPairs.create.mutate({ name: "admin only" });
      expect((await refusal(bob.keyPairs.delete.mutate({ name: "admin only" }))).code).toBe("NOT_FOUND");
      const { flavorId, imageId, networkId } = await catalog(bob);
      const launch = await refusal(
        bob.instances.launch.mutate({ name: "borrowed-key", count: 1, flavorId, imageId, networkId, keyName: "admin only" }),
      );
      expect(launch.code).toBe("NOT_FOUND");
      expect(launch.fields.keyName).toMatch(/No such key pair/);

      // With its own key the launch records the key pair on the instance.
      const { instanceIds } = await bob.instances.launch.mutate({ name: "own-key", count: 1, flavorId, imageId, networkId, keyName: "laptop key" });
      expect((await bob.instances.get.query({ id: instanceIds[0]! })).instance.keyName).toBe("laptop key");
      await bob.instances.delete.mutate({ id: instanceIds[0]! });

      expect(await admin.keyPairs.delete.mutate({ name: "admin only" })).toEqual({ name: "admin only" });
      expect((await admin.keyPairs.list.query()).some((k) => k.name === "admin only")).toBe(false);
    });

    it("counts the key pair quota per user", async () => {
      const demo = (await admin.projects.list.query()).find((p) => p.name === "demo")!;
      const adminKeys = (await admin.keyPairs.list.query()).length;
      await admin.quotas.set.mutate({ projectId: demo.id, limits: { key_pairs: adminKeys + 1 } });
      try {
        await admin.keyPairs.create.mutate({ name: "last one" });
        const over = await refusal(admin.keyPairs.create.mutate({ name: "one too many" }));
        expect(over.nimbusCode).toBe("QuotaExceeded");
        expect(over.message).toMatch(/Quota exceeded for key pairs: requested 1, already used \d+ of \d+/);
        // Bob, in the same project, has fewer key pairs of his own.
        await bob.keyPairs.create.mutate({ name: "second" });
        const usage = await admin.quota.usage.query();
        expect(usage.key_pairs).toEqual({ limit: adminKeys + 1, used: adminKeys + 1 });
      } finally {
        await admin.quotas.set.mutate({ projectId: demo.id, limits: { key_pairs: 100 } });
      }
    });
  });

  describe("volumes", () => {
    it("creates blank and image volumes within the volume quota (count and GB)", async () => {
      await admin.quotas.set.mutate({ projectId: volProjectId, limits: { volumes: 2 } });
      const { imageId } = await catalog(carol);
      const blank = await carol.volumes.create.mutate({ name: "data", sizeGb: 1 });
      expect(blank).toMatchObject({ status: "available", bootable: false, sizeGb: 1 });
      const fromImage = await carol.volumes.create.mutate({ name: "boot", sizeGb: 2, imageId });
      expect(fromImage).toMatchObject({ status: "available", bootable: true });
      const third = await refusal(carol.volumes.create.mutate({ name: "third", sizeGb: 1 }));
      expect(third.nimbusCode).toBe("QuotaExceeded");
      expect(third.message).toBe("Quota exceeded for volumes: requested 1, already used 2 of 2.");

      await admin.quotas.set.mutate({ projectId: volProjectId, limits: { volumes: 10, gigabytes: 10 } });
      const tooBig = await refusal(carol.volumes.create.mutate({ name: "big", sizeGb: 8 }));
      expect(tooBig.message).toBe("Quota exceeded for GB of volume storage: requested 8, already used 3 of 10.");
      const usage = await carol.quota.usage.query();
      expect(usage.volumes).toEqual({ limit: 10, used: 2 });
      expect(usage.gigabytes).toEqual({ limit: 10, used: 3 });
      // The admin's quota editor shows the same use beside the limits.
      expect((await admin.quotas.get.query({ projectId: volProjectId })).used).toMatchObject({ volumes: 2, gigabytes: 3 });

      const listed = await carol.volumes.list.query();
      expect(listed.map((v) => [v.name, v.status, v.bootable, v.image?.id ?? null, v.attachment, v.host])).toEqual([
        ["boot", "available", true, imageId, null, null],
        ["data", "available", false, null, null, null],
      ]);
    });

    it("refuses bad sizes and unknown images next to their fields", async () => {
      expect((await refusal(carol.volumes.create.mutate({ name: "zero", sizeGb: 0 }))).fields.sizeGb).toMatch(/at least 1 GB/);
      expect((await refusal(carol.volumes.create.mutate({ name: "", sizeGb: 1 }))).fields.name).toMatch(/Enter a volume name/);
      const unknown = await refusal(carol.volumes.create.mutate({ name: "x", sizeGb: 1, imageId: "00000000-0000-4000-8000-000000000000" }));
      expect(unknown.code).toBe("NOT_FOUND");
      expect(unknown.fields.imageId).toBe("No such image.");
    });

    it("keeps another project's volumes out of sight", async () => {
      const [volume] = await carol.volumes.list.query();
      expect(await outsider.volumes.list.query()).toEqual([]);
      expect((await refusal(outsider.volumes.get.query({ id: volume!.id }))).code).toBe("NOT_FOUND");
      expect((await refusal(outsider.volumes.delete.mutate({ id: volume!.id }))).code).toBe("NOT_FOUND");
      const { flavorId, imageId, networkId } = await catalog(outsider);
      const launch = await refusal(
        outsider.instances.launch.mutate({
          name: "steal",
          count: 1,
          flavorId,
          imageId,
          networkId,
          volumes: [{ volumeId: volume!.id, deleteOnTermination: false }],
        }),
      );
      expect(launch.code).toBe("NOT_FOUND");
    });

    it("attaches an existing volume at launch: in use, not deletable, not attachable twice; available again after the instance goes", async () => {
      const data = (await carol.volumes.list.query()).find((v) => v.name === "data")!;
      const { flavorId, imageId, networkId } = await catalog(carol);
      const { instanceIds } = await carol.instances.launch.mutate({
        name: "db-1",
        count: 1,
        flavorId,
        imageId,
        networkId,
        volumes: [{ volumeId: data.id, deleteOnTermination: false }],
      });
      const attached = await carol.volumes.get.query({ id: data.id });
      expect(attached.status).toBe("in-use");
      expect(attached.attachment).toMatchObject({
        instanceId: instanceIds[0],
        instanceName: "db-1",
        device: "vdb",
        bootIndex: null,
        deleteOnTermination: false,
      });

      const refused = await refusal(carol.volumes.delete.mutate({ id: data.id }));
      expect(refused.code).toBe("CONFLICT");
      expect(refused.message).toMatch(/attached to instance db-1 as vdb/);
      const second = await refusal(
        carol.instances.launch.mutate({
          name: "db-2",
          count: 1,
          flavorId,
          imageId,
          networkId,
          volumes: [{ volumeId: data.id, deleteOnTermination: false }],
        }),
      );
      expect(second.code).toBe("BAD_REQUEST");
      expect(second.fields.volumes).toMatch(/in-use/);

      await carol.instances.delete.mutate({ id: instanceIds[0]! });
      const detached = await waitFor("the volume to be detached", async () => {
        const v = await carol.volumes.get.query({ id: data.id });
        return v.attachment === null && v;
      });
      expect(detached.status).toBe("available");
      expect(await carol.volumes.delete.mutate({ id: data.id })).toEqual({ id: data.id, name: "data", deleted: true });
      expect((await carol.volumes.list.query()).some((v) => v.id === data.id)).toBe(false);
    });

    it("boots from a new volume made from the image: in use, counted in the quota, deleted with the instance when asked", async () => {
      const { flavorId, imageId, networkId } = await catalog(carol);
      const before = await carol.quota.usage.query();
      const overQuota = await refusal(
        carol.instances.launch.mutate({
          name: "huge-root",
          count: 1,
          flavorId,
          imageId,
          networkId,
          bootSource: { type: "image-to-volume", sizeGb: 9, deleteOnTermination: true },
        }),
      );
      expect(overQuota.nimbusCode).toBe("QuotaExceeded");
      expect(overQuota.message).toMatch(/GB of volume storage/);

      const rootOf = async (instanceId: string) => (await carol.volumes.list.query()).find((v) => v.attachment?.instanceId === instanceId);
      const gone = await carol.instances.launch.mutate({
        name: "ephemeral",
        count: 1,
        flavorId,
        imageId,
        networkId,
        bootSource: { type: "image-to-volume", sizeGb: 2, deleteOnTermination: true },
      });
      const root = (await rootOf(gone.instanceIds[0]!))!;
      expect(root).toMatchObject({
        name: "ephemeral-root",
        status: "in-use",
        bootable: true,
        sizeGb: 2,
        attachment: { device: "vda", bootIndex: 0, deleteOnTermination: true },
      });
      expect((await carol.quota.usage.query()).gigabytes.used).toBe(before.gigabytes.used + 2);
      await carol.instances.delete.mutate({ id: gone.instanceIds[0]! });
      await waitFor("the root volume to be deleted with its instance", async () => !(await carol.volumes.list.query()).some((v) => v.id === root.id));
      expect((await carol.quota.usage.query()).gigabytes.used).toBe(before.gigabytes.used);

      const kept = await carol.instances.launch.mutate({
        name: "keeper",
        count: 1,
        flavorId,
        imageId,
        networkId,
        bootSource: { type: "image-to-volume", sizeGb: 1, deleteOnTermination: false },
      });
      const keptRoot = (await rootOf(kept.instanceIds[0]!))!;
      await carol.instances.delete.mutate({ id: kept.instanceIds[0]! });
      const after = await waitFor("the root volume to be detached", async () => {
        const v = await carol.volumes.get.query({ id: keptRoot.id });
        return v.attachment === null && v;
      });
      expect(after).toMatchObject({ name: "keeper-root", status: "available", bootable: true });
      expect((await carol.quota.usage.query()).gigabytes.used).toBe(before.gigabytes.used + 1);
    });
  });
});

/**
 * A stand-in compute agent on the real `/agent` namespace: registers a host too small for any
 * flavor (so nothing is scheduled on it) and answers `volume.delete` as told.
 */
function fakeAgent(url: string, hostname: string, answer: (command: VolumeDeleteCommand) => { ok: true } | { ok: false; error: string }) {
  const received: VolumeDeleteCommand[] = [];
  const socket: Socket = io(`${url}${AGENT_NAMESPACE}`, {
    auth: { secret: AGENT_SECRET, hostname, protocolVersion: PROTOCOL_VERSION, agentVersion: "test" },
    transports: ["websocket"],
  });
  socket.on("volume.delete", (payload: unknown, ack: (response: unknown) => void) => {
    const command = volumeDeleteCommandSchema.parse(payload);
    received.push(command);
    ack(answer(command));
  });
  const registered = new Promise<string>((resolve, reject) => {
    socket.on("connect", () => {
      socket.emit(
        "host.register",
        { hypervisorType: "fake", hypervisorUri: "fake://", cpuModel: "", vcpus: 1, memoryMb: 1, diskGb: 0, domains: [] },
        (ack: { ok: boolean; hostId?: string; error?: string }) => (ack.ok ? resolve(ack.hostId!) : reject(new Error(ack.error))),
      );
    });
  });
  return { socket, received, registered };
}

describe("deleting a volume whose bits live on a host", () => {
  let stack: Stack;
  let admin: Client;

  beforeAll(async () => {
    stack = await startStack("pglite");
    admin = (await signedInClient(stack.server.url)).client;
  });
  afterAll(async () => stack?.stop());

  /** A volume whose first instance was built on `hostId` (as settleVolumesOnHost records it). */
  async function volumeOnHost(name: string, hostId: string) {
    const { schema } = await import("@nimbus/db");
    const { eq } = await import("@nimbus/db/orm");
    const { id } = await admin.volumes.create.mutate({ name, sizeGb: 1 });
    await stack.server.database.db.update(schema.volumes).set({ hostId }).where(eq(schema.volumes.id, id));
    return id;
  }

  it("asks the host's agent to delete the bits, and deletes the volume once it confirms", async () => {
    const agent = fakeAgent(stack.server.url, "vol-host-1", () => ({ ok: true }));
    const hostId = await agent.registered;
    try {
      const id = await volumeOnHost("on-host", hostId);
      expect((await admin.volumes.get.query({ id })).host).toEqual({ id: hostId, hostname: "vol-host-1" });
      expect(await admin.volumes.delete.mutate({ id })).toEqual({ id, name: "on-host", deleted: true });
      expect(agent.received.map((c) => c.volumeId)).toEqual([id]);
      expect((await admin.volumes.list.query()).some((v) => v.id === id)).toBe(false);
    } finally {
      agent.socket.disconnect();
    }
  });

  it("keeps the volume as error_deleting when the agent refuses or the host is down; deleting again retries", async () => {
    let refuse = true;
    const agent = fakeAgent(stack.server.url, "vol-host-2", () => (refuse ? { ok: false, error: "volume file is busy" } : { ok: true }));
    const hostId = await agent.registered;
    const id = await volumeOnHost("stuck", hostId);

    const refused = await admin.volumes.delete.mutate({ id });
    expect(refused).toMatchObject({ deleted: false, status: "error_deleting" });
    expect(refused.deleted === false && refused.message).toMatch(/Host vol-host-2 could not delete the volume's data: volume file is busy/);
    // The list says why, long after the answer.
    expect(await admin.volumes.get.query({ id })).toMatchObject({
      status: "error_deleting",
      statusReason: "Host vol-host-2 could not delete the volume's data: volume file is busy",
    });

    agent.socket.disconnect();
    await waitFor("the host to be down", async () => (await admin.hosts.list.query()).find((h) => h.hostname === "vol-host-2")?.state === "down");
    const down = await admin.volumes.delete.mutate({ id });
    expect(down.deleted === false && down.message).toMatch(/Host vol-host-2 is down/);
    expect((await admin.volumes.list.query()).find((v) => v.id === id)?.statusReason).toBe(
      "Host vol-host-2 is down, so the volume's data on it could not be deleted.",
    );
    expect(agent.received).toHaveLength(1);
    expect((await admin.quota.usage.query()).volumes.used).toBe(1);

    refuse = false;
    agent.socket.connect();
    await waitFor("the host to be up again", async () => (await admin.hosts.list.query()).find((h) => h.hostname === "vol-host-2")?.state === "up");
    expect(await admin.volumes.delete.mutate({ id })).toEqual({ id, name: "stuck", deleted: true });
    expect(agent.received).toHaveLength(2);
    agent.socket.disconnect();
  });
});
