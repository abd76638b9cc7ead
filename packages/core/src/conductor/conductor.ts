import { randomUUID } from "node:crypto";
import { schema } from "@nimbus/db";
import { and, eq, inArray, isNull, lte } from "@nimbus/db/orm";
import { Announcements } from "../compute/announce";
import { buildFailed } from "../compute/record-report";
import { enterPhase, hostnameOf, lockInstance, releaseAllocations } from "../compute/lifecycle";
import type { Services } from "../context";
import { claimResources } from "../placement/claim";
import { loadHostSnapshots } from "../placement/usage";
import { selectHosts } from "../scheduler/select";
import type { RequestSpec } from "../scheduler/types";

type BuildRequestRow = typeof schema.buildRequests.$inferSelect;

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

export const DEFAULT_CONDUCTOR_OPTIONS: ConductorOptions = { pollIntervalMs: 1_000, leaseMs: 30_000, batchSize: 25 };

const CLAIM_RETRIES = 8;

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
      await Promise.all(
        batch.map((request) =>
          this.process(request).catch((error: unknown) => this.log.error({ err: error, instanceId: request.instanceId }, "build request failed")),
        ),
      );
    }
  }

  /** Claims due requests; a pending or lease-expired one gets a fresh lease. */
  private async claimDue(): Promise<BuildRequestRow[]> {
    const now = new Date();
    return this.services.db.transaction(async (tx) => {
      const due = await tx
        .select()
        .from(schema.buildRequests)
        .where(and(inArray(schema.buildRequests.status, ["pending", "scheduled", "dispatched"]), lte(schema.buildRequests.dueAt, now)))
        .orderBy(schema.buildRequests.dueAt)
        .limit(this.options.batchSize)
        .for("update", { skipLocked: true });
      if (due.length === 0) return [];
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

  private async process(request: BuildRequestRow): Promise<void> {
    if (request.status === "dispatched") return this.timeOut(request);
    const instance = await this.services.db.query.instances.findFirst({ where: eq(schema.instances.id, request.instanceId) });
    if (!instance || instance.taskState !== "scheduling") {
      await this.services.db
        .update(schema.buildRequests)
        .set({ status: instance?.vmState === "active" ? "done" : "failed" })
        .where(eq(schema.buildRequests.instanceId, request.instanceId));
      return;
    }
    const spec: RequestSpec = { vcpus: instance.vcpus, memoryMb: instance.memoryMb, diskGb: instance.rootGb };
    const hostId = instance.hostId ?? (await this.schedule(request, spec));
    if (hostId) await this.dispatch(request.instanceId, hostId);
  }

  /** Filters, weighs and claims; returns the claimed host or null after recording NoValidHost. */
  private async schedule(request: BuildRequestRow, spec: RequestSpec): Promise<string | null> {
    const tried = new Set(request.attempts.map((a) => a.host));
    for (let round = 0; round < CLAIM_RETRIES; round++) {
      const hosts = (await loadHostSnapshots(this.services.db, this.services.hostDownAfterMs)).filter((h) => !tried.has(h.hostname));
      const result = selectHosts(hosts, spec, { maxAttempts: this.services.maxAttempts });
      if (!result.ok) {
        const previous = request.attempts.length > 0 ? ` Earlier attempts: ${request.attempts.map((a) => `${a.host}: ${a.error}`).join("; ")}.` : "";
        await this.fail(request.instanceId, "NoValidHost", `No valid host was found. ${result.explanation}${previous}`);
        return null;
      }
      for (const host of result.hosts) {
        const generation = hosts.find((h) => h.id === host.id)?.generation ?? 0;
        const outcome = await claimResources(this.services.db, { hostId: host.id, generation, instanceId: request.instanceId, spec });
        if (outcome === "claimed") return (await this.assignHost(request.instanceId, host.id)) ? host.id : null;
        if (outcome === "conflict") break; // someone claimed on that host meanwhile: re-read and re-weigh
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
  private async assignHost(instanceId: string, hostId: string): Promise<boolean> {
    const out = new Announcements();
    const assigned = await this.services.db.transaction(async (tx) => {
      const instance = await lockInstance(tx, instanceId);
      if (!instance || instance.taskState !== "scheduling") {
        await releaseAllocations(tx, out, instanceId);
        return false;
      }
      const now = new Date();
      const hostname = await hostnameOf(tx, hostId);
      const [updated] = await tx.update(schema.instances).set({ hostId, updatedAt: now }).where(eq(schema.instances.id, instanceId)).returning();
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
        .set({ status: "dispatched", commandId: randomUUID(), dueAt: new Date(now.getTime() + this.services.buildTimeoutMs), updatedAt: now })
        .where(eq(schema.buildRequests.instanceId, instanceId));
      return true;
    });
    out.flush(this.services.publisher);
    return assigned;
  }

  private async dispatch(instanceId: string, hostId: string): Promise<void> {
    const row = await this.services.db.query.instances.findFirst({
      where: eq(schema.instances.id, instanceId),
      with: { image: true, network: true },
    });
    const request = await this.services.db.query.buildRequests.findFirst({ where: eq(schema.buildRequests.instanceId, instanceId) });
    if (!row || !request?.commandId) return;
    let failure: string | null = null;
    try {
      const ack = await this.services.agents.spawn(hostId, {
        commandId: request.commandId,
        instance: { id: row.id, name: row.name, vcpus: row.vcpus, memoryMb: row.memoryMb, rootGb: row.rootGb },
        image: row.image ? { id: row.image.id, name: row.image.name, properties: row.image.properties } : null,
        network: row.network ? { id: row.network.id, name: row.network.name, macAddress: row.macAddress ?? "fa:16:3e:00:00:00", fixedIp: row.fixedIp } : null,
      });
      if (!ack.ok) failure = ack.error;
    } catch (error) {
      failure = error instanceof Error ? error.message : "the compute agent could not be reached";
    }
    if (failure) await this.hostFailed(instanceId, hostId, failure);
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

