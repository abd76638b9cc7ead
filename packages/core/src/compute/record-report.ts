import { schema } from "@nimbus/db";
import { eq, sql } from "@nimbus/db/orm";
import type { Services } from "../context";
import { NimbusError, isNimbusError } from "../errors";
import type { InstanceReport } from "../protocol/index";
import { Announcements } from "./announce";
import { finishDelete } from "./delete-instance";
import { advanceBuild, enterPhase, hostnameOf, lockInstance, releaseAllocations } from "./lifecycle";
import { settleVolumesOnHost } from "../volumes/attach";

export type ReportOutcome = "applied" | "duplicate" | "stale";

/**
 * Applies a state report from the agent of `hostId`. Reports are idempotent: a sequence number
 * at or below the last applied one is a duplicate, and a phase the instance has moved past is
 * stale; both are acknowledged and change nothing. An agent may only report on instances
 * placed on its own host.
 */
export async function recordReport(
  services: Pick<Services, "db" | "publisher" | "buildRequested" | "buildTimeoutMs">,
  { hostId, report }: { hostId: string; report: InstanceReport },
): Promise<ReportOutcome> {
  const out = new Announcements();
  if (report.phase !== "error" && report.phase !== "deleted") {
    // The common case, a build making progress, in one statement; whatever it refuses (another
    // host's instance, a duplicate, a stale phase) goes the locking way below, which says why.
    const applied = await advanceBuild(services.db, out, {
      instanceId: report.instanceId,
      hostId,
      host: await hostnameOf(services.db, hostId),
      phase: report.phase,
      seq: report.seq,
      powerState: report.powerState,
      reportedAt: report.at,
      buildDueAt: new Date(Date.now() + services.buildTimeoutMs),
    });
    if (applied) {
      out.flush(services.publisher);
      return "applied";
    }
  }
  let deleted = false;
  const outcome = await services.db.transaction(async (tx): Promise<ReportOutcome> => {
    const instance = await lockInstance(tx, report.instanceId);
    if (!instance || instance.hostId !== hostId) {
      throw new NimbusError("Forbidden", `Instance ${report.instanceId} is not placed on this host.`);
    }
    if (report.seq <= instance.lastReportSeq) return "duplicate";
    const host = await hostnameOf(tx, hostId);
    const seen = { lastReportSeq: report.seq };
    try {
      switch (report.phase) {
        case "networking":
        case "block_device_mapping":
        case "spawning":
          await enterPhase(tx, out, instance, report.phase, { host, powerState: report.powerState, reportedAt: report.at, extra: seen });
          // Progress pushes the build deadline out, and proves the command arrived.
          await tx
            .update(schema.buildRequests)
            .set({ dueAt: new Date(Date.now() + services.buildTimeoutMs), commandAckedAt: sql`coalesce(${schema.buildRequests.commandAckedAt}, now())`, updatedAt: new Date() })
            .where(eq(schema.buildRequests.instanceId, instance.id));
          return "applied";
        case "active":
          await enterPhase(tx, out, instance, "active", { host, powerState: report.powerState, reportedAt: report.at, extra: seen });
          await tx.update(schema.computeHosts).set({ failedBuilds: 0 }).where(eq(schema.computeHosts.id, hostId));
          await tx.update(schema.buildRequests).set({ status: "done", updatedAt: new Date() }).where(eq(schema.buildRequests.instanceId, instance.id));
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
  if (outcome === "applied" && report.phase === "error") services.buildRequested();
  return outcome;
}

type Tx = Parameters<Parameters<Services["db"]["transaction"]>[0]>[0];
type InstanceRow = typeof schema.instances.$inferSelect;

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
    await tx.update(schema.computeHosts).set({ failedBuilds: sql`${schema.computeHosts.failedBuilds} + 1` }).where(eq(schema.computeHosts.id, instance.hostId));
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
    extra: { hostId: null },
  });
  await tx.update(schema.buildRequests).set({ status: "failed", attempts, updatedAt: new Date() }).where(eq(schema.buildRequests.instanceId, instance.id));
  out.host(instance.hostId);
  return "applied";
}
