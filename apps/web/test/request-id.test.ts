import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/server/logger";
import { ADMIN_PASSWORD, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "./harness";

/**
 * One grep follows a launch and a delete from the API to the host: the OpenStack API's
 * x-openstack-request-id travels in the spawn and destroy commands, and both the web process's
 * log and the agent's log name it on their lines for that command.
 */
describe("request ids from the API to the host's log", () => {
  let stack: Stack;
  let agent: AgentProcess;
  const webLines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        webLines.push(...chunk.toString().split("\n").filter(Boolean));
        done();
      },
    });
    stack = await startStack("postgres", {}, createLogger("info", sink));
    agent = startAgent(stack.server.url, { hostname: "request-id-1" });
  });
  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
  });

  /** JSON log lines (pino) that carry `requestId`. */
  const linesWith = (lines: string[], requestId: string) =>
    lines.flatMap((line) => {
      try {
        const entry = JSON.parse(line) as { requestId?: string; msg?: string };
        return entry.requestId === requestId ? [entry.msg ?? ""] : [];
      } catch {
        return [];
      }
    });

  it("a server create and delete through Nova's API: their request ids on the web's and the agent's lines", async () => {
    const identity = await fetch(`${stack.server.url}/identity/v3/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: ADMIN_PASSWORD } } },
          scope: { project: { name: "demo", domain: { id: "default" } } },
        },
      }),
    });
    expect(identity.status).toBe(201);
    const token = identity.headers.get("x-subject-token")!;
    const nova = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${stack.server.url}/compute/v2.1${path}`, {
        method,
        headers: { "x-auth-token": token, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return {
        status: response.status,
        requestId: response.headers.get("x-openstack-request-id")!,
        // biome-ignore lint/suspicious/noExplicitAny: the test reads Nova's answers field by field, as a client does
        body: text ? (JSON.parse(text) as Record<string, any>) : null,
      };
    };
    await waitFor("the host up", async () => (await nova("GET", "/os-hypervisors")).body?.hypervisors?.length === 1);
    const [flavors, images, networks] = await Promise.all([
      nova("GET", "/flavors"),
      fetch(`${stack.server.url}/image/v2/images`, { headers: { "x-auth-token": token } }).then(
        (r) => r.json() as Promise<{ images: { id: string }[] }>,
      ),
      fetch(`${stack.server.url}/network/v2.0/networks`, { headers: { "x-auth-token": token } }).then(
        (r) => r.json() as Promise<{ networks: { id: string }[] }>,
      ),
    ]);
    const tiny = (flavors.body!.flavors as { id: string; name: string }[]).find((f) => f.name === "m1.tiny")!;

    const created = await nova("POST", "/servers", {
      server: { name: "traced", imageRef: images.images[0]!.id, flavorRef: tiny.id, networks: [{ uuid: networks.networks[0]!.id }] },
    });
    expect(created.status).toBe(202);
    expect(created.requestId).toMatch(/^req-/);
    const id = created.body!.server.id as string;
    await waitFor("the server ACTIVE", async () => (await nova("GET", `/servers/${id}`)).body?.server.status === "ACTIVE");
    await waitFor("the agent's spawned line", () => linesWith(agent.output().split("\n"), created.requestId).includes("instance spawned"));
    expect(linesWith(agent.output().split("\n"), created.requestId)).toEqual(expect.arrayContaining(["spawn accepted", "instance spawned"]));
    expect(linesWith(webLines, created.requestId)).toContain("spawn acknowledged by the host");

    const deleted = await nova("DELETE", `/servers/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.requestId).not.toBe(created.requestId);
    await waitFor("the agent's destroyed line", () => linesWith(agent.output().split("\n"), deleted.requestId).includes("instance destroyed"));
    expect(linesWith(agent.output().split("\n"), deleted.requestId)).toEqual(expect.arrayContaining(["destroy accepted", "instance destroyed"]));
  });
});
