/**
 * What the server's reconciliation relies on (redelivered spawns, destroys of domains it does
 * not know), on the libvirt test driver. `test:///default` keeps its domains for as long as one
 * connection to it is open, so a host that stops and opens again here is an agent restart with
 * the domains left running, as on a real hypervisor.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DomainState, Hypervisor } from "@unraid/libvirt";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ComputeHost } from "../src/compute-host";
import { buildDomainXml } from "../src/driver/domain-xml";
import { NO_BLOCK_DEVICES } from "../src/driver/types";
import { SECRET, spawnCommand } from "./support/commands";
import { FakeServer, registrationsOf, reportsOf } from "./support/fake-server";

const URI = "test:///default";

describe("reconciliation support", () => {
  let libvirt: Hypervisor;
  let server: FakeServer;
  let stateDir: string;
  const opened: ComputeHost[] = [];

  beforeAll(async () => {
    libvirt = new Hypervisor({ uri: URI });
    await libvirt.connectOpen();
    server = await FakeServer.listen();
    stateDir = await mkdtemp(path.join(os.tmpdir(), "nimbus-reconcile-"));
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((host) => host.stop(1000)));
  });

  afterAll(async () => {
    await server.close();
    await libvirt.connectClose();
    await rm(stateDir, { recursive: true, force: true });
  });

  /** Starts the agent for `hostname` (a restart when it ran before) and waits for its registration. */
  async function startHost(hostname: string) {
    const registered = registrationsOf(server.events, hostname).length;
    const host = await ComputeHost.open({
      hostname,
      simulated: false,
      libvirtUri: URI,
      stateDir: path.join(stateDir, hostname),
      vif: { kind: "user" },
      diskGb: 10,
      serverUrls: [server.url],
      heartbeatMs: 60_000,
      agentVersion: "test",
      log: pino({ level: "silent" }),
    });
    opened.push(host);
    host.start(async () => ({ secret: SECRET }));
    const registration = await server.until((events) => registrationsOf(events, hostname)[registered]?.registration);
    return { host, registration };
  }

  async function domainsWithUuid(uuid: string): Promise<number> {
    const uuids = await Promise.all((await libvirt.connectListAllDomains()).map((d) => d.getUUIDString()));
    return uuids.filter((u) => u === uuid).length;
  }

  /** An instance's reports as [n, phase], n counting from its first report (seq is epoch × 2^24 + n, see ReportSequence). */
  function phasesOf(instanceId: string): [number, string][] {
    const reports = reportsOf(server.events, instanceId);
    return reports.map((r) => [r.seq - reports[0]!.seq, r.phase]);
  }

  it("acknowledges a redelivered spawn it already built without building again", async () => {
    await startHost("compute-redeliver");
    const command = spawnCommand();
    const id = command.instance.id;
    expect(await server.command("compute-redeliver", "instance.spawn", command)).toEqual({ ok: true });
    await server.until((events) => reportsOf(events, id).find((r) => r.phase === "active"));

    expect(await server.command("compute-redeliver", "instance.spawn", command)).toEqual({ ok: true });
    // Work for one instance runs in order: a second build would report before the deletion.
    await server.command("compute-redeliver", "instance.destroy", { commandId: randomUUID(), instanceId: id });
    await server.until((events) => reportsOf(events, id).find((r) => r.phase === "deleted"));
    expect(phasesOf(id)).toEqual([
      [0, "networking"],
      [1, "block_device_mapping"],
      [2, "spawning"],
      [3, "active"],
      [4, "deleted"],
    ]);
    expect(await domainsWithUuid(id)).toBe(0);
  });

  it("after a restart, a redelivered spawn of a running instance reports up to active and makes no second domain", async () => {
    const first = await startHost("compute-restart");
    const command = spawnCommand();
    const id = command.instance.id;
    await server.command("compute-restart", "instance.spawn", command);
    await server.until((events) => reportsOf(events, id).find((r) => r.phase === "active"));
    await first.host.stop(1000);
    expect(await domainsWithUuid(id)).toBe(1);
    const before = Math.max(...reportsOf(server.events, id).map((r) => r.seq));

    // The new process knows nothing of the command; the domain is still there and running.
    const { registration } = await startHost("compute-restart");
    expect(registration.domains).toEqual([id]);
    expect(await server.command("compute-restart", "instance.spawn", command)).toEqual({ ok: true });
    await server.until((events) => reportsOf(events, id).find((r) => r.phase === "active" && r.seq > before));

    // The new run numbers above everything the old one sent (its epoch is higher), in order.
    const after = reportsOf(server.events, id).slice(4);
    expect(after.every((r) => r.seq > before)).toBe(true);
    expect(after.map((r) => [r.seq - after[0]!.seq, r.phase])).toEqual([
      [0, "networking"],
      [1, "block_device_mapping"],
      [2, "spawning"],
      [3, "active"],
    ]);
    expect(reportsOf(server.events, id).every((r) => r.commandId === command.commandId)).toBe(true);
    expect(await domainsWithUuid(id)).toBe(1);
    expect((await (await libvirt.domainLookupByUUIDString(id)).getInfo()).state).toBe(DomainState.RUNNING);
  });

  it("destroys and undefines a domain it never built when the server says so", async () => {
    // Left over from before the agent started: running, named and keyed like an instance.
    const leftover = spawnCommand();
    const id = leftover.instance.id;
    const domain = await libvirt.domainDefineXML(
      buildDomainXml({
        command: leftover,
        domainType: "test",
        nics: [],
        blockDevices: NO_BLOCK_DEVICES,
      }),
    );
    await domain.create();

    const { registration } = await startHost("compute-leftover");
    expect(registration.domains).toContain(id);
    expect(await server.command("compute-leftover", "instance.destroy", { commandId: randomUUID(), instanceId: id })).toEqual({ ok: true });
    const deleted = await server.until((events) => reportsOf(events, id).find((r) => r.phase === "deleted"));

    expect(deleted).toMatchObject({ powerState: "nostate" });
    expect(deleted.seq % 2 ** 24).toBe(0); // the instance's first report in this run
    expect(await domainsWithUuid(id)).toBe(0);
  });
});
