import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, PERSONA_PASSWORD, signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "../harness";
import { openstackCli, type Cli } from "./cli";

/**
 * Nova's createImage through the stock `openstack` CLI (python-openstackclient 6.0, compute API
 * 2.1): `server image create --wait` follows the Location Nova answers to the Glance image until
 * it is active, and `image show` has what a snapshot carries. A compute agent on libvirt's test
 * driver takes the snapshot (a blank disk, said so in the image's properties).
 */

type ImageShow = Record<string, unknown> & { id: string; name: string; status: string; properties: Record<string, unknown> | string };
type ServerShow = Record<string, unknown> & { id: string; name: string; status: string };

/** The JSON the CLI prints after `--wait`'s progress line(s). */
const jsonAfterProgress = <T>(stdout: string): T => JSON.parse(stdout.slice(stdout.indexOf("{"))) as T;

describe("server image create through the stock openstack CLI", () => {
  let stack: Stack;
  let agent: AgentProcess;
  let alice: Cli;
  let bob: Cli;
  let server: ServerShow;
  let imageId = "";
  const ids = { image: "", tiny: "", network: "" };

  beforeAll(async () => {
    stack = await startStack("postgres");
    agent = startAgent(stack.server.url, { hostname: "nova-image-1" });
    const admin = (await signedInClient(stack.server.url)).client;
    await addUser(stack, { name: "alice", project: "demo", role: "member" });
    await addUser(stack, { name: "bob", project: "other", role: "member" });
    alice = openstackCli(stack.server.url, { user: "alice", password: PERSONA_PASSWORD, project: "demo" });
    bob = openstackCli(stack.server.url, { user: "bob", password: PERSONA_PASSWORD, project: "other" });
    const [flavors, images, networks] = await Promise.all([
      admin.catalog.flavors.query(),
      admin.catalog.images.query(),
      admin.catalog.networks.query(),
    ]);
    ids.tiny = flavors.find((f) => f.name === "m1.tiny")!.id;
    ids.image = images[0]!.id;
    ids.network = networks.find((n) => n.name === "shared-net")!.id;
    await waitFor("the agent's host to be up", async () =>
      (await admin.hosts.list.query()).some((h) => h.hostname === agent.hostname && h.state === "up"),
    );
    const out = await alice.ok([
      "server",
      "create",
      "--image",
      ids.image,
      "--flavor",
      ids.tiny,
      "--network",
      ids.network,
      "--wait",
      "-f",
      "json",
      "snap-src",
    ]);
    server = jsonAfterProgress<ServerShow>(out);
    expect(server.status).toBe("ACTIVE");
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
  });

  it("server image create --wait ends with the snapshot active, and image show has Nova's snapshot properties", async () => {
    const out = await alice.ok(["server", "image", "create", "--name", "snap-1", "--property", "purpose=backup", "--wait", "-f", "json", server.id]);
    const created = jsonAfterProgress<ImageShow>(out);
    expect(created.name).toBe("snap-1");
    expect(created.status).toBe("active");
    imageId = created.id;

    const shown = await alice.json<ImageShow>(["image", "show", imageId]);
    expect(shown).toMatchObject({ name: "snap-1", status: "active", disk_format: "qcow2", container_format: "bare", visibility: "private" });
    const properties = typeof shown.properties === "string" ? shown.properties : JSON.stringify(shown.properties);
    expect(properties).toContain("snapshot"); // image_type
    expect(properties).toContain(server.id); // instance_uuid
    expect(properties).toContain(ids.image); // base_image_ref
    expect(properties).toContain("backup");
    expect(properties).toContain("nimbus_simulated_snapshot");
    expect(Number(shown.size)).toBeGreaterThan(0);
    expect(String(shown.checksum)).toMatch(/^[0-9a-f]{32}$/);

    // The server is as it was, and its action log has the createImage.
    const after = await alice.json<ServerShow>(["server", "show", server.id]);
    expect(after.status).toBe("ACTIVE");
    expect(after["OS-EXT-STS:task_state"] ?? null).toBeNull();
    const actions = await alice.json<{ Action: string }[]>(["server", "event", "list", server.id]);
    expect(actions.map((a) => a.Action)).toContain("createImage");
  });

  it("a server launched from the snapshot with the CLI is ACTIVE", async () => {
    const out = await alice.ok([
      "server",
      "create",
      "--image",
      imageId,
      "--flavor",
      ids.tiny,
      "--network",
      ids.network,
      "--wait",
      "-f",
      "json",
      "snap-child",
    ]);
    expect(jsonAfterProgress<ServerShow>(out).status).toBe("ACTIVE");
  });

  it("another project cannot snapshot the server; a stopped server can be snapshotted", async () => {
    const refused = await bob.run(["server", "image", "create", "--name", "stolen", server.id]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/No Server found for/);

    await alice.ok(["server", "stop", server.id]);
    await waitFor("the server to be SHUTOFF", async () => (await alice.json<ServerShow>(["server", "show", server.id])).status === "SHUTOFF");
    const out = await alice.ok(["server", "image", "create", "--name", "snap-off", "--wait", "-f", "json", server.id]);
    expect(jsonAfterProgress<ImageShow>(out).status).toBe("active");
    expect((await alice.json<ServerShow>(["server", "show", server.id])).status).toBe("SHUTOFF");
  });
});
