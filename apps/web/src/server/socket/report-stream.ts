import type { InstanceReport, InstanceReportsMessage, ReportsAck } from "@nimbus/core/protocol/agent";

/** Applies reports in order; resolves with the refused ones, or null after a passing fault (nothing acknowledged). */
export type ApplyReports = (reports: InstanceReport[]) => Promise<{ instanceId: string; seq: number; error: string }[] | null>;

type Ack = (response: ReportsAck) => void;

interface Accepted {
  message: InstanceReportsMessage;
  instances: Set<string>;
  ack: Ack;
  /** Settles with the acknowledgement given, or null when the message was dropped unapplied. */
  settled: Promise<ReportsAck | null>;
  settle: (ack: ReportsAck | null) => void;
}

/** Messages applied together, and the instances they report on. */
interface Go {
  messages: Accepted[];
  instances: Set<string>;
}

/** Acknowledged numbers kept for a go-back: pruned below the oldest open message once this many. */
const PRUNE_ACKED_AT = 1024;

/**
 * One agent connection's report messages, accepted strictly in the order of their numbers (see
 * instanceReportsSchema) and applied in that order for each instance: a message waits only for
 * earlier messages about the same instances, so one build's statement does not hold up the
 * reports of another build on the same host. Messages that wait are then applied together, in
 * one go. After a passing fault the messages of that go, and those about the same instances or
 * numbered after it that waited, are dropped unacknowledged and the stream expects the first of
 * them again, what the agent resends after its acknowledgement timeout; messages acknowledged
 * meanwhile are not expected again.
 */
export class ReportStream {
  /** The number of the next message to accept. */
  private expected = 0;
  private readonly waiting: Accepted[] = [];
  private readonly running = new Set<Go>();
  /** Accepted, not yet acknowledged or dropped: a resend of one is answered as it is. */
  private readonly open = new Map<number, Accepted>();
  /** Numbers acknowledged that a go-back could put at or after `expected` again. */
  private readonly acked = new Set<number>();

  constructor(private readonly apply: ApplyReports) {}

  receive(message: InstanceReportsMessage, ack: Ack): void {
    // After a go-back, a later message may still be running in another go: a resend of it is a
    // resend, not a new message, or it would be applied twice and, faulting, send the stream
    // back to a number already acknowledged.
    if (message.n < this.expected || this.acked.has(message.n) || this.open.has(message.n)) {
      // Sent again before its acknowledgement arrived: answer as the first one is answered.
      const first = this.open.get(message.n);
      if (!first) return ack({ ok: true, refused: [] });
      void first.settled.then((response) => response && ack(response));
      return;
    }
    // A gap: an earlier message was dropped after a fault, and this one must wait for it.
    if (message.n > this.expected) return;
    this.advance();
    let settle: (ack: ReportsAck | null) => void = () => {};
    const settled = new Promise<ReportsAck | null>((resolve) => (settle = resolve));
    const accepted: Accepted = { message, instances: new Set(message.reports.map((r) => r.instanceId)), ack, settled, settle };
    this.open.set(message.n, accepted);
    this.waiting.push(accepted);
    this.schedule();
  }

  /**
   * Message `n` was refused without being applied (malformed, say; its acknowledgement says
   * so): it still takes its number, so the messages after it are not held back as behind a gap.
   */
  skip(n: number): void {
    if (n === this.expected) this.advance();
    // Refused while the stream waits, after a go-back, for an earlier one: the agent will not
    // send it again (it has its answer), so it must not leave a gap behind.
    else if (n > this.expected) this.acked.add(n);
  }

  /** Past the expected number, and past any a go-back left behind that are still running or were acknowledged. */
  private advance(): void {
    this.expected++;
    while (this.acked.has(this.expected) || this.open.has(this.expected)) this.expected++;
  }

  /** Starts, in one go, every waiting message whose instances no running go and no earlier waiting message reports on. */
  private schedule(): void {
    const busy = new Set<string>();
    for (const go of this.running) for (const id of go.instances) busy.add(id);
    const held = new Set<string>();
    const go: Go = { messages: [], instances: new Set() };
    for (const accepted of this.waiting) {
      const blocked = [...accepted.instances].some((id) => busy.has(id) || held.has(id));
      for (const id of accepted.instances) (blocked ? held : go.instances).add(id);
      if (!blocked) go.messages.push(accepted);
    }
    if (go.messages.length === 0) return;
    const starting = new Set(go.messages);
    this.waiting.splice(0, this.waiting.length, ...this.waiting.filter((accepted) => !starting.has(accepted)));
    this.running.add(go);
    void this.run(go);
  }

  private async run(go: Go): Promise<void> {
    const refused = await this.apply(go.messages.flatMap((accepted) => accepted.message.reports)).catch(() => null);
    this.running.delete(go);
    if (refused === null) {
      this.goBack(go);
    } else {
      for (const accepted of go.messages) {
        const mine = refused.filter((r) => accepted.message.reports.some((report) => report.instanceId === r.instanceId && report.seq === r.seq));
        const response: ReportsAck = { ok: true, refused: mine };
        accepted.ack(response);
        this.acked.add(accepted.message.n);
        this.close(accepted, response);
      }
      this.pruneAcked();
    }
    this.schedule();
  }

  /** Expect the go's first message again; drop what waited behind it (later, or about its instances). */
  private goBack(go: Go): void {
    const first = Math.min(...go.messages.map((accepted) => accepted.message.n));
    const dropped = this.waiting.filter((accepted) => accepted.message.n > first || [...accepted.instances].some((id) => go.instances.has(id)));
    const kept = this.waiting.filter((accepted) => !dropped.includes(accepted));
    this.expected = Math.min(this.expected, first, ...dropped.map((accepted) => accepted.message.n));
    this.waiting.splice(0, this.waiting.length, ...kept);
    for (const accepted of [...go.messages, ...dropped]) this.close(accepted, null);
  }

  private close(accepted: Accepted, response: ReportsAck | null): void {
    this.open.delete(accepted.message.n);
    accepted.settle(response);
  }

  /** Acknowledged numbers below every open message can no longer come back after a go-back. */
  private pruneAcked(): void {
    if (this.acked.size < PRUNE_ACKED_AT) return;
    const oldestOpen = Math.min(this.expected, ...this.open.keys());
    for (const n of this.acked) if (n < oldestOpen) this.acked.delete(n);
  }
}
