import type { InstanceReport, InstanceReportsMessage, ReportsAck } from "@nimbus/core/protocol";

/** Applies reports in order; resolves with the refused ones, or null after a passing fault (nothing acknowledged). */
export type ApplyReports = (reports: InstanceReport[]) => Promise<{ instanceId: string; seq: number; error: string }[] | null>;

type Ack = (response: ReportsAck) => void;

interface Accepted {
  message: InstanceReportsMessage;
  ack: Ack;
  /** Settles with the acknowledgement given, or null when the message was dropped unapplied. */
  settled: Promise<ReportsAck | null>;
  settle: (ack: ReportsAck | null) => void;
}

/**
 * One agent connection's report messages, applied strictly in the order of their numbers (see
 * instanceReportsSchema). Messages that arrive while earlier ones are being applied wait and
 * are then applied together, in one go. After a passing fault the messages of that go, and any
 * that waited behind them, are dropped unacknowledged and the stream expects the first of them
 * again: what the agent resends after its acknowledgement timeout.
 */
export class ReportStream {
  /** The number of the next message to accept. */
  private expected = 0;
  private readonly waiting: Accepted[] = [];
  /** Accepted, not yet acknowledged or dropped: a resend of one is answered as it is. */
  private readonly open = new Map<number, Accepted>();
  private applying = false;

  constructor(private readonly apply: ApplyReports) {}

  receive(message: InstanceReportsMessage, ack: Ack): void {
    if (message.n < this.expected) {
      // Sent again before its acknowledgement arrived: answer as the first one is answered.
      const first = this.open.get(message.n);
      if (!first) return ack({ ok: true, refused: [] });
      void first.settled.then((response) => response && ack(response));
      return;
    }
    // A gap: an earlier message was dropped after a fault, and this one must wait for it.
    if (message.n > this.expected) return;
    this.expected++;
    let settle: (ack: ReportsAck | null) => void = () => {};
    const settled = new Promise<ReportsAck | null>((resolve) => (settle = resolve));
    const accepted: Accepted = { message, ack, settled, settle };
    this.open.set(message.n, accepted);
    this.waiting.push(accepted);
    void this.run();
  }

  /**
   * Message `n` was refused without being applied (malformed, say; its acknowledgement says
   * so): it still takes its number, so the messages after it are not held back as behind a gap.
   */
  skip(n: number): void {
    if (n === this.expected) this.expected++;
  }

  private async run(): Promise<void> {
    if (this.applying) return;
    this.applying = true;
    while (this.waiting.length > 0) {
      const go = this.waiting.splice(0);
      const refused = await this.apply(go.flatMap((accepted) => accepted.message.reports)).catch(() => null);
      if (refused === null) {
        // Go back: expect the first of them again, and drop what waited behind them.
        this.expected = go[0]!.message.n;
        for (const dropped of [...go, ...this.waiting.splice(0)]) this.close(dropped, null);
        break;
      }
      for (const accepted of go) {
        const mine = refused.filter((r) => accepted.message.reports.some((report) => report.instanceId === r.instanceId && report.seq === r.seq));
        const response: ReportsAck = { ok: true, refused: mine };
        accepted.ack(response);
        this.close(accepted, response);
      }
    }
    this.applying = false;
  }

  private close(accepted: Accepted, response: ReportsAck | null): void {
    this.open.delete(accepted.message.n);
    accepted.settle(response);
  }
}
