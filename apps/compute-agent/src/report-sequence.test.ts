import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReportSequence } from "./report-sequence";

describe("ReportSequence", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "nimbus-seq-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("numbers each instance's reports in order, and after a restart above everything the last run numbered", async () => {
    const first = await ReportSequence.start(dir);
    const a = [first.take("a"), first.take("a"), first.take("a")];
    const b = first.take("b");
    expect(a[1]! - a[0]!).toBe(1);
    expect(a[2]! - a[1]!).toBe(1);
    expect(b).toBe(a[0]);

    const second = await ReportSequence.start(dir); // the agent restarted
    const again = second.take("a");
    expect(again).toBeGreaterThan(a[2]!);
    expect(second.take("b")).toBeGreaterThan(b);
    // One small file, written at the start: no file per instance or per report.
    expect(await readdir(dir)).toEqual(["epoch"]);
  });

  it("starts a forgotten instance's numbers over within the run, still above the last run's", async () => {
    const first = await ReportSequence.start(dir);
    const old = first.take("a");
    const second = await ReportSequence.start(dir);
    second.take("a");
    second.forget("a");
    expect(second.take("a")).toBeGreaterThan(old);
  });
});
