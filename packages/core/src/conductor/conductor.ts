import { randomUUID } from "node:crypto";
import { schema } from "@nimbus/db";
import { and, eq, inArray, isNull, lte } from "@nimbus/db/orm";
import { Announcements } from "../compute/announce";
import { buildFailed } from "../compute/record-report";
import { enterPhase, hostnameOf, lockInstance, releaseAllocations } from "../compute/lifecycle";
import type { Services } from "../context";
import { claimResources } from "../placement/claim";
import { loadHostSnapshots, type HostSnapshot } from "../placement/usage";
import { selectHosts } from "../scheduler/select";
import type { RequestSpec } from "../scheduler/types";
import { weighersFor } from "../scheduler/weighers";
import { buildRequestSpec, groupPolicyHolds } from "./request-spec";

type BuildRequestRow = typeof schema.buildRequests.$inferSelect;
type ClaimedRequest = BuildRequestRow & { reservationId: string };
/** What processing a request left running: the dispatch to its host, awaited with the batch. */
type Pending = { dispatch?: Promise<void> };

export interface ConductorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ConductorOptions {
  /** How often due build requests are looked for even when nobody kicked (recovery, timeouts). */
  pollIntervalMs: number;
  /** A claimed-but-unfinished scheduling step is retried by any conductor after this lease. */
  leaseMs: number;
  batchSize: number;
}

export const DEFAULT_CONDUCTOR_OPTIONS: ConductorOptions = { pollIntervalMs: 1_000, leaseMs: 30_000, batchSize: 50 };

const CLAIM_RETRIES = 8;
/** Spawn commands awaiting their ack before the conductor stops claiming more work. */
const MAX_DISPATCHES_IN_FLIGHT = 200;
/** An unacknowledged spawn command is sent again this often. */
const REDELIVERY_MS = 2_000;

/**
 * nova-conductor's schedule_and_build_instances, durable: build requests live in Postgres and are
 * claimed with FOR UPDATE SKIP LOCKED, so any number of web processes share them and a restarted
 * one picks up where a dead one stopped. Each request is scheduled (filters, weighers), claimed
 * in placement (generation CAS) and dispatched to the host's compute agent; failures go to the
 * next alternate until max attempts, then ERROR with a fault that lists every attempt.
 */
export class Conductor {
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly services: Services,
    private readonly log: ConductorLogger,
    private readonly options: ConductorOptions = DEFAULT_CONDUCTOR_OPTIONS,
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.options.pollIntervalMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.draining;
    await Promise.all(this.inFlight);
  }

  /** Look for due work now; calls while a drain runs coalesce into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      this.again = false;
      const batch = await this.claimDue().catch((error: unknown) => {
        this.log.error({ err: error }, "conductor could not claim build requests");
        return [];
      });
      if (batch.length === 0 || this.stopped) return;
      // Reservations in parallel; the members of one multi-create in order, so each sees where
      // the previous ones went (consistent batch placement, group policies included).
      const byReservation = new Map<string, ClaimedRequest[]>();
      for (const request of batch) byReservation.set(request.reservationId, [...(byReservation.get(request.reservationId) ?? []), request]);
      // Only placement is ordered. Dispatches wait for the agent's ack, so they run in the
      // background (bounded) while the next batch is claimed and placed.
      const failed = (request: ClaimedRequest) => (error: unknown) => this.log.error({ err: error, instanceId: request.instanceId }, "build request failed");
      await Promise.all(
        [...byReservation.values()].map(async (members) => {
          for (const request of members) {
            const next = await this.process(request).catch(failed(request));
            if (next?.dispatch) this.track(next.dispatch.catch(failed(request)));
          }
        }),
      );
      while (this.inFlight.size >= MAX_DISPATCHES_IN_FLIGHT) await Promise.race(this.inFlight);
    }
  }

  private readonly inFlight = new Set<Promise<void>>();

  private track(dispatch: Promise<void>): void {
    this.inFlight.add(dispatch);
    void dispatch.finally(() => this.inFlight.delete(dispatch));
  }

  /** Claims due requests; a pending or lease-expired one gets a fresh lease. */
  private async claimDue(): Promise<ClaimedRequest[]> {
    const now = new Date();
    return this.services.db.transaction(async (tx) => {
      const rows = await tx
        .select({ request: schema.buildRequests, reservationId: schema.instances.reservationId, launchIndex: schema.instances.launchIndex })
        .from(schema.buildRequests)
        .innerJoin(schema.instances, eq(schema.instances.id, schema.buildRequests.instanceId))
        .where(and(inArray(schema.buildRequests.status, ["pending", "scheduled", "dispatched"]), lte(schema.buildRequests.dueAt, now)))
        .orderBy(schema.buildRequests.dueAt, schema.instances.launchIndex)
        .limit(this.options.batchSize)
        .for("update", { of: schema.buildRequests, skipLocked: true });
      if (rows.length === 0) return [];
      const due = rows.map((r) => ({ ...r.request, reservationId: r.reservationId }));
      await tx
        .update(schema.buildRequests)
        .set({ dueAt: new Date(now.getTime() + this.options.leaseMs), updatedAt: now })
        .where(inArray(schema.buildRequests.instanceId, due.map((r) => r.instanceId)));
      await tx
        .update(schema.buildRequests)
        .set({ status: "scheduled" })
        .where(and(inArray(schema.buildRequests.instanceId, due.map((r) => r.instanceId)), eq(schema.buildRequests.status, "pending")));
      return due;
    });
  }

  /** Schedules what needs it; returns the dispatch to the host, if any, still running. */
  private async process(request: ClaimedRequest): Promise<Pending> {
    if (request.status === "dispatched") return this.followUp(request);
    const instance = await this.services.db.query.instances.findFirst({ where: eq(schema.instances.id, request.instanceId) });
    if (instance && !instance.hostId && request.status === "scheduled") {
      // The lease of a conductor that died mid-scheduling ran out: give back whatever it had
      // claimed but not yet assigned before scheduling again.
      const out = new Announcements();
      await this.services.db.transaction((tx) => releaseAllocations(tx, out, instance.id));
      out.flush(this.services.publisher);
    }
    if (!instance || instance.taskState !== "scheduling") {
      await this.services.db
        .update(schema.buildRequests)
        .set({ status: instance?.vmState === "active" ? "done" : "failed" })
        .where(eq(schema.buildRequests.instanceId, request.instanceId));
      return {};
    }
    const spec = await buildRequestSpec(this.services.db, instance, request);
    const hostId = instance.hostId ?? (await this.schedule(request, spec));
    return hostId ? { dispatch: this.dispatch(request.instanceId, hostId) } : {};
  }

  /**
   * Filters, weighs and claims; returns the claimed host, or null after recording NoValidHost
   * (or when the instance went away). The fast path reads only placement candidates; when they
   * yield nothing, every host is read, both to be sure and to explain the refusal per filter.
   */
  private async schedule(request: BuildRequestRow, spec: RequestSpec): Promise<string | null> {
    const tried = new Set(request.attempts.map((a) => a.host));
    const settings = this.services.scheduler ?? {};
    // Claims race: rank a few more hosts than the attempts, to fall back on without re-reading.
    const options = { maxAttempts: Math.max(this.services.maxAttempts, 10), hostSubsetSize: settings.hostSubsetSize ?? 1, weighers: weighersFor(settings.multipliers) };
    const downAfterMs = this.services.hostDownAfterMs;
    for (let round = 0; round < CLAIM_RETRIES; round++) {
      const untried = (hosts: HostSnapshot[]) => hosts.filter((h) => !tried.has(h.hostname));
      const order = (settings.multipliers?.ram ?? 1) < 0 ? "pack" : "spread";
      let hosts = untried(await loadHostSnapshots(this.services.db, { downAfterMs, candidatesFor: spec, limit: settings.maxCandidates ?? 100, order }));
      let result = selectHosts(hosts, spec, options);
      if (!result.ok) {
        hosts = untried(await loadHostSnapshots(this.services.db, { downAfterMs }));
        result = selectHosts(hosts, spec, options);
      }
      if (!result.ok) {
        const previous = request.attempts.length > 0 ? ` Hosts already tried: ${request.attempts.map((a) => `${a.host} (${a.error})`).join("; ")}.` : "";
        await this.fail(request.instanceId, "NoValidHost", `No valid host was found. ${result.explanation}${previous}`);
        return null;
      }
      for (const host of result.hosts) {
        const generation = hosts.find((h) => h.id === host.id)?.generation ?? 0;
        const outcome = await claimResources(this.services.db, { hostId: host.id, generation, instanceId: request.instanceId, spec });
        // Someone claimed on that host since it was read: its alternates were read at the same
        // moment and are likely still good, so try them before re-reading everything.
        if (outcome === "insufficient" || outcome === "conflict") continue;
        const assigned = await this.assignHost(request, host.id);
        if (assigned === "assigned") return host.id;
        if (assigned === "gone") return null;
        break; // a group member took that host meanwhile: re-read and re-weigh
      }
    }
    // Still contended after several rounds: put it back for the next pass rather than failing.
    await this.services.db
      .update(schema.buildRequests)
      .set({ status: "pending", dueAt: new Date(Date.now() + 50) })
      .where(eq(schema.buildRequests.instanceId, request.instanceId));
    return null;
  }

  /** Records the chosen host and closes the scheduling event; undoes the claim if deleted meanwhile. */
  private async assignHost(request: BuildRequestRow, hostId: string): Promise<"assigned" | "gone" | "policy"> {
    const out = new Announcements();
    const instanceId = request.instanceId;
    const assigned = await this.services.db.transaction(async (tx) => {
      const instance = await lockInstance(tx, instanceId);
      if (!instance || instance.taskState !== "scheduling") {
        await releaseAllocations(tx, out, instanceId);
        return "gone" as const;
      }
      if (!(await groupPolicyHolds(tx, instanceId, request.requestSpec.serverGroupId, hostId))) {
        await releaseAllocations(tx, out, instanceId);
        return "policy" as const;
      }
      const now = new Date();
      const hostname = await hostnameOf(tx, hostId);
      // Report sequence numbers are per agent: a new host starts its own count.
      const [updated] = await tx.update(schema.instances).set({ hostId, lastReportSeq: -1, updatedAt: now }).where(eq(schema.instances.id, instanceId)).returning();
      const closed = await tx
        .update(schema.instanceActionEvents)
        .set({ finishTime: now, result: "Success", host: hostname })
        .where(
          and(
            eq(schema.instanceActionEvents.instanceId, instanceId),
            eq(schema.instanceActionEvents.event, "scheduling"),
            isNull(schema.instanceActionEvents.finishTime),
          ),
        )
        .returning();
      for (const row of closed) out.event(instance.projectId, row);
      if (updated) out.instance(updated, hostname);
      out.host(hostId);
      await tx
        .update(schema.buildRequests)
        .set({
          status: "dispatched",
          commandId: randomUUID(),
          dispatchedAt: now,
          commandAckedAt: null,
          dueAt: new Date(now.getTime() + REDELIVERY_MS),
          updatedAt: now,
        })
        .where(eq(schema.buildRequests.instanceId, instanceId));
      return "assigned" as const;
    });
    out.flush(this.services.publisher);
    return assigned;
  }

  /**
   * A dispatched build is due: an unacknowledged spawn is redelivered (same command id, so the
   * agent treats it as the same command); an acknowledged one that made no progress in time, or
   * one never acknowledged within the build timeout, times out.
   */
  private async followUp(request: BuildRequestRow): Promise<Pending> {
    const overdue = request.dispatchedAt !== null && Date.now() - request.dispatchedAt.getTime() > this.services.buildTimeoutMs;
    if (request.commandAckedAt || overdue) {
      await this.timeOut(request);
      return {};
    }
    const instance = await this.services.db.query.instances.findFirst({ where: eq(schema.instances.id, request.instanceId) });
    if (!instance?.hostId || instance.vmState !== "building" || instance.taskState === "deleting") {
      await this.services.db.update(schema.buildRequests).set({ status: "failed" }).where(eq(schema.buildRequests.instanceId, request.instanceId));
      return {};
    }
    return { dispatch: this.dispatch(request.instanceId, instance.hostId) };
  }

  private async dispatch(instanceId: string, hostId: string): Promise<void> {
    const row = await this.services.db.query.instances.findFirst({
      where: eq(schema.instances.id, instanceId),
      with: { image: true, network: true },
    });
    const request = await this.services.db.query.buildRequests.findFirst({ where: eq(schema.buildRequests.instanceId, instanceId) });
    if (!row || !request?.commandId) return;
    let ack;
    try {
      ack = await this.services.agents.spawn(hostId, {
        commandId: request.commandId,
        instance: { id: row.id, name: row.name, vcpus: row.vcpus, memoryMb: row.memoryMb, rootGb: row.rootGb },
        image: row.image ? { id: row.image.id, name: row.image.name, properties: row.image.properties } : null,
        network: row.network ? { id: row.network.id, name: row.network.name, macAddress: row.macAddress ?? "fa:16:3e:00:00:00", fixedIp: row.fixedIp } : null,
      });
    } catch (error) {
      // Not delivered (agent away, ack lost): the row stays due and the command is redelivered
      // until acknowledged, or until the host is declared down and the build rescheduled.
      this.log.warn({ instanceId, hostId, reason: error instanceof Error ? error.message : String(error) }, "spawn not acknowledged; will redeliver");
      return;
    }
    if (!ack.ok) return this.hostFailed(instanceId, hostId, ack.error);
    const now = new Date();
    await this.services.db
      .update(schema.buildRequests)
      .set({ commandAckedAt: now, dueAt: new Date(now.getTime() + this.services.buildTimeoutMs) })
      .where(and(eq(schema.buildRequests.instanceId, instanceId), eq(schema.buildRequests.commandId, request.commandId), isNull(schema.buildRequests.commandAckedAt)));
  }

  private async hostFailed(instanceId: string, hostId: string, reason: string): Promise<void> {
    const out = new Announcements();
    await this.services.db.transaction(async (tx) => {
      const instance = await lockInstance(tx, instanceId);
      if (!instance || instance.hostId !== hostId || instance.vmState !== "building" || instance.taskState === "deleting") return;
      await buildFailed(tx, out, instance, (await hostnameOf(tx, hostId)) ?? hostId, reason);
    });
    out.flush(this.services.publisher);
    this.kick();
  }

  /** A dispatched build made no progress before its deadline: ERROR, allocations freed, agent told to clean up. */
  private async timeOut(request: BuildRequestRow): Promise<void> {
    const out = new Announcements();
    const seconds = Math.round(this.services.buildTimeoutMs / 1000);
    const hostId = await this.services.db.transaction(async (tx) => {
      const instance = await lockInstance(tx, request.instanceId);
      await tx.update(schema.buildRequests).set({ status: "failed", updatedAt: new Date() }).where(eq(schema.buildRequests.instanceId, request.instanceId));
      if (!instance || instance.vmState !== "building" || instance.taskState === "deleting") return null;
      await releaseAllocations(tx, out, instance.id);
      const host = await hostnameOf(tx, instance.hostId);
      await enterPhase(tx, out, instance, "error", {
        host,
        faultCode: "BuildTimeout",
        details: `The build made no progress for ${seconds} s${host ? ` on ${host}` : ""} and was stopped.`,
      });
      return instance.hostId;
    });
    out.flush(this.services.publisher);
    if (hostId) await this.services.agents.destroy(hostId, { commandId: randomUUID(), instanceId: request.instanceId }).catch(() => undefined);
  }

  private async fail(instanceId: string, faultCode: string, details: string): Promise<void> {
    const out = new Announcements();
    await this.services.db.transaction(async (tx) => {
      const instance = await lockInstance(tx, instanceId);
      await tx.update(schema.buildRequests).set({ status: "failed", updatedAt: new Date() }).where(eq(schema.buildRequests.instanceId, instanceId));
      if (!instance || instance.taskState !== "scheduling") return;
      await enterPhase(tx, out, instance, "error", { faultCode, details });
    });
    out.flush(this.services.publisher);
  }
}

