/** The agent's connections: failover across servers, refused handshakes, heartbeats. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ComputeHost } from "../src/compute-host";
import { SECRET, spawnCommand } from "./support/commands";
import { FakeServer, registrationsOf, reportsOf, type ServerEvent } from "./support/fake-server";
import { memoryLog } from "./support/memory-log";

describe("agent connection", () => {
  let stateDir: string;
  const opened: ComputeHost[] = [];
  const servers: FakeServer[] = [];

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), "nimbus-failover-"));
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((host) => host.stop(1000)));
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await rm(stateDir, { recursive: true, force: true });
  });

  async function listen(options?: Parameters<typeof FakeServer.listen>[0]): Promise<FakeServer> {
    const server = await FakeServer.listen(options);
    servers.push(server);
    return server;
  }

  async function startHost(hostname: string, serverUrls: string[], log: Logger = pino({ level: "silent" })): Promise<ComputeHost> {
    const host = await ComputeHost.open({
      hostname,
      simulated: false,
      libvirtUri: "test:///default",
      stateDir,
      vif: { kind: "user" },
      diskGb: 10,
      serverUrls,
      // Far above the servers' interval: heartbeats must follow the registration ack.
      heartbeatMs: 60_000,
      agentVersion: "test",
      log,
    });
    opened.push(host);
    host.start(async () => ({ secret: SECRET }));
    return host;
  }

  it("moves to the next server when its server dies, registers there and replays the unacknowledged report", async () => {
    const first = await listen({ ackReports: false });
    const second = await listen({ heartbeatIntervalMs: 20 });
    await startHost("compute-failover", [first.url, second.url]);
    await first.until((events) => registrationsOf(events)[0]);

    const command = spawnCommand();
    const id = command.instance.id;
    expect(await first.command("compute-failover", "instance.spawn", command)).toEqual({ ok: true });
    const unacknowledged = await first.until((events) => reportsOf(events, id)[0]);
    await first.close();

    const reports = await second.until((events) => {
      const received = reportsOf(events, id);
      return received.some((r) => r.phase === "active") ? received : undefined;
    });
    expect(reports[0]).toEqual(unacknowledged);
    // Numbered in order (each number is the agent's epoch × 2^24 + n: see ReportSequence).
    expect(reports.map((r) => [r.seq - reports[0]!.seq, r.phase])).toEqual([
      [0, "networking"],
      [1, "block_device_mapping"],
      [2, "spawning"],
      [3, "active"],
    ]);
    const firstOf = (type: ServerEvent["type"]) => second.events.findIndex((e) => e.type === type);
    expect(firstOf("register")).toBeGreaterThanOrEqual(0);
    expect(firstOf("register")).toBeLessThan(firstOf("report"));
  });

  it("heartbeats at the interval the registration acknowledgement gives", async () => {
    const server = await listen({ heartbeatIntervalMs: 20 });
    await startHost("compute-heartbeat", [server.url]);
    // At the agent's own bound (60 s) this would outlast the test's timeout.
    const heartbeats = await server.until((events) => {
      const beats = events.filter((e) => e.type === "heartbeat");
      return beats.length >= 3 ? beats : undefined;
    });
    expect(heartbeats.every((e) => e.type === "heartbeat" && e.hostname === "compute-heartbeat")).toBe(true);
  });

  it("logs a refused handshake with the server's reason and tries again", async () => {
    let refusals = 0;
    const server = await listen({ authorize: () => (refusals++ < 1 ? "host credential revoked" : null) });
    const { log, lines } = memoryLog();
    await startHost("compute-refused", [server.url], log);

    await server.until((events) => registrationsOf(events)[0]);
    expect(server.events.filter((e) => e.type === "refused")).toHaveLength(1);
    const warnings = lines.filter((line) => line.msg === "could not connect to the server");
    expect(warnings.map((line) => line.reason)).toEqual(["host credential revoked"]);
  });
});
