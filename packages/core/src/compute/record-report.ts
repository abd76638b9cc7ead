import { schema } from "@nimbus/db";
import { eq, sql } from "@nimbus/db/orm";
import type { Services } from "../context";
import { NimbusError, isNimbusError } from "../errors";
import type { InstanceReport } from "../protocol/agent";
import { Announcements } from "./announce";
import { finishDelete } from "./delete-instance";
import {
  advanceBuild,
  enterPhase,
  followsInBuild,
  hostnameOf,
  lockInstance,
  releaseAllocations,
  releaseNetwork,
  type BuildProgressPhase,
  type BuildStep,
} from "./lifecycle";
import { settleVolumesOnHost } from "../volumes/attach";
import { applyTaskReport, isTaskReport } from "./actions/task-reports";
import { currentTask, dispatchTask } from "./actions/task";
import type { InstanceRow } from "@nimbus/db/schema";

export type ReportOutcome = "applied" | "duplicate" | "stale";

type RecordServices = Pick<
  Services,
  "db" | "publisher" | "buildRequested" | "buildTimeoutMs" | "actionTimeoutMs" | "agents" | "shutdownTimeoutSeconds"
>;

/** A report the server would not apply, and why (a NimbusError: another host's instance, say). */
export interface RefusedReport {
  report: InstanceReport;
  error: NimbusError;
}

/**
 * Applies one message of reports from the agent of `hostId`: each instance's reports in the
 * agent's order, different instances side by side. A run of one instance's progress reports
 * that follow each other as a build goes (reports that queued up on the agent while the server
 * was busy) is applied in one statement. Resolves with the refused reports; rejects on a
 * passing fault (the database), when the agent must send the message again (what was applied
 * is then a duplicate, and harmless).
 */
export async function recordReports(
  services: RecordServices,
  { hostId, reports }: { hostId: string; reports: InstanceReport[] },
): Promise<RefusedReport[]> {
  const byInstance = new Map<string, InstanceReport[]>();
  for (const report of reports) byInstance.set(report.instanceId, [...(byInstance.get(report.instanceId) ?? []), report]);
  const refused: RefusedReport[] = [];
  const refuse = (report: InstanceReport) => (error: unknown) => {
    if (!isNimbusError(error)) throw error;
    refused.push({ report, error });
  };
  await Promise.all(
    [...byInstance.values()].map(async (mine) => {
      for (let n = 0; n < mine.length; ) {
        const run = progressRun(mine, n);
        if (run.length > 1 && (await advanceRun(services, hostId, run))) {
          n += run.length;
          continue;
        }
        // One at a time: a single report, or a run the quick path refused (the locking path says why).
        await recordReport(services, { hostId, report: mine[n]! }).catch(refuse(mine[n]!));
        n++;
      }
    }),
  );
  return refused;
}

/** The longest run of progress reports from `start` that follow each other as a build goes. */
function progressRun(reports: InstanceReport[], start: number): InstanceReport[] {
  const run: InstanceReport[] = [];
  for (const report of reports.slice(start)) {
    const previous = run.at(-1);
    if (!isProgress(report.phase) || (previous && !followsInBuild(stepOf(previous), stepOf(report)))) break;
    run.push(report);
  }
  return run;
}

const PROGRESS_PHASES: readonly InstanceReport["phase"][] = [
  "networking",
  "block_device_mapping",
  "spawning",
  "active",
] satisfies BuildProgressPhase[];
const isProgress = (phase: InstanceReport["phase"]): phase is BuildProgressPhase => PROGRESS_PHASES.includes(phase);
const stepOf = (report: InstanceReport): BuildStep => ({
  phase: report.phase as BuildProgressPhase,
  seq: report.seq,
  powerState: report.powerState,
  reportedAt: report.at,
});

async function advanceRun(services: RecordServices, hostId: string, run: InstanceReport[]): Promise<boolean> {
  const out = new Announcements();
  const steps = run.map(stepOf);
  const applied = await advanceBuild(services.db, out, {
    instanceId: run[0]!.instanceId,
    hostId,
    host: await hostnameOf(services.db, hostId),
    steps: [steps[0]!, ...steps.slice(1)],
    buildDueAt: new Date(Date.now() + services.buildTimeoutMs),
  });
  if (applied) out.flush(services.publisher);
  return applied;
}

/**
 * Applies a state report from the agent of `hostId`. Reports are idempotent: a sequence number
 * at or below the last applied one is a duplicate, and a phase the instance has moved past is
 * stale; both are acknowledged and change nothing. An agent may only report on instances
 * placed on its own host.
 */
export async function recordReport(services: RecordServices, { hostId, report }: { hostId: string; report: InstanceReport }): Promise<ReportOutcome> {
  const out = new Announcements();
  // The common case, a build making progress, in one statement; whatever it refuses (another
  // host's instance, a duplicate, a stale phase) goes the locking way below, which says why.
  if (isProgress(report.phase) && (await advanceRun(services, hostId, [report]))) return "applied";
  let deleted = false;
  const outcome = await services.db.transaction(async (tx): Promise<ReportOutcome> => {
    const instance = await lockInstance(tx, report.instanceId);
    if (instance && instance.hostId !== hostId && isTaskReport(report.phase) && report.phase !== "power_state") {
      // A move's step on the other side (a confirm cleaning up the source): its own task's word
      // counts, by command id and host; the instance's report sequence is its host's, not this one's.
      const task = await currentTask(tx, instance.id);
      if (task && task.commandId === report.commandId && task.hostId === hostId) {
        return applyTaskReport(tx, out, services, instance, { ...report, phase: report.phase });
      }
    }
    if (!instance || instance.hostId !== hostId) {
      throw new NimbusError("Forbidden", `Instance ${report.instanceId} is not placed on this host.`);
    }
    // The guest gone ends a delete whatever its number: an agent that lost its state directory
    // numbers its reports from the start again (below the last one applied), and its word that
    // the domain is destroyed must still finish the delete rather than be dropped as a duplicate.
    if (report.phase === "deleted" && instance.taskState === "deleting" && report.seq <= instance.lastReportSeq) {
      deleted = true;
      return "applied";
    }
    if (report.seq <= instance.lastReportSeq) return "duplicate";
    const host = await hostnameOf(tx, hostId);
    const seen = { lastReportSeq: report.seq };
    if (isTaskReport(report.phase)) {
      await tx.update(schema.instances).set(seen).where(eq(schema.instances.id, instance.id));
      // Deleting or still building: an action's or the guest's word changes nothing now.
      if (instance.taskState === "deleting" || instance.vmState === "building" || instance.vmState === "deleted") return "stale";
      return applyTaskReport(tx, out, services, { ...instance, ...seen }, { ...report, phase: report.phase });
    }
    try {
      switch (report.phase) {
        case "networking":
        case "block_device_mapping":
        case "spawning":
          await enterPhase(tx, out, instance, report.phase, { host, powerState: report.powerState, reportedAt: report.at, extra: seen });
          // Progress pushes the build deadline out, and proves the command arrived.
          await tx
            .update(schema.buildRequests)
            .set({
              dueAt: new Date(Date.now() + services.buildTimeoutMs),
              commandAckedAt: sql`coalesce(${schema.buildRequests.commandAckedAt}, now())`,
              updatedAt: new Date(),
            })
            .where(eq(schema.buildRequests.instanceId, instance.id));
          return "applied";
        case "active":
          await enterPhase(tx, out, instance, "active", { host, powerState: report.powerState, reportedAt: report.at, extra: seen });
          await tx.update(schema.computeHosts).set({ failedBuilds: 0 }).where(eq(schema.computeHosts.id, hostId));
          await tx
            .update(schema.buildRequests)
            .set({ status: "done", updatedAt: new Date() })
            .where(eq(schema.buildRequests.instanceId, instance.id));
          await settleVolumesOnHost(tx, instance.id, hostId);
          return "applied";
        case "error":
          await tx.update(schema.instances).set(seen).where(eq(schema.instances.id, instance.id));
          return await buildFailed(tx, out, instance, host ?? "unknown host", report.message ?? "The compute host could not build the instance.");
        case "deleted":
          if (instance.taskState !== "deleting") return "stale";
          await tx.update(schema.instances).set(seen).where(eq(schema.instances.id, instance.id));
          deleted = true;
          return "applied";
        default: {
          const unreachable: never = report.phase;
          throw new Error(`unknown phase ${String(unreachable)}`);
        }
      }
    } catch (error) {
      if (isNimbusError(error) && error.code === "InvalidTransition") return "stale";
      throw error;
    }
  });
  if (deleted) await finishDelete(services, report.instanceId);
  out.flush(services.publisher);
  // A move's next step goes to its host at once (the sweeper sends it again until acknowledged).
  for (const task of out.dispatches) void dispatchTask(services, task).catch(() => undefined);
  if (outcome === "applied" && report.phase === "error") services.buildRequested();
  return outcome;
}

type Tx = Parameters<Parameters<Services["db"]["transaction"]>[0]>[0];

/**
 * A build failed on a host (the agent already cleaned up what it made): free the host's
 * allocations and either reschedule to an alternate or, when attempts are used up, go to ERROR
 * with a fault listing every attempt.
 */
export async function buildFailed(tx: Tx, out: Announcements, instance: InstanceRow, host: string, error: string): Promise<ReportOutcome> {
  const [request] = await tx.select().from(schema.buildRequests).where(eq(schema.buildRequests.instanceId, instance.id)).for("update");
  await releaseAllocations(tx, out, instance.id);
  if (instance.hostId) {
    // BuildFailureWeigher: this host sinks until it builds something again.
    await tx
      .update(schema.computeHosts)
      .set({ failedBuilds: sql`${schema.computeHosts.failedBuilds} + 1` })
      .where(eq(schema.computeHosts.id, instance.hostId));
  }
  const attempts = [...(request?.attempts ?? []), { host, error, at: new Date().toISOString() }];
  const maxAttempts = request?.maxAttempts ?? 1;
  if (attempts.length < maxAttempts) {
    const now = new Date();
    await tx.insert(schema.instanceActions).values({
      instanceId: instance.id,
      action: "reschedule",
      requestId: `req-reschedule-${instance.id.slice(0, 8)}-${attempts.length}`,
      projectId: instance.projectId,
      startTime: now,
      finishTime: now,
      message: `Build on ${host} failed: ${error}`,
    });
    await enterPhase(tx, out, instance, "scheduling", {
      details: `Build on ${host} failed (${error}); rescheduling, attempt ${attempts.length + 1} of ${maxAttempts}.`,
      closeResult: "Error",
      extra: { hostId: null },
    });
    await tx
      .update(schema.buildRequests)
      .set({ status: "pending", attempts, dueAt: new Date(), updatedAt: new Date() })
      .where(eq(schema.buildRequests.instanceId, instance.id));
    out.host(instance.hostId);
    return "applied";
  }
  const summary = attempts.map((a, i) => `attempt ${i + 1} on ${a.host}: ${a.error}`).join("; ");
  await enterPhase(tx, out, instance, "error", {
    host,
    faultCode: "BuildFailed",
    details: `The build failed on every host tried (${summary}).`,
    // No host runs it: its port goes (the agent that built it cleaned up what it made).
    extra: { hostId: null, ...(await releaseNetwork(tx, instance.id)) },
  });
  await tx
    .update(schema.buildRequests)
    .set({ status: "failed", attempts, updatedAt: new Date() })
    .where(eq(schema.buildRequests.instanceId, instance.id));
  out.host(instance.hostId);
  return "applied";
}
