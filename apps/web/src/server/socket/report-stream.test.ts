import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { InstanceReport, ReportsAck } from "@nimbus/core/protocol/agent";
import { ReportStream, type ApplyReports } from "./report-stream";

const instanceId = randomUUID();
const report = (seq: number, of = instanceId): InstanceReport => ({
  instanceId: of,
  commandId: randomUUID(),
  seq,
  phase: "networking",
  powerState: "nostate",
  at: new Date().toISOString(),
});

/** An apply whose calls the test finishes one at a time (null: a passing fault). */
function heldApply() {
  const calls: { seqs: number[]; finish: (result: Awaited<ReturnType<ApplyReports>>) => void }[] = [];
  const apply: ApplyReports = (reports) => new Promise((finish) => calls.push({ seqs: reports.map((r) => r.seq), finish }));
  return { calls, apply };
}

/** A stream over a held apply; `send` records each acknowledgement under a name (the message's number unless given). */
function heldStream() {
  const { calls, apply } = heldApply();
  const stream = new ReportStream(apply);
  const acks: (number | string)[] = [];
  const send = (n: number, reports: InstanceReport[], name: number | string = n) => stream.receive({ n, reports }, () => acks.push(name));
  return { calls, stream, acks, send };
}

/** A second instance reporting on the same connection. */
const other = randomUUID();

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!condition()) throw new Error("condition never held");
}

describe("ReportStream", () => {
  it("applies messages in order of their numbers; those that arrive meanwhile go together, each acknowledged once applied", async () => {
    const { calls, apply } = heldApply();
    const stream = new ReportStream(apply);
    const acks: [number, ReportsAck][] = [];
    const ack = (n: number) => (response: ReportsAck) => acks.push([n, response]);
    stream.receive({ n: 0, reports: [report(0)] }, ack(0));
    stream.receive({ n: 1, reports: [report(1)] }, ack(1));
    stream.receive({ n: 2, reports: [report(2), report(3)] }, ack(2));
    expect(calls.map((c) => c.seqs)).toEqual([[0]]);
    expect(acks).toEqual([]);
    calls[0]!.finish([]);
    await until(() => calls.length === 2);
    expect(calls[1]!.seqs).toEqual([1, 2, 3]);
    calls[1]!.finish([{ instanceId, seq: 3, error: "Instance is not placed on this host." }]);
    await until(() => acks.length === 3);
    expect(acks).toEqual([
      [0, { ok: true, refused: [] }],
      [1, { ok: true, refused: [] }],
      [2, { ok: true, refused: [{ instanceId, seq: 3, error: "Instance is not placed on this host." }] }],
    ]);
  });

  it("after a passing fault acknowledges nothing of that go, drops what follows until the first comes again", async () => {
    const { calls, apply } = heldApply();
    const stream = new ReportStream(apply);
    const acks: number[] = [];
    stream.receive({ n: 0, reports: [report(0)] }, () => acks.push(0));
    stream.receive({ n: 1, reports: [report(1)] }, () => acks.push(1));
    calls[0]!.finish(null); // n 1 was waiting behind it: dropped too
    await new Promise((r) => setTimeout(r, 10));
    stream.receive({ n: 2, reports: [report(2)] }, () => acks.push(2)); // sent before the agent noticed: a gap
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toHaveLength(1);
    expect(acks).toEqual([]);
    // The agent goes back: all of them again, under the same numbers.
    stream.receive({ n: 0, reports: [report(0)] }, () => acks.push(0));
    stream.receive({ n: 1, reports: [report(1)] }, () => acks.push(1));
    stream.receive({ n: 2, reports: [report(2)] }, () => acks.push(2));
    calls[1]!.finish([]);
    await until(() => calls.length === 3);
    expect(calls.map((c) => c.seqs)).toEqual([[0], [0], [1, 2]]);
    calls[2]!.finish([]);
    await until(() => acks.length === 3);
    expect(acks).toEqual([0, 1, 2]);
  });

  it("a message refused whole still takes its number: the ones after it are applied", async () => {
    const { calls, apply } = heldApply();
    const stream = new ReportStream(apply);
    const acks: number[] = [];
    stream.skip(0); // malformed: refused in its acknowledgement
    stream.receive({ n: 1, reports: [report(1)] }, () => acks.push(1));
    expect(calls.map((c) => c.seqs)).toEqual([[1]]);
    calls[0]!.finish([]);
    await until(() => acks.length === 1);
  });

  it("answers a message sent again before its acknowledgement as the first one is answered, applying it once", async () => {
    const { calls, apply } = heldApply();
    const stream = new ReportStream(apply);
    const acks: string[] = [];
    stream.receive({ n: 0, reports: [report(0)] }, () => acks.push("first"));
    stream.receive({ n: 0, reports: [report(0)] }, () => acks.push("again"));
    calls[0]!.finish([]);
    await until(() => acks.length === 2);
    expect(acks.sort()).toEqual(["again", "first"]);
    stream.receive({ n: 0, reports: [report(0)] }, () => acks.push("late"));
    expect(acks).toContain("late");
    expect(calls).toHaveLength(1);
  });

  it("a message about other instances does not wait for a running one; one about the same instance does", async () => {
    const { calls, acks, send } = heldStream();
    send(0, [report(0)]);
    send(1, [report(0, other)]);
    send(2, [report(1)]);
    // The other instance's message started beside the first; the same instance's waits.
    expect(calls.map((c) => c.seqs)).toEqual([[0], [0]]);
    calls[1]!.finish([]);
    await until(() => acks.length === 1);
    expect(acks).toEqual([1]);
    expect(calls).toHaveLength(2);
    calls[0]!.finish([]);
    await until(() => calls.length === 3);
    expect(calls[2]!.seqs).toEqual([1]);
    calls[2]!.finish([]);
    await until(() => acks.length === 3);
    expect(acks).toEqual([1, 0, 2]);
  });

  it("after a fault, a message acknowledged meanwhile is not expected again: the ones after it are applied", async () => {
    const { calls, acks, send } = heldStream();
    send(0, [report(0)]);
    send(1, [report(0, other)]);
    calls[1]!.finish([]);
    await until(() => acks.length === 1);
    calls[0]!.finish(null);
    await new Promise((r) => setTimeout(r, 10));
    // The agent sends again what was not acknowledged (0), then something new (2).
    send(0, [report(0)]);
    send(2, [report(1)]);
    calls[2]!.finish([]);
    await until(() => calls.length === 4);
    calls[3]!.finish([]);
    await until(() => acks.length === 3);
    expect(calls.map((c) => c.seqs)).toEqual([[0], [0], [0], [1]]);
    expect(acks).toEqual([1, 0, 2]);
  });

  it("after a fault, a resend of a message still running in another go is answered when that one is, not applied again", async () => {
    const { calls, acks, send } = heldStream();
    send(0, [report(0)], "0");
    send(1, [report(0, other)], "1");
    calls[0]!.finish(null); // 0 faults while 1 still runs
    await new Promise((r) => setTimeout(r, 10));
    // The agent's go-back: 0 and 1 again, then 2.
    send(0, [report(0)], "0 again");
    send(1, [report(0, other)], "1 again");
    send(2, [report(1, other)], "2");
    expect(calls.map((c) => c.seqs)).toEqual([[0], [0], [0]]);
    calls[1]!.finish([]); // the first 1 ends: both of its senders hear it
    await until(() => acks.includes("1") && acks.includes("1 again"));
    await until(() => calls.length === 4);
    expect(calls[3]!.seqs).toEqual([1]); // 2, once 1 is done
    calls[2]!.finish([]);
    calls[3]!.finish([]);
    await until(() => acks.length === 4);
    // Each message applied once: 0 again, 1 (answered twice), 2; the first 0 never.
    expect(acks.sort()).toEqual(["0 again", "1", "1 again", "2"]);
    expect(calls).toHaveLength(4);
  });

  it("a message refused whole while the stream waits for a resend after a fault leaves no gap behind", async () => {
    const { calls, stream, acks, send } = heldStream();
    send(0, [report(0)]);
    send(1, [report(0, other)]);
    calls[0]!.finish(null); // 0 faults: the stream expects 0 again
    calls[1]!.finish([]);
    await until(() => acks.length === 1);
    stream.skip(2); // malformed, refused in its acknowledgement: never sent again
    send(0, [report(0)]);
    send(3, [report(1)]);
    calls[2]!.finish([]);
    await until(() => calls.length === 4);
    calls[3]!.finish([]);
    await until(() => acks.length === 3);
    expect(acks).toEqual([1, 0, 3]);
  });
});
