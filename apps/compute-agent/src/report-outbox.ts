import type { Logger } from "pino";
import { MAX_REPORTS_PER_MESSAGE, type InstanceReport, type ReportsAck } from "@nimbus/core/protocol";
import { AckSession, ENDED } from "./ack-session";

/** Sends reports (in order, one message) to the server; rejects when no acknowledgement came in time. */
export type DeliverReports = (reports: InstanceReport[]) => Promise<ReportsAck>;

interface Pending {
  report: InstanceReport;
  settle: () => void;
}

/**
 * Instance reports on their way to the server, in the order they were posted: one message at a
 * time, carrying every report queued by then (up to MAX_REPORTS_PER_MESSAGE), so reports made
 * while one was on its way cost one round trip between them, not one each. Reports leave the
 * queue only once the server acknowledged them (a refused one is logged); a message that got no
 * acknowledgement is sent again, after `retryMs` while the connection holds or after the next
 * registration once it dropped. Delivery is therefore at-least-once and in order; the server
 * drops duplicates by seq.
 */
export class ReportOutbox {
  private readonly queue: Pending[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private session: AckSession<InstanceReport[], ReportsAck> | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private flushing = false;
  private flushWanted = false;

  constructor(
    private readonly log: Logger,
    private readonly retryMs = 1000,
  ) {}

  /** Queues a report; resolves once the server acknowledged or refused it. */
  post(report: InstanceReport): Promise<void> {
    return new Promise((settle) => {
      this.queue.push({ report, settle });
      this.kick();
    });
  }

  /** The agent is registered: send through `deliver` until `offline()`. */
  online(deliver: DeliverReports): void {
    this.offline();
    this.session = new AckSession(deliver);
    this.kick();
  }

  /** The connection dropped: a report in flight is abandoned and resent in the next session. */
  offline(): void {
    this.session?.end();
    this.session = null;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Resolves once no report is waiting. */
  drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private kick(): void {
    this.flushWanted = true;
    if (!this.flushing) void this.flush();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.flushWanted) {
      this.flushWanted = false;
      await this.sendQueued();
    }
    this.flushing = false;
  }

  private async sendQueued(): Promise<void> {
    while (this.queue.length > 0 && this.session && !this.retryTimer) {
      const sending = this.queue.slice(0, MAX_REPORTS_PER_MESSAGE);
      const reports = sending.map((p) => p.report);
      const outcome = await this.session.deliver(reports);
      if (outcome === ENDED) return;
      if ("error" in outcome) {
        this.log.warn({ err: outcome.error, reports: reports.map((r) => ({ instanceId: r.instanceId, seq: r.seq })) }, "instance reports not acknowledged; will resend");
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.retryMs);
        return;
      }
      const { ack } = outcome;
      const refused = ack.ok ? ack.refused : reports.map((r) => ({ instanceId: r.instanceId, seq: r.seq, error: ack.error }));
      for (const refusal of refused) {
        const report = reports.find((r) => r.instanceId === refusal.instanceId && r.seq === refusal.seq);
        this.log.warn({ instanceId: refusal.instanceId, seq: refusal.seq, phase: report?.phase, reason: refusal.error }, "server refused instance report");
      }
      this.queue.splice(0, sending.length);
      for (const pending of sending) pending.settle();
    }
    if (this.queue.length === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
