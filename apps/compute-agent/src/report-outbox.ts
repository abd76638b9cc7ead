import type { Logger } from "pino";
import {
  MAX_REPORTS_PER_MESSAGE,
  MAX_REPORT_MESSAGES_IN_FLIGHT,
  type InstanceReport,
  type InstanceReportsMessage,
  type ReportsAck,
} from "@nimbus/core/protocol/agent";
import { AckSession, ENDED } from "./ack-session";

/** Sends one numbered message of reports to the server; rejects when no acknowledgement came in time. */
export type DeliverReports = (message: InstanceReportsMessage) => Promise<ReportsAck>;

interface Pending {
  report: InstanceReport;
  settle: () => void;
}

/** Reports sent (or to be sent again) together under one number. */
interface Message {
  n: number;
  items: Pending[];
  /** On its way in the current round; false until (re)sent. */
  sent: boolean;
}

/**
 * Instance reports on their way to the server, in the order they were posted (protocol 4, see
 * instanceReportsSchema). Reports go out in numbered messages as soon as the event loop is
 * free of the work that posted them: those posted in one go (a build enters networking and
 * block_device_mapping together; on a simulated host it reaches spawning in the same turn) share
 * one message, which the server applies in one statement, instead of each waiting for the
 * statement of the one before. Up to MAX_REPORT_MESSAGES_IN_FLIGHT messages await their
 * acknowledgement at a time; reports posted while the window is full go together in the next
 * message. Reports leave only once the server
 * acknowledged them (a refused one is logged). When a message gets no acknowledgement in time,
 * every unacknowledged message is sent again after `retryMs`, the same reports under the same
 * numbers (the server applies a connection's messages strictly in order and drops those after
 * a gap); after a reconnect they go again numbered from 0. Delivery is therefore at-least-once
 * and in order; the server drops duplicate reports by seq.
 */
export class ReportOutbox {
  /** Posted, in no message yet. */
  private readonly unsent: Pending[] = [];
  /** Unacknowledged messages, in order of their numbers. */
  private readonly messages: Message[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private session: AckSession<InstanceReportsMessage, ReportsAck> | null = null;
  private nextN = 0;
  /** Outcomes of sends from an earlier round (before a go-back or reconnect) are ignored, bar acknowledgements. */
  private round = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** A send is due once the work that posted reports this turn is done. */
  private sendDue = false;

  constructor(
    private readonly log: Logger,
    private readonly retryMs = 1000,
  ) {}

  /** Queues a report; resolves once the server acknowledged or refused it. */
  post(report: InstanceReport): Promise<void> {
    return new Promise((settle) => {
      this.unsent.push({ report, settle });
      if (this.sendDue) return;
      this.sendDue = true;
      setImmediate(() => {
        this.sendDue = false;
        this.send();
      });
    });
  }

  /** The agent is registered: send through `deliver` until `offline()`; what is unacknowledged goes again, numbered anew. */
  online(deliver: DeliverReports): void {
    this.offline();
    this.session = new AckSession(deliver);
    this.messages.forEach((message, n) => {
      Object.assign(message, { n, sent: false });
    });
    this.nextN = this.messages.length;
    this.send();
  }

  /** The connection dropped: messages in flight are abandoned and sent again in the next session. */
  offline(): void {
    this.session?.end();
    this.session = null;
    this.round++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Resolves once no report is waiting. */
  drained(): Promise<void> {
    if (this.unsent.length === 0 && this.messages.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Sends what the window allows: messages to send again first, in order, then new ones. */
  private send(): void {
    const session = this.session;
    if (!session || this.retryTimer) return;
    let inFlight = this.messages.filter((m) => m.sent).length;
    for (const message of this.messages) {
      if (inFlight >= MAX_REPORT_MESSAGES_IN_FLIGHT) return;
      if (message.sent) continue;
      this.transmit(session, message);
      inFlight++;
    }
    while (inFlight < MAX_REPORT_MESSAGES_IN_FLIGHT && this.unsent.length > 0) {
      const message: Message = { n: this.nextN++, items: this.unsent.splice(0, MAX_REPORTS_PER_MESSAGE), sent: false };
      this.messages.push(message);
      this.transmit(session, message);
      inFlight++;
    }
  }

  private transmit(session: AckSession<InstanceReportsMessage, ReportsAck>, message: Message): void {
    message.sent = true;
    const round = this.round;
    const reports = message.items.map((p) => p.report);
    void session.deliver({ n: message.n, reports }).then((outcome) => {
      if (outcome === ENDED) return;
      if ("ack" in outcome) return this.acknowledged(message, reports, outcome.ack);
      if (round !== this.round) return;
      this.log.warn(
        { err: outcome.error, n: message.n, reports: reports.map((r) => ({ instanceId: r.instanceId, seq: r.seq })) },
        "instance reports not acknowledged; will resend",
      );
      // Go back: everything unacknowledged goes again, in order, after a pause.
      this.round++;
      for (const m of this.messages) m.sent = false;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.send();
      }, this.retryMs);
    });
  }

  private acknowledged(message: Message, reports: InstanceReport[], ack: ReportsAck): void {
    const index = this.messages.indexOf(message);
    // Acknowledged twice (sent again before the first acknowledgement arrived): once is enough.
    if (index === -1) return;
    const refused = ack.ok ? ack.refused : reports.map((r) => ({ instanceId: r.instanceId, seq: r.seq, error: ack.error }));
    for (const refusal of refused) {
      const report = reports.find((r) => r.instanceId === refusal.instanceId && r.seq === refusal.seq);
      this.log.warn(
        { instanceId: refusal.instanceId, seq: refusal.seq, phase: report?.phase, reason: refusal.error },
        "server refused instance report",
      );
    }
    this.messages.splice(index, 1);
    for (const pending of message.items) pending.settle();
    if (this.unsent.length === 0 && this.messages.length === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
    this.send();
  }
}
