import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, PERSONA_PASSWORD, signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "../harness";
import { openstackCli, type Cli } from "./cli";

/**
 * Glance v2 and Cinder v3 through the stock openstack CLI (images through openstacksdk, volumes
 * through cinderclient), and Nova's volume attachments, against one stack on PostgreSQL with a
 * real compute agent.
 */

interface CliImage {
  id: string;
  name: string;
  status: string;
  checksum?: string;
  size?: number;
  disk_format?: string;
  visibility: string;
  owner: string;
  properties?: Record<string, unknown>;
}

interface CliVolume {
  id: string;
  name: string;
  status: string;
  size: number;
  bootable: string;
  volume_image_metadata?: { image_id: string };
}

const MIB = 1024 * 1024;

describe("Glance and Cinder through the stock openstack CLI", () => {
  let stack: Stack;
  let agent: AgentProcess;
  let admin: Cli;
  let member: Cli;
  let reader: Cli;
  let outsider: Cli;
  let demoId: string;
  let otherId: string;
  let adminApi: Awaited<ReturnType<typeof signedInClient>>["client"];
  const files = mkdtempSync(path.join(tmpdir(), "nimbus-glance-"));
  const qcow2 = path.join(files, "disk.qcow2");

  beforeAll(async () => {
    // A small per-image cap, to see Glance's image_size_cap refuse an upload.
    stack = await startStack("postgres", { NIMBUS_IMAGE_MAX_BYTES: String(8 * MIB) });
    agent = startAgent(stack.server.url, { hostname: "glance-cinder-1" });
    ({ projectId: demoId } = await addUser(stack, { name: "gc-member", project: "demo", role: "member" }));
    await addUser(stack, { name: "gc-reader", project: "demo", role: "reader" });
    ({ projectId: otherId } = await addUser(stack, { name: "gc-outsider", project: "gc-other", role: "member" }));
    const url = stack.server.url;
    admin = openstackCli(url);
    member = openstackCli(url, { user: "gc-member", password: PERSONA_PASSWORD, project: "demo" });
    reader = openstackCli(url, { user: "gc-reader", password: PERSONA_PASSWORD, project: "demo" });
    outsider = openstackCli(url, { user: "gc-outsider", password: PERSONA_PASSWORD, project: "gc-other" });
    adminApi = (await signedInClient(url)).client;
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", qcow2, "64M"]);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
  });

  /** A Keystone token of a CLI's user, for the calls the CLI makes no command for. */
  const tokens = new Map<Cli, string>();
  const tokenOf = async (cli: Cli) => {
    if (!tokens.has(cli)) tokens.set(cli, (await cli.json<{ id: string }>(["token", "issue"])).id);
    return tokens.get(cli)!;
  };

  async function raw(cli: Cli, method: string, pathname: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${stack.server.url}${pathname}`, {
      method,
      headers: { "x-auth-token": await tokenOf(cli), ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  }

  describe("Glance v2", () => {
    it("answers keystoneauth's version discovery at /image", async () => {
      const response = await fetch(`${stack.server.url}/image`);
      expect(response.status).toBe(300);
      const { versions } = (await response.json()) as { versions: { id: string; status: string; links: { href: string }[] }[] };
      expect(versions.find((v) => v.status === "CURRENT")!.links[0]!.href).toBe(`${stack.server.url}/image/v2/`);
    });

    it("creates an image from a file: uploaded through PUT /file, checksummed as Glance does, shown by name and id", async () => {
      const created = await member.json<CliImage>([
        "image",
        "create",
        "--file",
        qcow2,
        "--disk-format",
        "qcow2",
        "--container-format",
        "bare",
        "--private",
        "cli-disk",
      ]);
      // The CLI prints the image as created, before its data: queued.
      expect(created.status).toBe("queued");
      const bits = readFileSync(qcow2);
      const shown = await member.json<CliImage>(["image", "show", "cli-disk"]);
      expect(shown).toMatchObject({
        id: created.id,
        status: "active",
        disk_format: "qcow2",
        visibility: "private",
        owner: demoId,
        size: bits.length,
        checksum: createHash("md5").update(bits).digest("hex"),
      });
      expect(shown.properties).toMatchObject({ os_hash_algo: "sha512", os_hash_value: createHash("sha512").update(bits).digest("hex") });
      expect((await member.json<CliImage>(["image", "show", created.id])).name).toBe("cli-disk");
      // The console sees the same image, with the sha256 its agents verify.
      const { client } = await signedInClient(stack.server.url, "gc-member", PERSONA_PASSWORD);
      const inConsole = (await client.images.list.query()).find((i) => i.id === created.id)!;
      expect(inConsole.checksumSha256).toBe(createHash("sha256").update(bits).digest("hex"));
    }, 60_000);

    it("streams an upload: the image is saving while the bytes arrive, then active", async () => {
      // Created without data (the CLI would upload its standard input, which is no terminal here).
      const created = await raw(member, "POST", "/image/v2/images", { name: "streamed", disk_format: "raw", container_format: "bare" });
      expect(created).toMatchObject({ status: 201, body: { status: "queued", checksum: null, size: null } });
      const image = created.body as unknown as CliImage;
      const url = new URL(`${stack.server.url}/image/v2/images/${image.id}/file`);
      const token = await tokenOf(member);
      const upload = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "PUT",
        headers: { "x-auth-token": token, "content-type": "application/octet-stream" },
      });
      const answered = new Promise<number>((resolve, reject) => {
        upload.on("response", (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        upload.on("error", reject);
      });
      upload.write(randomBytes(MIB));
      await waitFor(
        "the image to be saving",
        async () => (await member.json<CliImage>(["image", "show", image.id])).status === "saving" || undefined,
      );
      upload.end(randomBytes(MIB));
      expect(await answered).toBe(204);
      const done = await member.json<CliImage>(["image", "show", image.id]);
      expect(done).toMatchObject({ status: "active", size: 2 * MIB, disk_format: "raw" });
    }, 60_000);

    it("lists with the CLI's filters and Glance's pages", async () => {
      const names = async (args: string[]) => (await member.json<{ Name: string }[]>(["image", "list", ...args])).map((i) => i.Name);
      expect(await names([])).toEqual(expect.arrayContaining(["cli-disk", "streamed", "blank-1g"]));
      const priv = await names(["--private"]);
      expect(priv).toContain("cli-disk");
      expect(priv).not.toContain("blank-1g");
      const pub = await names(["--public"]);
      expect(pub).toContain("blank-1g");
      expect(pub).not.toContain("cli-disk");
      expect(await names(["--name", "cli-disk"])).toEqual(["cli-disk"]);
      expect(await names(["--status", "killed"])).toEqual([]);
      const long = await member.json<Record<string, unknown>[]>(["image", "list", "--long", "--name", "cli-disk"]);
      expect(long[0]).toMatchObject({ "Disk Format": "qcow2", Visibility: "private", Project: demoId, Status: "active" });
      expect(long[0]!.Checksum).toMatch(/^[0-9a-f]{32}$/);
      expect(await names(["--limit", "1"])).toHaveLength(1);

      // Page by page as Glance links them, one image a page: every image once.
      const all = new Set((await member.json<{ ID: string }[]>(["image", "list"])).map((i) => i.ID));
      const seen: string[] = [];
      let next: string | undefined = "/v2/images?limit=1";
      while (next) {
        const page = await raw(member, "GET", `/image${next}`);
        expect(page.status).toBe(200);
        seen.push(...(page.body!.images as { id: string }[]).map((i) => i.id));
        next = page.body!.next as string | undefined;
      }
      expect(seen.sort()).toEqual([...all].sort());
      const badMarker = await raw(member, "GET", "/image/v2/images?marker=00000000-0000-4000-8000-000000000000");
      expect(badMarker.status).toBe(400);
    }, 120_000);

    it("shares an image with another project, which sees it pending, accepts it and finds it under --shared", async () => {
      const member_ = await member.json<{ member_id: string; status: string }>(["image", "add", "project", "cli-disk", otherId]);
      expect(member_).toMatchObject({ member_id: otherId, status: "pending" });
      const image = await member.json<CliImage>(["image", "show", "cli-disk"]);
      expect(image.visibility).toBe("shared");
      expect(await outsider.json<{ Name: string }[]>(["image", "list", "--shared"])).toEqual([]);
      const pending = await outsider.json<{ Name: string }[]>(["image", "list", "--member-status", "pending"]);
      expect(pending.map((i) => i.Name)).toContain("cli-disk");
      await outsider.ok(["image", "set", "--accept", image.id]);
      expect((await outsider.json<{ Name: string }[]>(["image", "list", "--shared"])).map((i) => i.Name)).toEqual(["cli-disk"]);
      const members = await member.json<{ "Member ID": string; Status: string }[]>(["image", "member", "list", "cli-disk"]);
      expect(members).toEqual([expect.objectContaining({ "Member ID": otherId, Status: "accepted" })]);
    }, 60_000);

    it("saves an image's data to a file, verified against its checksum", async () => {
      const saved = path.join(files, "saved.qcow2");
      await member.ok(["image", "save", "--file", saved, "cli-disk"]);
      expect(readFileSync(saved).equals(readFileSync(qcow2))).toBe(true);
    }, 30_000);

    it("sets a property and the name, and refuses fields it does not know with 400 naming them", async () => {
      await member.ok(["image", "set", "--property", "os_distro=debian", "--name", "cli-disk-2", "cli-disk"]);
      const image = await member.json<CliImage>(["image", "show", "cli-disk-2"]);
      expect(image.properties).toMatchObject({ os_distro: "debian" });
      const wrongType = await raw(member, "POST", "/image/v2/images", { name: "typed", min_ram: "lots" });
      expect(wrongType.status).toBe(400);
      expect(wrongType.body).toMatchObject({ code: "400 Bad Request", title: "Bad Request" });
      expect(wrongType.body!.message).toContain("min_ram");
      const notString = await raw(member, "POST", "/image/v2/images", { name: "typed", hw_cpu_cores: 4 });
      expect(notString.status).toBe(400);
      expect(notString.body!.message).toContain("hw_cpu_cores");
      const readOnly = await raw(member, "PATCH", `/image/v2/images/${image.id}`, [{ op: "replace", path: "/status", value: "active" }], {
        "content-type": "application/openstack-images-v2.1-json-patch",
      });
      expect(readOnly.status).toBe(403);
    }, 60_000);

    it("keeps another project out (404) and a reader from creating (403); the owner deletes", async () => {
      const { id } = await member.json<CliImage>(["image", "create", "--file", qcow2, "--disk-format", "qcow2", "private-one"]);
      const elsewhere = await outsider.run(["image", "delete", id]);
      expect(elsewhere.code).not.toBe(0);
      expect(elsewhere.stderr).toMatch(/No Image found/);
      const direct = await raw(outsider, "DELETE", `/image/v2/images/${id}`);
      expect(direct).toMatchObject({ status: 404, body: { code: "404 Not Found", title: "Not Found" } });
      const refused = await reader.run(["image", "create", "--file", qcow2, "--disk-format", "qcow2", "by-reader"]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/403/);
      await member.ok(["image", "delete", "private-one"]);
      expect((await member.json<{ Name: string }[]>(["image", "list"])).map((i) => i.Name)).not.toContain("private-one");
    }, 60_000);

    it("enforces the image quotas and the size cap with 413, leaving no image behind", async () => {
      await adminApi.quotas.set.mutate({ projectId: otherId, limits: { image_count_total: 1, image_size_total: 1 } });
      const bigRaw = path.join(files, "two-mib.raw");
      writeFileSync(bigRaw, randomBytes(2 * MIB));
      const overSize = await outsider.run(["image", "create", "--file", bigRaw, "--disk-format", "raw", "too-big-for-quota"]);
      expect(overSize.code).not.toBe(0);
      expect(overSize.stderr).toMatch(/413/);
      // The SDK deletes the image its failed upload left: nothing counts against the quota.
      expect((await outsider.json<{ Name: string }[]>(["image", "list", "--private"])).map((i) => i.Name)).toEqual([]);

      await adminApi.quotas.set.mutate({ projectId: otherId, limits: { image_size_total: -1 } });
      const overCap = path.join(files, "nine-mib.raw");
      writeFileSync(overCap, randomBytes(9 * MIB));
      const capped = await outsider.run(["image", "create", "--file", overCap, "--disk-format", "raw", "over-the-cap"]);
      expect(capped.code).not.toBe(0);
      expect(capped.stderr).toMatch(/413/);

      await outsider.ok(["image", "create", "--file", qcow2, "--disk-format", "qcow2", "the-one"]);
      const second = await outsider.run(["image", "create", "--file", qcow2, "--disk-format", "qcow2", "one-too-many"]);
      expect(second.code).not.toBe(0);
      expect(second.stderr).toMatch(/413/);
    }, 90_000);
  });

  describe("Cinder v3", () => {
    it("creates, lists, shows and deletes volumes, blank or from an image", async () => {
      const blank = await member.json<CliVolume>(["volume", "create", "--size", "1", "cli-vol"]);
      expect(blank).toMatchObject({ name: "cli-vol", size: 1, status: "available", bootable: "false" });
      const image = await member.json<CliImage>(["image", "show", "blank-1g"]);
      const fromImage = await member.json<CliVolume>(["volume", "create", "--size", "1", "--image", "blank-1g", "cli-boot"]);
      expect(fromImage).toMatchObject({ status: "available", bootable: "true", volume_image_metadata: { image_id: image.id } });
      expect((await member.json<CliVolume>(["volume", "show", "cli-vol"])).id).toBe(blank.id);
      const long = await member.json<Record<string, unknown>[]>(["volume", "list", "--long"]);
      expect(long.find((v) => v.Name === "cli-boot")).toMatchObject({ Status: "available", Size: 1, Bootable: "true", Type: "__DEFAULT__" });
      await member.ok(["volume", "delete", "cli-vol"]);
      const left = (await member.json<{ Name: string }[]>(["volume", "list"])).map((v) => v.Name);
      expect(left).toContain("cli-boot");
      expect(left).not.toContain("cli-vol");
    }, 60_000);

    it("lists every project's volumes for an admin with --all-projects, and only its own for a member", async () => {
      await outsider.ok(["volume", "create", "--size", "1", "outsider-vol"]);
      const everyone = (await admin.json<{ Name: string }[]>(["volume", "list", "--all-projects"])).map((v) => v.Name);
      expect(everyone).toEqual(expect.arrayContaining(["cli-boot", "outsider-vol"]));
      const own = (await member.json<{ Name: string }[]>(["volume", "list", "--all-projects"])).map((v) => v.Name);
      expect(own).toContain("cli-boot");
      expect(own).not.toContain("outsider-vol");
      const hidden = await outsider.run(["volume", "show", "cli-boot"]);
      expect(hidden.code).not.toBe(0);
    }, 60_000);

    it("answers Cinder's overLimit (413) past the volume quota, and 403 to a reader", async () => {
      await adminApi.quotas.set.mutate({ projectId: otherId, limits: { volumes: 1, gigabytes: 10 } });
      const tooBig = await outsider.run(["volume", "create", "--size", "20", "too-big"]);
      expect(tooBig.code).not.toBe(0);
      expect(tooBig.stderr).toContain(
        "Requested volume or snapshot exceeds allowed gigabytes quota. Requested 20G, quota is 10G and 1G has been consumed.",
      );
      expect(tooBig.stderr).toContain("HTTP 413");
      const tooMany = await outsider.run(["volume", "create", "--size", "1", "too-many"]);
      expect(tooMany.stderr).toContain("Maximum number of volumes allowed (1) exceeded for quota 'volumes'.");
      const body = await raw(outsider, "POST", `/volume/v3/${otherId}/volumes`, { volume: { size: 1, name: "raw" } });
      expect(body).toMatchObject({ status: 413, body: { overLimit: { code: 413 } } });
      const refused = await reader.run(["volume", "create", "--size", "1", "by-reader"]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/HTTP 403/);
    }, 60_000);

    it("writes Cinder's fault bodies, and 400 naming an unknown field or a wrong type", async () => {
      const missing = await raw(member, "GET", `/volume/v3/${demoId}/volumes/00000000-0000-4000-8000-000000000000`);
      expect(missing).toMatchObject({ status: 404, body: { itemNotFound: { code: 404, message: expect.stringContaining("could not be found") } } });
      const unknown = await raw(member, "POST", `/volume/v3/${demoId}/volumes`, { volume: { size: 1, name: "x", colour: "red" } });
      expect(unknown.status).toBe(400);
      expect((unknown.body!.badRequest as { message: string }).message).toContain("colour");
      const wrongType = await raw(member, "POST", `/volume/v3/${demoId}/volumes`, { volume: { size: "big", name: "x" } });
      expect(wrongType.status).toBe(400);
      expect((wrongType.body!.badRequest as { message: string }).message).toContain("volume.size");
      const later = await raw(member, "GET", `/volume/v3/${demoId}/volumes/detail`, undefined, { "OpenStack-API-Version": "volume 3.99" });
      expect(later.status).toBe(406);
      const honoured = await raw(member, "GET", `/volume/v3/${demoId}/volumes/detail`, undefined, { "OpenStack-API-Version": "volume 3.48" });
      expect(honoured.headers.get("openstack-api-version")).toBe("volume 3.48");
      expect((honoured.body!.volumes as Record<string, unknown>[])[0]).toHaveProperty("shared_targets", false);
    }, 60_000);

    it("answers the quota sets `openstack quota` reads from Cinder", async () => {
      // `quota list --volume` compares each project's Cinder quota set with the defaults.
      const listed = await admin.json<{ "Project ID": string; Volumes: number; Gigabytes: number }[]>(["quota", "list", "--volume"]);
      expect(listed.find((q) => q["Project ID"] === otherId)).toMatchObject({ Volumes: 1, Gigabytes: 10 });
      const own = await raw(member, "GET", `/volume/v3/${demoId}/os-quota-sets/${demoId}?usage=True`);
      expect(own).toMatchObject({
        status: 200,
        body: { quota_set: { id: demoId, volumes: { limit: 10, in_use: 1 }, gigabytes: { limit: 1000, in_use: 1 } } },
      });
      const defaults = await raw(member, "GET", `/volume/v3/${demoId}/os-quota-sets/${demoId}/defaults`);
      expect(defaults.body).toMatchObject({ quota_set: { volumes: 10, gigabytes: 1000 } });
      const another = await raw(member, "GET", `/volume/v3/${demoId}/os-quota-sets/${otherId}`);
      expect(another).toMatchObject({ status: 403, body: { forbidden: { code: 403 } } });
    }, 60_000);
  });

  describe("Nova's volume attachments", () => {
    it("lists what a server was launched with, and refuses to attach to a running server in plain words", async () => {
      const { client } = await signedInClient(stack.server.url, "gc-member", PERSONA_PASSWORD);
      await waitFor("the agent's host to be up", async () =>
        (await adminApi.hosts.list.query()).find((h) => h.hostname === agent.hostname && h.state === "up"),
      );
      const [flavors, images, networks] = await Promise.all([
        client.catalog.flavors.query(),
        client.catalog.images.query(),
        client.catalog.networks.query(),
      ]);
      const data = await client.volumes.create.mutate({ name: "data-disk", sizeGb: 1 });
      const spare = await client.volumes.create.mutate({ name: "spare-disk", sizeGb: 1 });
      const {
        instanceIds: [serverId],
      } = await client.instances.launch.mutate({
        name: "with-data",
        count: 1,
        flavorId: flavors.find((f) => f.name === "m1.tiny")!.id,
        imageId: images.find((i) => i.name === "blank-1g")!.id,
        networkId: networks[0]!.id,
        volumes: [{ volumeId: data.id, deleteOnTermination: false }],
      });
      const list = await raw(member, "GET", `/compute/v2.1/servers/${serverId}/os-volume_attachments`);
      expect(list).toMatchObject({ status: 200, body: { volumeAttachments: [{ id: data.id, volumeId: data.id, serverId, device: "/dev/vdb" }] } });
      expect(await member.json<CliVolume>(["volume", "show", "data-disk"])).toMatchObject({ status: "in-use" });

      const attach = await raw(member, "POST", `/compute/v2.1/servers/${serverId}/os-volume_attachments`, {
        volumeAttachment: { volumeId: spare.id },
      });
      expect(attach.status).toBe(409);
      expect((attach.body!.conflictingRequest as { message: string }).message).toMatch(/only when an instance is launched/);
      const detach = await raw(member, "DELETE", `/compute/v2.1/servers/${serverId}/os-volume_attachments/${data.id}`);
      expect(detach.status).toBe(409);
      const byReader = await raw(reader, "POST", `/compute/v2.1/servers/${serverId}/os-volume_attachments`, {
        volumeAttachment: { volumeId: spare.id },
      });
      expect(byReader).toMatchObject({ status: 403, body: { forbidden: { code: 403 } } });
      const elsewhere = await raw(outsider, "GET", `/compute/v2.1/servers/${serverId}/os-volume_attachments`);
      expect(elsewhere).toMatchObject({ status: 404, body: { itemNotFound: { code: 404 } } });
    }, 90_000);
  });
});
