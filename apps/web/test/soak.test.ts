import { expect, it } from "vitest";
import { FAULT_KINDS, runSoak } from "../bench/soak";

const MINUTES = Number(process.env.NIMBUS_SOAK_MINUTES ?? 5);

/**
 * The soak's short version (`npm run bench -- soak` runs an hour): churn across two web processes
 * and 30 simulated hosts while agents are killed and paused, a web process is killed,
 * PostgreSQL restarts, its connections are terminated and the image store fills up. Every
 * invariant holds every minute and at the end, and every kind of fault was injected.
 */
it(`${MINUTES} minutes of churn while parts fail leave nothing stuck, leaked or miscounted`, { timeout: (MINUTES + 8) * 60_000 }, async () => {
  const report = await runSoak({ minutes: MINUTES, faultEverySeconds: 15, print: () => {} });
  expect(report.violations).toEqual([]);
  for (const kind of FAULT_KINDS)
    expect(
      report.faults.map((f) => f.kind),
      `a ${kind} fault`,
    ).toContain(kind);
  expect(
    report.faults.every((f) => !f.detail.startsWith("failed to inject")),
    JSON.stringify(report.faults),
  ).toBe(true);
  expect(report.counts.launches).toBeGreaterThan(20);
  expect(report.counts.deletes).toBeGreaterThan(20);
  expect(report.checks.filter((c) => !c.final).length).toBeGreaterThanOrEqual(MINUTES - 1);
  expect(report.checks.at(-1)?.final).toBe(true);
});
