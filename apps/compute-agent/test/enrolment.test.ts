/** Enrolment with a one-time join token, through the real entry point where it exits. */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ENROLL_PATH, enrollRequestSchema } from "@nimbus/core/protocol/http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Backoff } from "../src/backoff";
import { enrol } from "../src/enrolment";
import { killAgentProcesses, startAgentProcess } from "./support/agent-process";
import { FakeServer, registrationsOf } from "./support/fake-server";
import { memoryLog } from "./support/memory-log";

const JOIN_TOKEN = `join-${randomBytes(16).toString("hex")}`;
const CREDENTIAL = `host-${randomBytes(24).toString("hex")}`;

type Answer = [status: number, body: unknown];

/** An enrolment endpoint that records each request's body and answers in turn with `answers` (the last one repeats). */
function enrolEndpoint(answers: Answer[], requests: unknown[]) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    if (request.method !== "POST" || request.url !== ENROLL_PATH) {
      response.writeHead(404).end();
      return;
    }
    let body = "";
    request.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      requests.push(enrollRequestSchema.parse(JSON.parse(body)));
      const [status, answer] = answers[Math.min(requests.length, answers.length) - 1] ?? [500, {}];
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(answer));
    });
  };
}

describe("enrolment", () => {
  let stateDir: string;
  const servers: FakeServer[] = [];

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), "nimbus-enrol-"));
  });

  afterEach(async () => {
    killAgentProcesses();
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await rm(stateDir, { recursive: true, force: true });
  });

  async function listen(answers: Answer[], requests: unknown[]): Promise<FakeServer> {
    const server = await FakeServer.listen({ http: enrolEndpoint(answers, requests) });
    servers.push(server);
    return server;
  }

  function agentEnv(server: FakeServer): Record<string, string> {
    return {
      NIMBUS_SERVER_URL: server.url,
      NIMBUS_JOIN_TOKEN: JOIN_TOKEN,
      NIMBUS_HOSTNAME: "compute-enrol",
      NIMBUS_STATE_DIR: stateDir,
      // Absent: an agent that fell back to the shared secret would wait here forever.
      NIMBUS_AGENT_SECRET_FILE: path.join(stateDir, "no-shared-secret"),
    };
  }

  it("stores the credential with mode 0600, presents it in the handshake, and does not enrol again after a restart", async () => {
    const requests: unknown[] = [];
    const server = await listen([[200, { hostname: "compute-enrol", credential: CREDENTIAL }]], requests);

    const agent = startAgentProcess(agentEnv(server));
    const handshake = await server.until((events) => events.find((e) => e.type === "handshake")?.handshake);
    expect(handshake.credential).toBe(CREDENTIAL);
    expect(handshake.secret).toBeUndefined();
    await server.until((events) => registrationsOf(events, "compute-enrol")[0]);
    expect(requests).toEqual([{ joinToken: JOIN_TOKEN, hostname: "compute-enrol" }]);

    const file = path.join(stateDir, "host-credential");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, "utf8")).trim()).toBe(CREDENTIAL);
    expect((await readdir(stateDir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    expect(await agent.stop()).toBe(0);

    // The join token is still configured, but it was single-use: the stored credential wins.
    const restarted = startAgentProcess(agentEnv(server));
    const handshakes = await server.until((events) => {
      const all = events.flatMap((e) => (e.type === "handshake" ? [e.handshake] : []));
      return all.length >= 2 ? all : undefined;
    });
    expect(handshakes[1]?.credential).toBe(CREDENTIAL);
    expect(await restarted.stop()).toBe(0);
    expect(requests).toHaveLength(1);
    for (const output of [agent.output(), restarted.output()]) {
      expect(output).not.toContain(JOIN_TOKEN);
      expect(output).not.toContain(CREDENTIAL);
    }
  });

  it("exits with status 1 and the server's reason when the join token is refused (HTTP 401 or 400)", async () => {
    const refusals = [
      { status: 401, reason: "join token expired" },
      { status: 400, reason: "join token already used" },
    ];
    // Side by side: each agent start costs about a second.
    const runs = await Promise.all(
      refusals.map(async ({ status, reason }, i) => {
        const server = await listen([[status, { error: reason }]], []);
        const dir = path.join(stateDir, `agent-${i}`);
        const agent = startAgentProcess({ ...agentEnv(server), NIMBUS_STATE_DIR: dir });
        return { server, dir, agent, reason, code: await agent.exited };
      }),
    );
    for (const { server, dir, agent, reason, code } of runs) {
      expect(code).toBe(1);
      expect(agent.output()).toContain(reason);
      expect(agent.output()).toContain("NIMBUS_JOIN_TOKEN");
      expect(agent.output()).not.toContain(JOIN_TOKEN);
      expect(await readdir(dir)).not.toContain("host-credential");
      expect(server.events).toEqual([]);
    }
  });

  it("retries a server that cannot be reached or answers 5xx, moving round the servers", async () => {
    const requests: unknown[] = [];
    const server = await listen(
      [
        [503, { error: "database unavailable" }],
        [200, { hostname: "compute-enrol", credential: CREDENTIAL }],
      ],
      requests,
    );
    const unreachable = await unusedUrl();
    const { log, lines } = memoryLog();

    const enrolled = await enrol({
      serverUrls: [server.url, unreachable],
      joinToken: JOIN_TOKEN,
      hostname: "compute-enrol",
      log,
      backoff: new Backoff(10, 10),
    });

    expect(enrolled).toEqual({ hostname: "compute-enrol", credential: CREDENTIAL });
    expect(requests).toHaveLength(2);
    const failures = lines.filter((line) => line.msg === "enrolment failed; will retry").map((line) => line.url);
    expect(failures).toEqual([`${server.url}${ENROLL_PATH}`, `${unreachable}${ENROLL_PATH}`]);
    expect(JSON.stringify(lines)).not.toContain(JOIN_TOKEN);
  });
});

/** The URL of a port nothing listens on. */
async function unusedUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}`;
}
