import { monitorEventLoopDelay } from "node:perf_hooks";
import { NimbusError } from "@nimbus/core/errors";

/** How far behind the event loop runs: a window's delay p90 in ms (null: no sample yet), reset by taking it. */
export interface LoopDelayProbe {
  start(): void;
  stop(): void;
  take(): number | null;
}

/**
 * The event loop's delay from Node's own histogram, sampled every `resolutionMs` while started.
 * The histogram records the time between its timer's ticks, the interval included; the probe
 * reports what is beyond the interval (an idle loop reads 0).
 */
export function eventLoopDelayProbe(resolutionMs = 5): LoopDelayProbe {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  return {
    start: () => histogram.enable(),
    stop: () => {
      histogram.disable();
      histogram.reset();
    },
    take() {
      const p90 = histogram.count > 0 ? Math.max(0, histogram.percentile(90) / 1e6 - resolutionMs) : null;
      histogram.reset();
      return p90;
    },
  };
}

interface Waiter {
  queuedAt: number;
  admit(): void;
  refuse(error: NimbusError): void;
}

const shuttingDown = () =>
  new NimbusError("Unavailable", "This web server is shutting down; the launch did not start. Try again.", { retryAfterSeconds: 1 });

/** What launch admission did since the last report, for the operators' log. */
export interface AdmissionReport {
  /** Launch calls that had to wait before they started; the longest wait, of those still waiting too. */
  waited: number;
  longestWaitMs: number;
  /** Callers that went away while they waited. */
  abandoned: number;
  /** The most callers waiting at once. */
  mostWaiting: number;
  /** Calls refused because too many were waiting. */
  refused: number;
  /** The limit now, and its lowest since the last report. */
  limit: number;
  lowestLimit: number;
}

export interface AdmissionOptions {
  /** The event loop delay (p90 of a window) above which fewer launches run at once; 0 turns admission off. */
  targetDelayMs: number;
  loopDelay: LoopDelayProbe;
  minLimit?: number;
  maxLimit?: number;
  initialLimit?: number;
  /** Callers waiting beyond this are refused (TooManyRequests) rather than queued. */
  maxWaiting?: number;
  windowMs?: number;
}

/**
 * Admission for launches: a web process runs at most `limit` launch calls at once; the rest
 * wait their turn, first come first served. The limit follows the process's event loop, on
 * which the work already accepted also runs: the conductor placing builds, agents' reports and
 * their pushes to the progress views. While the loop keeps up (a window's delay p90 at or below
 * the target) and callers are waiting, the limit grows by one a window; when the loop falls
 * behind, it shrinks by a quarter. A storm of launches then waits at the door instead of
 * delaying every build already under way, and the console stays responsive (additive increase,
 * multiplicative decrease, as congestion control does; Nova bounds the same work with its API
 * workers and max_concurrent_builds). The loop is only watched while launches run or wait.
 */
export class AdmissionGate {
  private readonly minLimit: number;
  private readonly maxLimit: number;
  private readonly maxWaiting: number;
  private readonly windowMs: number;
  private current: number;
  private active = 0;
  /** The waiting callers, oldest first. */
  private readonly queue: Waiter[] = [];
  private closed = false;
  /** Callers had to wait during this window: the limit, not the demand, bounded the work. */
  private bound = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the window last ended (while the loop is watched). */
  private lastAdjustAt: number | undefined;
  private report: Omit<AdmissionReport, "limit">;

  constructor(private readonly options: AdmissionOptions) {
    this.minLimit = options.minLimit ?? 2;
    this.maxLimit = options.maxLimit ?? 64;
    this.maxWaiting = options.maxWaiting ?? 1_000;
    this.windowMs = options.windowMs ?? 200;
    this.current = Math.min(this.maxLimit, Math.max(this.minLimit, options.initialLimit ?? 8));
    this.report = this.freshReport();
  }

  /** What happened since the last call; null when no launch had to wait and none was refused. */
  takeReport(): AdmissionReport | null {
    const report = this.report;
    this.report = this.freshReport();
    if (report.mostWaiting + report.refused === 0) return null;
    const oldest = this.queue[0];
    const longestWaitMs = Math.max(report.longestWaitMs, oldest ? Math.round(performance.now() - oldest.queuedAt) : 0);
    return { ...report, longestWaitMs, limit: this.current };
  }

  private freshReport(): Omit<AdmissionReport, "limit"> {
    return { waited: 0, longestWaitMs: 0, abandoned: 0, mostWaiting: this.queue.length, refused: 0, lowestLimit: this.current };
  }

  /** What an operator sees of this process's admission now. */
  state(): { enabled: boolean; targetDelayMs: number; limit: number; running: number; waiting: number } {
    return {
      enabled: this.options.targetDelayMs > 0,
      targetDelayMs: this.options.targetDelayMs,
      limit: this.current,
      running: this.active,
      waiting: this.queue.length,
    };
  }

  get limit(): number {
    return this.current;
  }
  get running(): number {
    return this.active;
  }
  get waiting(): number {
    return this.queue.length;
  }

  /** Runs `work` once admitted; a caller whose request is aborted while it waits never starts. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.options.targetDelayMs <= 0) return work();
    await this.enter(signal);
    try {
      return await work();
    } finally {
      this.leave();
    }
  }

  /** One window's verdict (run by the gate's own timer; tests call it to step the controller). */
  adjust(): void {
    const now = performance.now();
    // A turn of the loop longer than a window leaves the probe no tick to report; how late the
    // window's own timer fired then says how far behind the loop is.
    const late = this.lastAdjustAt === undefined ? 0 : now - this.lastAdjustAt - this.windowMs;
    this.lastAdjustAt = now;
    const delay = this.options.loopDelay.take() ?? (late > 0 ? late : null);
    if (delay !== null && delay > this.options.targetDelayMs) {
      // Only a limit that holds launches back is lowered: with fewer running than it allows,
      // the loop is behind for other reasons, and a lower limit would only slow the recovery.
      if (this.bound || this.active >= this.current) this.current = Math.max(this.minLimit, Math.floor(this.current * 0.75));
      this.report.lowestLimit = Math.min(this.report.lowestLimit, this.current);
    } else if (this.bound && delay !== null) this.current = Math.min(this.maxLimit, this.current + 1);
    this.bound = this.queue.length > 0;
    this.admitWaiting();
    if (this.active === 0 && this.queue.length === 0) this.unwatch();
  }

  /**
   * Shutdown: stops watching the loop and refuses the callers still waiting (none of them has
   * started; they may try again, on another web process) and every caller from now on.
   */
  close(): void {
    this.closed = true;
    this.unwatch();
    for (const waiter of this.queue.splice(0)) waiter.refuse(shuttingDown());
  }

  private enter(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.closed) throw shuttingDown();
    this.watch();
    if (this.active < this.current && this.queue.length === 0) {
      this.active++;
      return Promise.resolve();
    }
    if (this.queue.length >= this.maxWaiting) {
      this.report.refused++;
      throw new NimbusError("TooManyRequests", `This server has ${this.queue.length} launches waiting to start; try again in a few seconds.`, {
        retryAfterSeconds: 5,
      });
    }
    this.bound = true;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.queue.indexOf(waiter);
        if (at >= 0) this.queue.splice(at, 1);
        this.report.abandoned++;
        reject(signal!.reason);
      };
      const settle = () => signal?.removeEventListener("abort", onAbort);
      const waiter: Waiter = {
        queuedAt: performance.now(),
        admit: () => {
          settle();
          this.report.waited++;
          this.report.longestWaitMs = Math.max(this.report.longestWaitMs, Math.round(performance.now() - waiter.queuedAt));
          resolve();
        },
        refuse: (error) => (settle(), reject(error)),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
      this.report.mostWaiting = Math.max(this.report.mostWaiting, this.queue.length);
    });
  }

  private leave(): void {
    this.active--;
    this.admitWaiting();
  }

  private admitWaiting(): void {
    while (this.active < this.current && this.queue.length > 0) {
      this.active++;
      this.queue.shift()!.admit();
    }
  }

  private watch(): void {
    if (this.timer) return;
    this.lastAdjustAt = performance.now();
    this.options.loopDelay.start();
    this.timer = setInterval(() => this.adjust(), this.windowMs);
    this.timer.unref();
  }

  private unwatch(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.lastAdjustAt = undefined;
    this.options.loopDelay.stop();
  }
}
