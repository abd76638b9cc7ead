import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { NETWORK_ENTRIES_OUT_OF_STEP, type NetworkEntriesCommand } from "@nimbus/core/protocol/agent";
import { kernelChanges, OutOfStepError, Overlay, type VxlanDataplane } from "./overlay";
import type { KernelEntry, VxlanDevice } from "./vxlan";

const NETWORK = "6f2c1a3e-0000-4000-8000-000000000001";
const log = pino({ level: "silent" });

/** A kernel in memory: the bridge is there or not, and the device's entries by MAC. */
function fakeKernel({ bridge = true }: { bridge?: boolean } = {}) {
  const held = new Map<string, KernelEntry>();
  const devices: VxlanDevice[] = [];
  const calls: string[] = [];
  const dataplane: VxlanDataplane = {
    async ensureDevice(device) {
      calls.push("ensure");
      if (!bridge) return false;
      devices.push(device);
      return true;
    },
    async removeDevice() {
      calls.push("remove-device");
      held.clear();
    },
    async entries() {
      calls.push("read");
      return new Map(held);
    },
    async change(_networkId, { upsert, remove }) {
      calls.push("change");
      for (const r of remove) held.delete(r.mac);
      for (const e of upsert) held.set(e.mac, { ip: e.ip, dst: e.dst });
    },
    async underlayMtu() {
      return 1500;
    },
  };
  return { dataplane, held, devices, calls, setBridge: (value: boolean) => (bridge = value) };
}

function command(overrides: Partial<NetworkEntriesCommand>): NetworkEntriesCommand {
  return {
    commandId: randomUUID(),
    networkId: NETWORK,
    segmentationId: 1001,
    mtu: 1450,
    full: false,
    fromRevision: 0,
    toRevision: 1,
    upsert: [],
    remove: [],
    ...overrides,
  };
}

const b1 = { mac: "fa:16:3e:00:00:b1", ip: "10.0.0.11", dst: "198.18.0.2" };
const c1 = { mac: "fa:16:3e:00:00:c1", ip: "10.0.0.12", dst: "198.18.0.3" };

describe("Overlay", () => {
  it("takes a full list, then changes on top of it, and puts both in the kernel", async () => {
    const kernel = fakeKernel();
    const overlay = new Overlay("198.18.0.1", kernel.dataplane, log);
    await overlay.apply(command({ full: true, fromRevision: -1, toRevision: 3, upsert: [b1] }));
    expect([...kernel.held.keys()]).toEqual([b1.mac]);
    expect(kernel.devices[0]).toMatchObject({ segmentationId: 1001, mtu: 1450, local: "198.18.0.1" });
    await overlay.apply(command({ fromRevision: 3, toRevision: 5, upsert: [c1], remove: [{ mac: b1.mac, ip: b1.ip }] }));
    expect([...kernel.held.keys()]).toEqual([c1.mac]);
    expect(overlay.entriesOf(NETWORK)).toEqual({ revision: 5, entries: [c1] });
  });

  it("refuses changes after a revision it does not have, in the protocol's words (an agent that restarted)", async () => {
    const overlay = new Overlay("198.18.0.1", fakeKernel().dataplane, log);
    const refused = overlay.apply(command({ fromRevision: 4, toRevision: 6, upsert: [b1] }));
    await expect(refused).rejects.toBeInstanceOf(OutOfStepError);
    await expect(refused).rejects.toThrow(new RegExp(`^${NETWORK_ENTRIES_OUT_OF_STEP}`));
  });

  it("ignores a list older than what it has (another web process's, arriving late)", async () => {
    const overlay = new Overlay("198.18.0.1", fakeKernel().dataplane, log);
    await overlay.apply(command({ full: true, fromRevision: -1, toRevision: 7, upsert: [b1, c1] }));
    await overlay.apply(command({ full: true, fromRevision: -1, toRevision: 5, upsert: [b1] }));
    expect(overlay.entriesOf(NETWORK)?.entries).toHaveLength(2);
    // Changes that overlap what it has are applied again, harmlessly.
    await overlay.apply(command({ fromRevision: 5, toRevision: 7, upsert: [c1] }));
    expect(overlay.entriesOf(NETWORK)).toMatchObject({ revision: 7 });
  });

  it("records entries while the network's bridge is not on the host, and puts them in place once a port is plugged", async () => {
    const kernel = fakeKernel({ bridge: false });
    const overlay = new Overlay("198.18.0.1", kernel.dataplane, log);
    await overlay.apply(command({ full: true, fromRevision: -1, toRevision: 2, upsert: [b1] }));
    expect(kernel.held.size).toBe(0);
    kernel.setBridge(true);
    await overlay.attach({ networkId: NETWORK, segmentationId: 1001, mtu: 1450 });
    expect([...kernel.held.keys()]).toEqual([b1.mac]);
  });

  it("replaces what the kernel holds with a full list: stale entries from before a restart go", async () => {
    const kernel = fakeKernel();
    kernel.held.set("fa:16:3e:00:00:99", { ip: "10.0.0.99", dst: "198.18.0.9" });
    kernel.held.set(b1.mac, { ip: b1.ip, dst: "198.18.0.9" });
    const overlay = new Overlay("198.18.0.1", kernel.dataplane, log);
    await overlay.apply(command({ full: true, fromRevision: -1, toRevision: 1, upsert: [b1] }));
    expect([...kernel.held]).toEqual([[b1.mac, { ip: b1.ip, dst: b1.dst }]]);
  });

  it("on a simulated host records what it is told and touches no kernel", async () => {
    const overlay = new Overlay("198.18.0.1", null, log);
    await overlay.apply(command({ full: true, fromRevision: -1, toRevision: 1, upsert: [b1] }));
    await overlay.attach({ networkId: NETWORK, segmentationId: 1001, mtu: 1450 });
    expect(overlay.entriesOf(NETWORK)).toEqual({ revision: 1, entries: [b1] });
  });
});

describe("kernelChanges", () => {
  it("removes what is not wanted, a neighbour entry whose IP changed, and adds what is missing or different", () => {
    const held = new Map<string, KernelEntry>([
      ["fa:16:3e:00:00:01", { ip: "10.0.0.1", dst: "198.18.0.2" }],
      ["fa:16:3e:00:00:02", { ip: "10.0.0.2", dst: "198.18.0.2" }],
      ["fa:16:3e:00:00:03", { ip: "10.0.0.3", dst: "198.18.0.2" }],
    ]);
    const wanted = new Map([
      ["fa:16:3e:00:00:02", { ip: "10.0.0.2", dst: "198.18.0.3" }],
      ["fa:16:3e:00:00:03", { ip: "10.0.0.33", dst: "198.18.0.2" }],
      ["fa:16:3e:00:00:04", { ip: "10.0.0.4", dst: "198.18.0.2" }],
    ]);
    const { upsert, remove } = kernelChanges(held, wanted);
    expect(remove).toEqual([
      { mac: "fa:16:3e:00:00:01", ip: "10.0.0.1" },
      { mac: "fa:16:3e:00:00:03", ip: "10.0.0.3" },
    ]);
    expect(upsert.map((e) => e.mac)).toEqual(["fa:16:3e:00:00:02", "fa:16:3e:00:00:03", "fa:16:3e:00:00:04"]);
    expect(kernelChanges(wanted, wanted)).toEqual({ upsert: [], remove: [] });
  });
});
