import { mkdir, readFile } from "node:fs/promises";
import { writeFileDurably } from "./durable-file";
import path from "node:path";
import { isMissingFile } from "./error-message";

/** Reports one instance may make in one run of the agent (far more than a build and a delete take). */
const PER_EPOCH = 2 ** 24;

/**
 * Per-instance report sequence numbers that keep increasing across agent restarts. The server
 * ignores a report whose seq is not above the last one it applied, so numbers that restarted
 * after an agent restart would make every later report about an existing instance (its
 * deletion, say) look like a duplicate. A number is epoch × 2^24 + n: the epoch is kept on disk
 * and raised once, durably, at every start (before any report), and n counts the instance's
 * reports in this run, in memory. So no report waits for a file write. (Agents before this
 * scheme counted from 0 per instance on disk; epoch 1 starts above anything they sent.)
 */
export class ReportSequence {
  private readonly next = new Map<string, number>();

  private constructor(private readonly epoch: number) {}

  /** Raises the epoch kept in `dir` and returns the sequence of this run. */
  static async start(dir: string): Promise<ReportSequence> {
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, "epoch");
    let previous = 0;
    try {
      const stored = Number.parseInt(await readFile(file, "utf8"), 10);
      if (Number.isSafeInteger(stored) && stored >= 0) previous = stored;
    } catch (error) {
      if (!isMissingFile(error)) throw error;
    }
    const epoch = previous + 1;
    await writeFileDurably(file, String(epoch));
    return new ReportSequence(epoch);
  }

  /** The next number for an instance's report; callers serialize it per instance. */
  take(instanceId: string): number {
    const n = this.next.get(instanceId) ?? 0;
    if (n >= PER_EPOCH) throw new Error(`Instance ${instanceId} made more than ${PER_EPOCH} reports in one run of the agent.`);
    this.next.set(instanceId, n + 1);
    return this.epoch * PER_EPOCH + n;
  }

  /** The instance is gone for good (its deletion was acknowledged). */
  forget(instanceId: string): void {
    this.next.delete(instanceId);
  }
}
