/** Exponential backoff: each `next()` doubles the delay, up to `maxMs`; `reset()` after a success. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {}

  next(): number {
    const delay = Math.min(this.minMs * 2 ** this.attempt, this.maxMs);
    if (delay < this.maxMs) this.attempt += 1;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}
