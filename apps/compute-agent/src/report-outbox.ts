import type { Logger } from "pino";
import type { CommandAck, InstanceReport } from "@nimbus/core/protocol";
import { AckSession, ENDED } from "./ack-session";

/** Sends one report to the server; rejects when no acknowledgement came in time. */
export type DeliverReport = (report: InstanceReport) => Promise<CommandAck>;

interface Pending {
  report: InstanceReport;
  settle: () => void;
}

/**
 * Instance reports on their way to the server, sent one at a time in the order they were
 * posted. A report leaves the queue only once the server acknowledged it (or refused it, which
 * is logged); one that got no acknowledgement is sent again, after `retryMs` while the
 * connection holds or after the next registration once it dropped. Delivery is therefore
 * at-least-once and in order; the server drops duplicates by seq.
 */
export class ReportOutbox {
  private readonly queue: Pending[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private session: AckSession<InstanceReport> | null = null;
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
  online(deliver: DeliverReport): void {
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
    for (let head = this.queue[0]; head && this.session && !this.retryTimer; head = this.queue[0]) {
      const { report } = head;
      const outcome = await this.session.deliver(report);
      if (outcome === ENDED) return;
      if ("error" in outcome) {
        this.log.warn({ err: outcome.error, instanceId: report.instanceId, seq: report.seq }, "instance report not acknowledged; will resend");
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.retryMs);
        return;
      }
      this.queue.shift();
      if (!outcome.ack.ok) {
        this.log.warn({ instanceId: report.instanceId, seq: report.seq, phase: report.phase, reason: outcome.ack.error }, "server refused instance report");
      }
      head.settle();
    }
    if (this.queue.length === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
