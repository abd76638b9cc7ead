import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { isMissingFile } from "./error-message";

/**
 * Per-instance report sequence numbers (0, 1, 2, …), kept on disk. The server ignores a report
 * whose seq is not above the last one it applied, so numbers that restarted at 0 after an agent
 * restart would make every later report about an existing instance (its deletion, say) look
 * like a duplicate. Callers serialize `take` per instance.
 */
export class ReportSequence {
  private readonly nextSeq = new Map<string, number>();

  constructor(private readonly dir: string) {}

  async take(instanceId: string): Promise<number> {
    const seq = this.nextSeq.get(instanceId) ?? (await this.load(instanceId));
    const file = this.file(instanceId);
    // Write-then-rename: a crash mid-write must not leave a torn number behind.
    await writeFile(`${file}.tmp`, String(seq + 1));
    await rename(`${file}.tmp`, file);
    this.nextSeq.set(instanceId, seq + 1);
    return seq;
  }

  /** The instance is gone for good (its deletion was acknowledged). */
  async forget(instanceId: string): Promise<void> {
    this.nextSeq.delete(instanceId);
    await rm(this.file(instanceId), { force: true });
  }

  private async load(instanceId: string): Promise<number> {
    await mkdir(this.dir, { recursive: true });
    try {
      const stored = Number.parseInt(await readFile(this.file(instanceId), "utf8"), 10);
      return Number.isSafeInteger(stored) && stored >= 0 ? stored : 0;
    } catch (error) {
      if (isMissingFile(error)) return 0;
      throw error;
    }
  }

  private file(instanceId: string): string {
    return path.join(this.dir, instanceId.toLowerCase());
  }
}
