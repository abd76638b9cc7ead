import { randomUUID } from "node:crypto";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { MAX_REPORT_MESSAGES_IN_FLIGHT, type InstanceReport, type InstanceReportsMessage, type ReportsAck } from "@nimbus/core/protocol/agent";
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

/** A server whose acknowledgements the test hands out one message at a time, oldest first. */
function heldServer() {
  const messages: InstanceReportsMessage[] = [];
  const pending: ((ack: ReportsAck | Error) => void)[] = [];
  const deliver = (message: InstanceReportsMessage) =>
    new Promise<ReportsAck>((resolve, reject) => {
      messages.push(message);
      pending.push((ack) => (ack instanceof Error ? reject(ack) : resolve(ack)));
    });
  const answer = async (ack: ReportsAck | Error) => {
    await until(() => pending.length > 0);
    pending.shift()!(ack);
  };
  return { messages, deliver, answer, unanswered: () => pending.length };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!condition()) throw new Error("condition never held");
}

const ok: ReportsAck = { ok: true, refused: [] };

/** An outbox online to a held server (resending after `retryMs` when a message goes unacknowledged). */
function onlineOutbox(retryMs?: number) {
  const server = heldServer();
  const outbox = new ReportOutbox(pino({ level: "silent" }), retryMs);
  outbox.online(server.deliver);
  return { server, outbox };
}
const shape = (messages: InstanceReportsMessage[]) => messages.map((m) => [m.n, m.reports.map((r) => r.seq)]);
/** The event loop's next turn: reports posted before it went out in one message. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Posts each report in a turn of its own. */
async function postApart(outbox: ReportOutbox, reports: InstanceReport[]): Promise<Promise<void>[]> {
  const posted: Promise<void>[] = [];
  for (const r of reports) {
    posted.push(outbox.post(r));
    await nextTurn();
  }
  return posted;
}

describe("ReportOutbox", () => {
  it("sends reports at once, those posted together in one message, without waiting for the previous acknowledgement", async () => {
    const { server, outbox } = onlineOutbox();
    // A build enters networking and block_device_mapping in one go: one message.
    const together = [report(0, "networking"), report(1, "block_device_mapping")].map((r) => outbox.post(r));
    await until(() => server.messages.length === 1);
    const apart = await postApart(outbox, [report(2, "spawning"), report(3, "active")]);
    await until(() => server.messages.length === 3);
    expect(shape(server.messages)).toEqual([
      [0, [0, 1]],
      [1, [2]],
      [2, [3]],
    ]);
    for (let i = 0; i < 3; i++) await server.answer(ok);
    await Promise.all([...together, ...apart]);
    await outbox.drained();
  });

  it("with the window full, reports made meanwhile wait and go together in the next message", async () => {
    const { server, outbox } = onlineOutbox();
    const first = await postApart(
      outbox,
      Array.from({ length: MAX_REPORT_MESSAGES_IN_FLIGHT }, (_, seq) => report(seq, "networking")),
    );
    await until(() => server.messages.length === MAX_REPORT_MESSAGES_IN_FLIGHT);
    const late = await postApart(outbox, [report(MAX_REPORT_MESSAGES_IN_FLIGHT, "spawning"), report(MAX_REPORT_MESSAGES_IN_FLIGHT + 1, "spawning")]);
    expect(server.messages).toHaveLength(MAX_REPORT_MESSAGES_IN_FLIGHT);
    await server.answer(ok);
    await until(() => server.messages.length === MAX_REPORT_MESSAGES_IN_FLIGHT + 1);
    expect(shape(server.messages).at(-1)).toEqual([
      MAX_REPORT_MESSAGES_IN_FLIGHT,
      [MAX_REPORT_MESSAGES_IN_FLIGHT, MAX_REPORT_MESSAGES_IN_FLIGHT + 1],
    ]);
    while (server.unanswered() > 0) await server.answer(ok);
    await Promise.all([...first, ...late]);
  });

  it("goes back when a message gets no acknowledgement: every unacknowledged message again, same reports, same numbers", async () => {
    const { server, outbox } = onlineOutbox(10);
    const posted = await postApart(outbox, [report(0, "networking"), report(1, "block_device_mapping"), report(2, "spawning")]);
    await until(() => server.messages.length === 3);
    await server.answer(ok); // n 0 applied
    await server.answer(new Error("timed out")); // n 1 not
    await server.answer(new Error("timed out")); // n 2 dropped behind it: no second go-back
    await until(() => server.messages.length === 5);
    expect(shape(server.messages)).toEqual([
      [0, [0]],
      [1, [1]],
      [2, [2]],
      [1, [1]],
      [2, [2]],
    ]);
    await server.answer(ok);
    await server.answer(ok);
    await Promise.all(posted);
    await outbox.drained();
  });

  it("after a reconnect sends what is unacknowledged again, numbered from 0, and drops refused reports after saying so", async () => {
    const { server, outbox } = onlineOutbox();
    const posted = await postApart(outbox, [report(0, "networking"), report(1, "error")]);
    await until(() => server.messages.length === 2);
    await server.answer(ok);
    await posted[0];
    outbox.offline(); // n 1 abandoned
    const again = heldServer();
    outbox.online(again.deliver);
    await until(() => again.messages.length === 1);
    expect(shape(again.messages)).toEqual([[0, [1]]]);
    await again.answer({ ok: true, refused: [{ instanceId, seq: 1, error: "Instance is not placed on this host." }] });
    await Promise.all(posted);
    await outbox.drained();
  });
});
