import { randomUUID } from "node:crypto";
import { jsonValue, rowFromJson, rowsOf, schema, type Executor } from "@nimbus/db";
import { eq, sql } from "@nimbus/db/orm";
import { Announcements } from "../compute/announce";
import { buildFailed } from "../compute/record-report";
import { enterPhase, hostnameOf, lockInstance, releaseAllocations, releaseNetwork, type EnterPhaseOptions } from "../compute/lifecycle";
import { destroyCommandFor, spawnCommandFor } from "../compute/spawn-command";
import type { Services } from "../context";
import { buildRequestSpec } from "../scheduler/request-spec";
import { DestinationSelector, type BatchCandidates } from "../scheduler/select-destinations";
import { hostAssignmentFor, isScheduling } from "./host-assignment";
import type { RequestSpec } from "../scheduler/types";
import type { CommandAck } from "../protocol/agent";
import type { BuildRequestRow, InstanceRow } from "@nimbus/db/schema";
import { z } from "zod";

/** A claimed request with its instance and the instance's image properties, read with the claim. */
type ClaimedRequest = BuildRequestRow & { reservationId: string; instance: InstanceRow; imageProperties: Record<string, string> | null };
/** A claimed request's image properties (the images.properties column, absent without an image). */
const imagePropertiesJson = z.record(z.string(), z.string()).nullable();
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

/** Spawn commands awaiting their ack before the conductor stops claiming more work. */
const MAX_DISPATCHES_IN_FLIGHT = 200;
/** Requests being placed at once before the conductor stops claiming more work. */
const MAX_SCHEDULING_IN_FLIGHT = 100;

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
  /** When a pass last read the due build requests (performance.now()), or null before the first. */
  private lastClaimAt: number | null = null;
  private readonly destinations: DestinationSelector;
  private readonly spawnAcks: SpawnAcks;

  constructor(
    private readonly services: Services,
    private readonly log: ConductorLogger,
    private readonly options: ConductorOptions = DEFAULT_CONDUCTOR_OPTIONS,
  ) {
    this.spawnAcks = new SpawnAcks(services.db);
    this.destinations = new DestinationSelector(services);
  }

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
    await Promise.all(this.scheduling);
    await Promise.all(this.inFlight);
  }

  /**
   * Whether this conductor is doing its job (readiness): started, and it read the due build
   * requests within the last few poll intervals (a pass that cannot reach the database or that
   * hangs shows here).
   */
  health(now = performance.now()): { running: boolean; lastClaimMsAgo: number | null } {
    const lastClaimMsAgo = this.lastClaimAt === null ? null : Math.round(now - this.lastClaimAt);
    const fresh = lastClaimMsAgo !== null && lastClaimMsAgo <= Math.max(5_000, 10 * this.options.pollIntervalMs);
    return { running: !this.stopped && this.timer !== undefined && fresh, lastClaimMsAgo };
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
      const batch = await this.claimDue().then(
        (claimed) => {
          this.lastClaimAt = performance.now();
          return claimed;
        },
        (error: unknown) => {
          this.log.error({ err: error }, "conductor could not claim build requests");
          return [];
        },
      );
      if (batch.length === 0 || this.stopped) return;
      // Reservations in parallel; the members of one multi-create in order, so each sees where
      // the previous ones went (consistent batch placement, group policies included), also
      // across batches. A batch is placed in the background while the next one is claimed:
      // a build recorded now waits for the next claim, not for a whole batch to be placed.
      const byReservation = new Map<string, ClaimedRequest[]>();
      for (const request of batch) byReservation.set(request.reservationId, [...(byReservation.get(request.reservationId) ?? []), request]);
      const failed = (request: ClaimedRequest) => (error: unknown) =>
        this.log.error({ err: error, instanceId: request.instanceId }, "build request failed");
      const candidates = this.destinations.batch();
      for (const [reservationId, members] of byReservation) {
        const place = async () => {
          for (const request of members) {
            const next = await this.process(request, candidates).catch(failed(request));
            // Dispatches wait for the agent's ack: they run on (bounded) once placed.
            if (next?.dispatch) this.track(this.inFlight, next.dispatch.catch(failed(request)));
          }
        };
        const placed = (this.placing.get(reservationId) ?? Promise.resolve()).then(place);
        this.placing.set(reservationId, placed);
        this.track(this.scheduling, placed);
        this.schedulingCount += members.length;
        void placed.finally(() => (this.schedulingCount -= members.length));
        void placed.finally(() => {
          if (this.placing.get(reservationId) === placed) this.placing.delete(reservationId);
        });
      }
      while (this.schedulingCount >= MAX_SCHEDULING_IN_FLIGHT) await Promise.race(this.scheduling);
      while (this.inFlight.size >= MAX_DISPATCHES_IN_FLIGHT) await Promise.race(this.inFlight);
      // A short batch took everything due: claim again only when kicked meanwhile.
      if (batch.length < this.options.batchSize && !this.again) return;
    }
  }

  /** Dispatches awaiting their agent's ack. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Reservations being placed, and how many requests they hold. */
  private readonly scheduling = new Set<Promise<void>>();
  private schedulingCount = 0;
  /** The last placement of each reservation, so its members are placed in order across batches. */
  private readonly placing = new Map<string, Promise<void>>();

  /** Keeps `work` in `set` until it settles (it never rejects). */
  private track(set: Set<Promise<void>>, work: Promise<void>): void {
    set.add(work);
    void work.finally(() => set.delete(work));
  }

  /**
   * Claims due requests; a pending or lease-expired one gets a fresh lease. One statement: the
   * rows are locked (SKIP LOCKED), leased and returned as they were, with their instances and
   * the instances' image properties.
   */
  private async claimDue(): Promise<ClaimedRequest[]> {
    const now = new Date();
    const b = schema.buildRequests;
    const result = await this.services.db.execute(sql`
      with due as (
        select b.instance_id, row_to_json(b) as request, row_to_json(i) as instance, img.properties as image_properties, b.due_at, i.launch_index
        from ${b} b
        join ${schema.instances} i on i.id = b.instance_id
        left join ${schema.images} img on img.id = i.image_id
        where b.status in ('pending', 'scheduled', 'dispatched') and b.due_at <= ${now.toISOString()}::timestamptz
        order by b.due_at, i.launch_index
        limit ${this.options.batchSize}
        for update of b skip locked
      ), leased as (
        update ${b} set due_at = ${new Date(now.getTime() + this.options.leaseMs).toISOString()}::timestamptz, updated_at = ${now.toISOString()}::timestamptz,
          status = case when ${b}.status = 'pending' then 'scheduled'::build_request_status else ${b}.status end
        from due where ${b}.instance_id = due.instance_id
      )
      select request, instance, image_properties from due order by due_at, launch_index`);
    return rowsOf<{ request: unknown; instance: unknown; image_properties: unknown }>(result).map((row) => {
      const instance = rowFromJson(schema.instances, row.instance);
      const imageProperties = imagePropertiesJson.parse(jsonValue(row.image_properties));
      return { ...rowFromJson(b, row.request), reservationId: instance.reservationId, instance, imageProperties };
    });
  }

  /** Schedules what needs it; returns the dispatch to the host, if any, still running. */
  private async process(request: ClaimedRequest, candidates: BatchCandidates): Promise<Pending> {
    if (request.status === "dispatched") return this.followUp(request);
    const instance: InstanceRow | undefined = request.instance;
    if (instance && !instance.hostId && request.status === "scheduled") {
      // The lease of a conductor that died mid-scheduling ran out: give back whatever it had
      // claimed but not yet assigned before scheduling again.
      const out = new Announcements();
      await this.services.db.transaction((tx) => releaseAllocations(tx, out, instance.id));
      out.flush(this.services.publisher);
    }
    if (!instance || !isScheduling(instance)) {
      await this.services.db
        .update(schema.buildRequests)
        .set({ status: instance?.vmState === "active" ? "done" : "failed" })
        .where(eq(schema.buildRequests.instanceId, request.instanceId));
      return {};
    }
    const spec = await buildRequestSpec(this.services.db, instance, request, request.imageProperties ?? {});
    if (instance.hostId) return { dispatch: this.dispatch(request.instanceId, instance.hostId, request.commandId) };
    const placed = await this.schedule(request, spec, candidates);
    return placed ? { dispatch: this.dispatch(request.instanceId, placed.hostId, placed.commandId) } : {};
  }

  /**
   * Selects a destination (the scheduler filters, weighs and claims) and assigns the instance to
   * it; returns the host and its spawn command id, or null after recording NoValidHost, when the
   * instance went away, or when claims stayed contended (then the request is put back).
   */
  private async schedule(
    request: BuildRequestRow,
    spec: RequestSpec,
    candidates: BatchCandidates,
  ): Promise<{ hostId: string; commandId: string } | null> {
    const tried = new Set(request.attempts.map((a) => a.host));
    const selection = await this.destinations.select({ instanceId: request.instanceId, spec, tried }, candidates, (host) =>
      hostAssignmentFor(this.services, request, host.id),
    );
    if (selection.outcome === "assigned") return selection.value;
    if (selection.outcome === "no_valid_host") {
      this.services.telemetry?.noValidHost(selection.filter);
      await this.failBuild(
        request.instanceId,
        isScheduling,
        () => ({ faultCode: "NoValidHost", details: noValidHostDetails(request, selection.explanation) }),
        { releaseNetwork: true },
      );
    }
    if (selection.outcome === "contended") {
      // Still contended after several rounds: put it back for the next pass rather than failing.
      await this.services.db
        .update(schema.buildRequests)
        .set({ status: "pending", dueAt: new Date(Date.now() + 50) })
        .where(eq(schema.buildRequests.instanceId, request.instanceId));
    }
    return null;
  }

  /**
   * A dispatched build is due: an unacknowledged spawn is redelivered (same command id, so the
   * agent treats it as the same command); an acknowledged one that made no progress in time, or
   * one never acknowledged within the build timeout, times out.
   */
  private async followUp(request: ClaimedRequest): Promise<Pending> {
    const overdue = request.dispatchedAt !== null && Date.now() - request.dispatchedAt.getTime() > this.services.buildTimeoutMs;
    if (request.commandAckedAt || overdue) {
      await this.timeOut(request);
      return {};
    }
    // The instance as the claim read it.
    const { instance } = request;
    if (!instance.hostId || !isBuilding(instance)) {
      await this.services.db.update(schema.buildRequests).set({ status: "failed" }).where(eq(schema.buildRequests.instanceId, request.instanceId));
      return {};
    }
    return { dispatch: this.dispatch(request.instanceId, instance.hostId, request.commandId) };
  }

  /** Sends the spawn command `commandId` (as assigned with the host) to the host's agent. */
  private async dispatch(instanceId: string, hostId: string, commandId: string | null): Promise<void> {
    if (!commandId) return;
    let command: Awaited<ReturnType<typeof spawnCommandFor>>;
    try {
      command = await spawnCommandFor(this.services.db, instanceId, hostId, commandId);
    } catch (error) {
      // The build cannot be described (an image lost its bits, a kernel image was deleted):
      // no host can build it, so it fails now with the reason.
      const details = error instanceof Error ? error.message : String(error);
      await this.failBuild(instanceId, isBuilding, () => ({ faultCode: "BuildFailed", details }), { releaseNetwork: true });
      return;
    }
    if (!command) return;
    let ack: CommandAck;
    try {
      ack = await this.services.agents.spawn(hostId, command);
    } catch (error) {
      // Not delivered (agent away, ack lost): the row stays due and the command is redelivered
      // until acknowledged, or until the host is declared down and the build rescheduled.
      this.log.warn({ instanceId, hostId, reason: error instanceof Error ? error.message : String(error) }, "spawn not acknowledged; will redeliver");
      return;
    }
    if (!ack.ok) return this.hostFailed(instanceId, hostId, ack.error);
    // With the request's id, as the host logs it: one grep follows the launch from API to host.
    this.log.info({ instanceId, hostId, commandId, requestId: command.requestId }, "spawn acknowledged by the host");
    const now = new Date();
    await this.spawnAcks.record({
      instanceId,
      commandId,
      at: now.toISOString(),
      dueAt: new Date(now.getTime() + this.services.buildTimeoutMs).toISOString(),
    });
  }

  private async hostFailed(instanceId: string, hostId: string, reason: string): Promise<void> {
    const out = new Announcements();
    await this.services.db.transaction(async (tx) => {
      const instance = await lockInstance(tx, instanceId);
      if (!instance || instance.hostId !== hostId || !isBuilding(instance)) return;
      await buildFailed(tx, out, instance, (await hostnameOf(tx, hostId)) ?? hostId, reason);
    });
    out.flush(this.services.publisher);
    this.kick();
  }

  /** A dispatched build made no progress before its deadline: ERROR, allocations freed, agent told to clean up. */
  private async timeOut(request: BuildRequestRow): Promise<void> {
    const seconds = Math.round(this.services.buildTimeoutMs / 1000);
    const failed = await this.failBuild(request.instanceId, isBuilding, async (tx, instance) => {
      const host = await hostnameOf(tx, instance.hostId);
      return { host, faultCode: "BuildTimeout", details: `The build made no progress for ${seconds} s${host ? ` on ${host}` : ""} and was stopped.` };
    });
    if (failed?.hostId) {
      const command = await destroyCommandFor(this.services.db, request.instanceId, randomUUID());
      await this.services.agents.destroy(failed.hostId, command).catch(() => undefined);
    }
  }

  /**
   * Ends a build: its request is marked failed and, if the instance is still where `applies`
   * expects it (not deleted or moved on meanwhile), its claim is given back and it goes to ERROR
   * with the fault. With `releaseNetwork` (the build never reached its host: no host was found,
   * or none was sent anything) its ports go too. Returns the instance it failed, or null when
   * there was none to fail.
   */
  private async failBuild(
    instanceId: string,
    applies: (instance: InstanceRow) => boolean,
    fault: (tx: Executor, instance: InstanceRow) => EnterPhaseOptions | Promise<EnterPhaseOptions>,
    { releaseNetwork: network = false }: { releaseNetwork?: boolean } = {},
  ): Promise<InstanceRow | null> {
    const out = new Announcements();
    const failed = await this.services.db.transaction(async (tx) => {
      const instance = await lockInstance(tx, instanceId);
      await tx.update(schema.buildRequests).set({ status: "failed", updatedAt: new Date() }).where(eq(schema.buildRequests.instanceId, instanceId));
      if (!instance || !applies(instance)) return null;
      await releaseAllocations(tx, out, instanceId);
      const options = await fault(tx, instance);
      const cleared = network ? await releaseNetwork(tx, instanceId) : {};
      await enterPhase(tx, out, instance, "error", { ...options, extra: { ...options.extra, ...cleared } });
      return instance;
    });
    out.flush(this.services.publisher);
    return failed;
  }
}

/**
 * Records agents' acknowledgements of spawn commands: the build's deadline moves from the
 * redelivery interval to the build timeout. Acknowledgements that arrive while a write is on its
 * way go together in the next one, so many cost one statement under load and none waits at
 * rest. A write that fails fails its callers; the command is then redelivered (same id, so the
 * agent treats it as the same command) and acknowledged again.
 */
class SpawnAcks {
  private queued: { ack: { instanceId: string; commandId: string; at: string; dueAt: string }; settle: (error?: unknown) => void }[] = [];
  private writing = false;

  constructor(private readonly db: Executor) {}

  record(ack: { instanceId: string; commandId: string; at: string; dueAt: string }): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ ack, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      void this.write();
    });
  }

  private async write(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0);
      const acks = JSON.stringify(
        batch.map(({ ack }) => ({ instance_id: ack.instanceId, command_id: ack.commandId, at: ack.at, due_at: ack.dueAt })),
      );
      try {
        await this.db.execute(sql`
          update ${schema.buildRequests} b set command_acked_at = v.at, due_at = v.due_at
          from jsonb_to_recordset(${acks}::jsonb) as v(instance_id uuid, command_id uuid, at timestamptz, due_at timestamptz)
          where b.instance_id = v.instance_id and b.command_id = v.command_id and b.command_acked_at is null`);
        for (const { settle } of batch) settle();
      } catch (error) {
        for (const { settle } of batch) settle(error ?? new Error("recording spawn acknowledgements failed"));
      }
    }
    this.writing = false;
  }
}

/** Still being built on a host, and no delete under way. */
function isBuilding(instance: InstanceRow): boolean {
  return instance.vmState === "building" && instance.taskState !== "deleting";
}

/**
 * A NoValidHost fault in plain words. A first attempt: the scheduler's explanation. A reschedule:
 * what happened on each host tried first (attempt n of max), then that no other host was left
 * for the next attempt and why, per filter, e.g. "Attempt 1 of 3, on node-2, failed: compute host
 * node-2 went down during the build (…). It was not retried on another host: no valid host was
 * found for attempt 2 of 3. 1 host considered: 1 down (…)."
 */
export function noValidHostDetails(request: Pick<BuildRequestRow, "attempts" | "maxAttempts">, explanation: string): string {
  const { attempts, maxAttempts } = request;
  if (attempts.length === 0) return `No valid host was found. ${explanation}`;
  const history = attempts.map((a, i) => `Attempt ${i + 1} of ${maxAttempts}, on ${a.host}, failed: ${a.error}.`).join(" ");
  const next = `no valid host was found for attempt ${attempts.length + 1} of ${maxAttempts}`;
  // After one failure the user wants to know whether it was retried; after several, the history says so.
  const retry = attempts.length === 1 ? `It was not retried on another host: ${next}.` : `Then ${next}.`;
  return `${history} ${retry} ${explanation}`;
}
