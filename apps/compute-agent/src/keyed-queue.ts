/**
 * Work run one at a time per key (an instance, a libvirt network, …), in the order it was
 * queued, whatever the outcome of the work before it. A key with nothing queued is forgotten.
 */
export class KeyedQueue {
  /** Per key: settles once the last work queued under it has finished. */
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` after every earlier work of the same key; resolves or rejects as `work` does. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Whether work is queued or running under `key`. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  /** Resolves once no work is queued under any key. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}
