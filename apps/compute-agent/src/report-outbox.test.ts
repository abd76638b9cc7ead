import { randomUUID } from "node:crypto";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { InstanceReport, ReportsAck } from "@nimbus/core/protocol";
import { ReportOutbox } from "./report-outbox";

const instanceId = randomUUID();
const commandId = randomUUID();
const report = (seq: number, phase: InstanceReport["phase"]): InstanceReport => ({
  instanceId,
  commandId,
  seq,
  phase,
  powerState: phase === "active" ? "running" : "nostate",
  at: new Date().toISOString(),
});

/** A server whose acknowledgements the test hands out one message at a time. */
function heldServer() {
  const messages: InstanceReport[][] = [];
  const pending: ((ack: ReportsAck | Error) => void)[] = [];
  const deliver = (reports: InstanceReport[]) =>
    new Promise<ReportsAck>((resolve, reject) => {
      messages.push(reports);
      pending.push((ack) => (ack instanceof Error ? reject(ack) : resolve(ack)));
    });
  const answer = async (ack: ReportsAck | Error) => {
    await until(() => pending.length > 0);
    pending.shift()!(ack);
  };
  return { messages, deliver, answer };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!condition()) throw new Error("condition never held");
}

describe("ReportOutbox", () => {
  it("sends reports made while one is on its way together, in order, in the next message", async () => {
    const server = heldServer();
    const outbox = new ReportOutbox(pino({ level: "silent" }));
    outbox.online(server.deliver);
    const first = outbox.post(report(0, "networking"));
    await until(() => server.messages.length === 1);
    // Made while the first is unacknowledged: they wait, then go together.
    const rest = [report(1, "block_device_mapping"), report(2, "spawning"), report(3, "active")].map((r) => outbox.post(r));
    await server.answer({ ok: true, refused: [] });
    await server.answer({ ok: true, refused: [] });
    await Promise.all([first, ...rest]);
    expect(server.messages.map((m) => m.map((r) => r.phase))).toEqual([["networking"], ["block_device_mapping", "spawning", "active"]]);
  });

  it("resends the whole message when no acknowledgement came, and drops refused reports after saying so", async () => {
    const server = heldServer();
    const outbox = new ReportOutbox(pino({ level: "silent" }), 10);
    outbox.online(server.deliver);
    const first = outbox.post(report(0, "networking"));
    const second = outbox.post(report(1, "error"));
    await server.answer(new Error("timed out"));
    await server.answer({ ok: true, refused: [{ instanceId, seq: 1, error: "Instance is not placed on this host." }] });
    await Promise.all([first, second]);
    await outbox.drained();
    expect(server.messages.map((m) => m.map((r) => r.seq))).toEqual([[0, 1], [0, 1]]);
  });
});
