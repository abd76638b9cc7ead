import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, PERSONA_PASSWORD, signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "../harness";
import { openstackCli, type Cli } from "./cli";

/**
 * Nova's rebuild through the stock `openstack` CLI (python-openstackclient 6.0, compute 2.1):
 * `server rebuild --image IMAGE --wait` on a real PostgreSQL and a real agent on libvirt's test
 * driver, then `server show`; and the raw action's answers (202 with the server, 400 for an
 * imageRef that names no image, in Nova's words).
 */

type ServerShow = Record<string, unknown> & { id: string; name: string; status: string; image: string; addresses: unknown };

/** The JSON the CLI prints after `--wait`'s progress line(s). */
const jsonAfterProgress = <T>(stdout: string): T => JSON.parse(stdout.slice(stdout.indexOf("{"))) as T;

describe("server rebuild through the stock openstack CLI", () => {
  let stack: Stack;
  let agent: AgentProcess;
  let admin: Cli;
  let alice: Cli;
  let bob: Cli;
  let aliceToken = "";

  async function nova(method: string, url: string, body?: unknown) {
    const response = await fetch(`${stack.server.url}/compute/v2.1${url}`, {
      method,
      headers: { "x-auth-token": aliceToken, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: the test reads Nova's answers field by field, as a client does
    return { status: response.status, body: (text ? JSON.parse(text) : null) as Record<string, any> };
  }

  beforeAll(async () => {
    stack = await startStack("postgres");
    agent = startAgent(stack.server.url, { hostname: "rebuild-cli-1" });
    await addUser(stack, { name: "alice", project: "demo", role: "member" });
    await addUser(stack, { name: "bob", project: "other", role: "member" });
    admin = openstackCli(stack.server.url);
    alice = openstackCli(stack.server.url, { user: "alice", password: PERSONA_PASSWORD, project: "demo" });
    bob = openstackCli(stack.server.url, { user: "bob", password: PERSONA_PASSWORD, project: "other" });
    const console = (await signedInClient(stack.server.url)).client;
    await waitFor("the agent's host to be up", async () =>
      (await console.hosts.list.query()).some((h) => h.hostname === agent.hostname && h.state === "up"),
    );
    // A second public image, uploaded through Glance from the seeded image's bits.
    const seeded = (await console.catalog.images.query())[0]!;
    await admin.ok([
      "image",
      "create",
      "--public",
      "--disk-format",
      seeded.diskFormat!,
      "--container-format",
      "bare",
      "--file",
      path.join(stack.dataDir, "images", seeded.id.toLowerCase()),
      "rebuild-two",
    ]);
    aliceToken = (await alice.json<{ id: string }>(["token", "issue"])).id;
    const created = await alice.run([
      "server",
      "create",
      "--image",
      seeded.name,
      "--flavor",
      "m1.tiny",
      "--network",
      "shared-net",
      "--wait",
      "-f",
      "json",
      "rb-cli",
    ]);
    expect(created.code, created.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
  });

  it("server rebuild --image --wait: back ACTIVE on the new image with the same addresses; server show and event list say so", async () => {
    const before = await alice.json<ServerShow>(["server", "show", "rb-cli"]);
    const rebuilt = await alice.run(["server", "rebuild", "--image", "rebuild-two", "--wait", "-f", "json", "rb-cli"], { timeoutMs: 120_000 });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(jsonAfterProgress<ServerShow>(rebuilt.stdout).id).toBe(before.id);
    const after = await alice.json<ServerShow>(["server", "show", "rb-cli"]);
    expect(after.status).toBe("ACTIVE");
    expect(after.image).toMatch(/^rebuild-two \(/);
    expect(after.addresses).toEqual(before.addresses);
    const events = await alice.json<{ Action: string }[]>(["server", "event", "list", "rb-cli"]);
    expect(events.map((e) => e.Action)).toContain("rebuild");
  }, 180_000);

  it("the raw action: 202 with the server in REBUILD (adminPass and access addresses taken and ignored); a bad imageRef is a 400 in Nova's words", async () => {
    const server = await alice.json<ServerShow>(["server", "show", "rb-cli"]);
    const image = await alice.json<{ id: string }>(["image", "show", "rebuild-two"]);
    await waitFor("rb-cli to be idle", async () => (await alice.json<ServerShow>(["server", "show", "rb-cli"])).status === "ACTIVE");

    const malformed = await nova("POST", `/servers/${server.id}/action`, { rebuild: { imageRef: "not-an-image" } });
    expect(malformed).toEqual({ status: 400, body: { badRequest: { code: 400, message: "Invalid imageRef provided." } } });
    const unknown = "7d3f7a5e-0000-4000-8000-00000000beef";
    const missing = await nova("POST", `/servers/${server.id}/action`, { rebuild: { imageRef: unknown } });
    expect(missing).toEqual({ status: 400, body: { badRequest: { code: 400, message: `Image ${unknown} could not be found.` } } });
    const noImage = await nova("POST", `/servers/${server.id}/action`, { rebuild: { name: "x" } });
    expect(noImage.status).toBe(400);

    const answer = await nova("POST", `/servers/${server.id}/action`, {
      rebuild: { imageRef: image.id, name: "rb-cli-2", metadata: { tier: "web" }, adminPass: "ignored", accessIPv4: "192.0.2.9" },
    });
    expect(answer.status).toBe(202);
    expect(answer.body.server).toMatchObject({ id: server.id, name: "rb-cli-2", status: "REBUILD", metadata: { tier: "web" } });
    expect(answer.body.server.image.id).toBe(image.id);
    await waitFor("rb-cli-2 to be ACTIVE", async () => (await alice.json<ServerShow>(["server", "show", "rb-cli-2"])).status === "ACTIVE");

    // Another project's server is not found.
    const other = await bob.run(["server", "rebuild", "--image", "rebuild-two", server.id]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/404|No server/);
  }, 120_000);
});
