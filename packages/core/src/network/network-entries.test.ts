import { describe, expect, it } from "vitest";
import { MAX_NETWORK_ENTRIES, networkEntriesCommandSchema } from "../protocol/agent";
import { entriesForHost, networkEntriesCommands, type PublishedEntry } from "./network-entries";

const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";
const C = "00000000-0000-4000-8000-00000000000c";
const NETWORK = "00000000-0000-4000-8000-0000000000f1";
const tunnel = { [A]: "198.18.0.1", [B]: "198.18.0.2", [C]: "198.18.0.3" };

let next = 0;
function entry(hostId: keyof typeof tunnel, overrides: Partial<PublishedEntry> = {}): PublishedEntry {
  next++;
  return {
    portId: `00000000-0000-4000-8000-${next.toString(16).padStart(12, "0")}`,
    mac: `fa:16:3e:00:${(next >> 8).toString(16).padStart(2, "0")}:${(next & 255).toString(16).padStart(2, "0")}`,
    ip: `10.0.${next >> 8}.${next & 255}`,
    hostId,
    dst: tunnel[hostId],
    removed: false,
    revision: 1,
    ...overrides,
  };
}

describe("entriesForHost: which host gets which forwarding entries", () => {
  const onA = entry(A);
  const onB = entry(B);
  const onC = entry(C);
  const goneFromB = entry(B, { removed: true, revision: 2 });

  it("gives each host the entries of the other hosts' ports, never its own", () => {
    const forA = entriesForHost(A, [onA, onB, onC], true);
    expect(forA.upsert.map((e) => e.mac)).toEqual([onB.mac, onC.mac]);
    expect(forA.upsert[0]).toEqual({ mac: onB.mac, ip: onB.ip, dst: "198.18.0.2" });
    expect(entriesForHost(B, [onA, onB, onC], true).upsert.map((e) => e.dst)).toEqual(["198.18.0.1", "198.18.0.3"]);
  });

  it("leaves removed ports out of a full list, and removes them in changes", () => {
    expect(entriesForHost(A, [onB, goneFromB], true)).toEqual({ upsert: [{ mac: onB.mac, ip: onB.ip, dst: onB.dst }], remove: [] });
    expect(entriesForHost(A, [goneFromB], false)).toEqual({ upsert: [], remove: [{ mac: goneFromB.mac, ip: goneFromB.ip }] });
  });

  it("tells the host a port moved to that it is no longer behind a tunnel, and the others where it went", () => {
    const moved = { ...onB, hostId: A, dst: tunnel[A], revision: 3 };
    expect(entriesForHost(A, [moved], false)).toEqual({ upsert: [], remove: [{ mac: onB.mac, ip: onB.ip }] });
    expect(entriesForHost(C, [moved], false)).toEqual({ upsert: [{ mac: onB.mac, ip: onB.ip, dst: "198.18.0.1" }], remove: [] });
  });
});

describe("networkEntriesCommands", () => {
  const due = { hostId: A, networkId: NETWORK, segmentationId: 4242, mtu: 1450, fromRevision: 5, toRevision: 9 };

  it("sends one change command, valid on the wire, from the acknowledged revision", () => {
    const commands = networkEntriesCommands(due, [entry(B, { revision: 9 })]);
    expect(commands).toHaveLength(1);
    expect(networkEntriesCommandSchema.parse(commands[0])).toMatchObject({ full: false, fromRevision: 5, toRevision: 9, segmentationId: 4242 });
  });

  it("sends a full list to a host that acknowledged nothing, even an empty one (its kernel may hold stale entries)", () => {
    const [command] = networkEntriesCommands({ ...due, fromRevision: -1, toRevision: 0 }, []);
    expect(command).toMatchObject({ full: true, fromRevision: -1, toRevision: 0, upsert: [], remove: [] });
  });

  it("splits a full list longer than one command into a full first part and changes at the same revision", () => {
    const many = Array.from({ length: MAX_NETWORK_ENTRIES + 10 }, () => entry(B));
    const commands = networkEntriesCommands({ ...due, fromRevision: -1 }, many);
    expect(commands.map((c) => [c.full, c.fromRevision, c.toRevision, c.upsert.length])).toEqual([
      [true, -1, 9, MAX_NETWORK_ENTRIES],
      [false, 9, 9, 10],
    ]);
    for (const command of commands) networkEntriesCommandSchema.parse(command);
  });
});
