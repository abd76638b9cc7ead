/** Simulation mode: one agent process, several hosts, each on its own private libvirt test driver. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { killAgentProcesses, startAgentProcess } from "./support/agent-process";
import { SECRET, spawnCommand } from "./support/commands";
import { FakeServer, registrationsOf, reportsOf } from "./support/fake-server";

const HOSTNAMES = ["rack-sim-1", "rack-sim-2", "rack-sim-3"];

describe("simulation mode", () => {
  let stateDir: string;
  let server: FakeServer;

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), "nimbus-sim-"));
    server = await FakeServer.listen();
  });

  afterEach(async () => {
    killAgentProcesses();
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("runs N simulated hosts with their own connections and inventories, and builds an instance only on its host", async () => {
    const agent = startAgentProcess({
      NIMBUS_SERVER_URL: server.url,
      NIMBUS_AGENT_SECRET: SECRET,
      NIMBUS_HOSTNAME: "rack",
      NIMBUS_STATE_DIR: stateDir,
      NIMBUS_SIMULATED_HOSTS: "3",
      NIMBUS_SIM_VCPUS: "48",
      NIMBUS_SIM_MEMORY_MB: "65536",
    });
    const registrations = await server.until((events) => {
      const all = registrationsOf(events);
      return all.length >= 3 ? all : undefined;
    });

    expect(registrations.map((r) => r.hostname).sort()).toEqual(HOSTNAMES);
    expect(new Set(registrations.map((r) => r.socketId)).size).toBe(3);
    for (const { hostname, registration } of registrations) {
      const index = hostname.slice(-1);
      expect(registration).toEqual({
        hypervisorType: "test",
        hypervisorUri: `test://${path.join(stateDir, `sim-${index}`, "node.xml")}`,
        cpuModel: "Nimbus simulated CPU",
        vcpus: 48,
        memoryMb: 65536,
        diskGb: 1000,
        domains: [],
      });
    }
    expect(agent.output()).toContain("simulated host");

    const command = spawnCommand();
    const id = command.instance.id;
    expect(await server.command("rack-sim-2", "instance.spawn", command)).toEqual({ ok: true });
    const active = await server.until((events) =>
      events.find((e) => e.type === "report" && e.report.instanceId === id && e.report.phase === "active"),
    );
    expect(active).toMatchObject({ hostname: "rack-sim-2" });
    expect(reportsOf(server.events, id)).toHaveLength(4);

    // Each host registers again and lists the domains its own test driver holds.
    server.disconnectAll();
    const again = await server.until((events) => {
      const second = HOSTNAMES.map((hostname) => registrationsOf(events, hostname)[1]);
      return second.every((r) => r !== undefined) ? second : undefined;
    });
    expect(again.map((r) => [r?.hostname, r?.registration.domains])).toEqual([
      ["rack-sim-1", []],
      ["rack-sim-2", [id]],
      ["rack-sim-3", []],
    ]);

    expect(await agent.stop()).toBe(0);
  });
});
