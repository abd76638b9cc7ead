import { randomUUID } from "node:crypto";
import { jsonValue, rowFromJson, rowsFromJson, rowsOf, schema, type Executor } from "@nimbus/db";
import { eq, sql, type SQL } from "@nimbus/db/orm";
import { Announcements } from "../compute/announce";
import { buildFailed } from "../compute/record-report";
import { enterPhase, hostnameOf, lockInstance, releaseAllocations, type EnterPhaseOptions } from "../compute/lifecycle";
import { destroyCommandFor, spawnCommandFor } from "../compute/spawn-command";
import type { Services } from "../context";
import { PlacementClaims, type ClaimFollowUp } from "../placement/claim";
import { loadHostSnapshots, type HostSnapshot, type SnapshotQuery } from "../placement/usage";
import { selectHosts } from "../scheduler/select";
import type { RequestSpec } from "../scheduler/types";
import { weighersFor } from "../scheduler/weighers";
import { buildRequestSpec, groupPolicyHolds } from "./request-spec";
import type { BuildRequestRow, InstanceRow } from "@nimbus/db/schema";
import { z } from "zod";

/** A claimed request with its instance and the instance's image properties, read with the claim. */
type ClaimedRequest = BuildRequestRow & { reservationId: string; instance: InstanceRow; imageProperties: Record<string, string> | null };
/** A claimed request's image properties (the images.properties column, absent without an image). */
const imagePropertiesJson = z.record(z.string(), z.string()).nullable();
/** What `hostAssignment`'s result holds: the placed instance and the events it closed, or null when nothing was placed. */
const assignedJson = z.object({ instance: z.unknown(), closed: z.unknown() }).nullable();
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
/** Requests being placed at once before the conductor stops claiming more work. */
const MAX_SCHEDULING_IN_FLIGHT = 100;
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
  private readonly claims = new PlacementClaims();
  private readonly spawnAcks: SpawnAcks;

  constructor(
    private readonly services: Services,
    private readonly log: ConductorLogger,
    private readonly options: ConductorOptions = DEFAULT_CONDUCTOR_OPTIONS,
  ) {
    this.spawnAcks = new SpawnAcks(services.db);
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
      // the previous ones went (consistent batch placement, group policies included), also
      // across batches. A batch is placed in the background while the next one is claimed:
      // a build recorded now waits for the next claim, not for a whole batch to be placed.
      const byReservation = new Map<string, ClaimedRequest[]>();
      for (const request of batch) byReservation.set(request.reservationId, [...(byReservation.get(request.reservationId) ?? []), request]);
      const failed = (request: ClaimedRequest) => (error: unknown) => this.log.error({ err: error, instanceId: request.instanceId }, "build request failed");
      const candidates = new BatchCandidates();
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
   * Filters, weighs and claims; returns the claimed host, or null after recording NoValidHost
   * (or when the instance went away). The fast path reads only placement candidates; when they
   * yield nothing, every host is read, both to be sure and to explain the refusal per filter.
   */
  private async schedule(request: BuildRequestRow, spec: RequestSpec, candidates: BatchCandidates): Promise<{ hostId: string; commandId: string } | null> {
    const tried = new Set(request.attempts.map((a) => a.host));
    const settings = this.services.scheduler ?? {};
    // Claims race: rank a few more hosts than the attempts, to fall back on without re-reading.
    const options = { maxAttempts: Math.max(this.services.maxAttempts, 10), hostSubsetSize: settings.hostSubsetSize ?? 1, weighers: weighersFor(settings.multipliers) };
    const downAfterMs = this.services.hostDownAfterMs;
    for (let round = 0; round < CLAIM_RETRIES; round++) {
      const untried = (hosts: HostSnapshot[]) => hosts.filter((h) => !tried.has(h.hostname));
      const order = (settings.multipliers?.ram ?? 1) < 0 ? "pack" : "spread";
      // The batch's requests with the same needs share one candidate read (after a lost claim,
      // a fresh one). Snapshots read before this process's latest claims are brought up to
      // them, so requests placed from one read still see each other (Nova's consume_from_request).
      const query = { downAfterMs, candidatesFor: spec, limit: settings.maxCandidates ?? 100, order } as const;
      const read = round === 0 ? candidates.read(this.services.db, query) : loadHostSnapshots(this.services.db, query);
      let hosts = this.claims.refresh(untried(await read));
      let result = selectHosts(hosts, spec, options);
      if (!result.ok) {
        hosts = this.claims.refresh(untried(await loadHostSnapshots(this.services.db, { downAfterMs })));
        result = selectHosts(hosts, spec, options);
      }
      if (!result.ok) {
        const previous = request.attempts.length > 0 ? ` Hosts already tried: ${request.attempts.map((a) => `${a.host} (${a.error})`).join("; ")}.` : "";
        await this.failBuild(request.instanceId, isScheduling, () => ({ faultCode: "NoValidHost", details: `No valid host was found. ${result.explanation}${previous}` }));
        return null;
      }
      for (const host of result.hosts) {
        const snapshot = hosts.find((h) => h.id === host.id) ?? { ...host, generation: 0 };
        const commandId = randomUUID();
        // An instance in no server group is assigned to the host in the claim's own statement
        // (nothing to re-check under a lock); a group member after the claim, under the group's lock.
        const alone = request.requestSpec.serverGroupId ? null : await this.assignmentAlone(request.instanceId, host.id, commandId);
        const { outcome, followed } = await this.claims.claim(this.services.db, snapshot, { instanceId: request.instanceId, spec }, alone?.followUp);
        // Someone claimed on that host since it was read: its alternates were read at the same
        // moment and are likely still good, so try them before re-reading everything.
        if (outcome === "insufficient" || outcome === "conflict") continue;
        const assigned = alone ? await alone.settle(followed) : await this.assignHost(request, host.id, commandId);
        if (assigned === "assigned") return { hostId: host.id, commandId };
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

  /**
   * Records the chosen host for a server group's member, under the group's lock: the claim is
   * undone if the instance was deleted meanwhile or a member took that host since (the policy
   * no longer holds).
   */
  private async assignHost(request: BuildRequestRow, hostId: string, commandId: string): Promise<"assigned" | "gone" | "policy"> {
    const out = new Announcements();
    const instanceId = request.instanceId;
    const hostname = await hostnameOf(this.services.db, hostId);
    const assigned = await this.services.db.transaction(async (tx) => {
      const instance = await lockInstance(tx, instanceId);
      if (!instance || !isScheduling(instance)) {
        await releaseAllocations(tx, out, instanceId);
        return "gone" as const;
      }
      if (!(await groupPolicyHolds(tx, instanceId, request.requestSpec.serverGroupId, hostId))) {
        await releaseAllocations(tx, out, instanceId);
        return "policy" as const;
      }
      const { ctes, result } = hostAssignment({ instanceId, hostId, hostname, commandId, guard: sql`true` });
      const [row] = rowsOf<{ followed: unknown }>(await tx.execute(sql`with ${ctes} select (${result}) as followed`));
      announceAssignment(out, row?.followed, hostId, hostname);
      return "assigned" as const;
    });
    out.flush(this.services.publisher);
    return assigned;
  }

  /**
   * The assignment of an instance in no server group, as a follow-up of its claim (one statement
   * for both): it happens only if the claim succeeded. `settle` announces it or, if the instance
   * moved on (deleted meanwhile), undoes the claim.
   */
  private async assignmentAlone(instanceId: string, hostId: string, commandId: string): Promise<{ followUp: ClaimFollowUp; settle: (followed: unknown) => Promise<"assigned" | "gone"> }> {
    const hostname = await hostnameOf(this.services.db, hostId);
    const followUp = hostAssignment({ instanceId, hostId, hostname, commandId, guard: sql`exists (select 1 from claimed)` });
    const settle = async (followed: unknown): Promise<"assigned" | "gone"> => {
      const out = new Announcements();
      const assigned = announceAssignment(out, followed, hostId, hostname);
      if (!assigned) await this.services.db.transaction((tx) => releaseAllocations(tx, out, instanceId));
      out.flush(this.services.publisher);
      return assigned ? "assigned" : "gone";
    };
    return { followUp, settle };
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
    let command;
    try {
      command = await spawnCommandFor(this.services.db, instanceId, hostId, commandId);
    } catch (error) {
      // The build cannot be described (an image lost its bits, a kernel image was deleted):
      // no host can build it, so it fails now with the reason.
      const details = error instanceof Error ? error.message : String(error);
      await this.failBuild(instanceId, isBuilding, () => ({ faultCode: "BuildFailed", details }));
      return;
    }
    if (!command) return;
    let ack;
    try {
      ack = await this.services.agents.spawn(hostId, command);
    } catch (error) {
      // Not delivered (agent away, ack lost): the row stays due and the command is redelivered
      // until acknowledged, or until the host is declared down and the build rescheduled.
      this.log.warn({ instanceId, hostId, reason: error instanceof Error ? error.message : String(error) }, "spawn not acknowledged; will redeliver");
      return;
    }
    if (!ack.ok) return this.hostFailed(instanceId, hostId, ack.error);
    const now = new Date();
    await this.spawnAcks.record({ instanceId, commandId, at: now.toISOString(), dueAt: new Date(now.getTime() + this.services.buildTimeoutMs).toISOString() });
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
   * with the fault. Returns the instance it failed, or null when there was none to fail.
   */
  private async failBuild(
    instanceId: string,
    applies: (instance: InstanceRow) => boolean,
    fault: (tx: Executor, instance: InstanceRow) => EnterPhaseOptions | Promise<EnterPhaseOptions>,
  ): Promise<InstanceRow | null> {
    const out = new Announcements();
    const failed = await this.services.db.transaction(async (tx) => {
      const instance = await lockInstance(tx, instanceId);
      await tx.update(schema.buildRequests).set({ status: "failed", updatedAt: new Date() }).where(eq(schema.buildRequests.instanceId, instanceId));
      if (!instance || !applies(instance)) return null;
      await releaseAllocations(tx, out, instanceId);
      await enterPhase(tx, out, instance, "error", await fault(tx, instance));
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
      const acks = JSON.stringify(batch.map(({ ack }) => ({ instance_id: ack.instanceId, command_id: ack.commandId, at: ack.at, due_at: ack.dueAt })));
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

/**
 * One claimed batch's reads of placement candidates, shared by its requests with the same
 * needs (resources, zone, forced host, project): fifty launches of one flavor cost one read,
 * not fifty. Valid for one batch only; claims are what settle races, never these reads.
 */
class BatchCandidates {
  private readonly reads = new Map<string, Promise<HostSnapshot[]>>();

  read(db: Executor, query: SnapshotQuery & { candidatesFor: RequestSpec }): Promise<HostSnapshot[]> {
    const spec = query.candidatesFor;
    const key = JSON.stringify([spec.vcpus, spec.memoryMb, spec.diskGb, spec.availabilityZone ?? null, spec.forcedHost ?? null, spec.projectId ?? null]);
    let read = this.reads.get(key);
    if (!read) {
      read = loadHostSnapshots(db, query);
      // A failed read is not kept: the next request reads again.
      read.catch(() => this.reads.delete(key));
      this.reads.set(key, read);
    }
    return read;
  }
}

/**
 * What assigning a host writes, as common table expressions: the host on the instance (only
 * while it is still scheduling and `guard` holds), the scheduling event closed, the request
 * marked dispatched with its command id; `result` returns the instance and the closed events.
 */
function hostAssignment({ instanceId, hostId, hostname, commandId, guard }: { instanceId: string; hostId: string; hostname: string | null; commandId: string; guard: SQL }): ClaimFollowUp {
  const now = new Date();
  const at = now.toISOString();
  return {
    ctes: sql`placed as (
      -- Report sequence numbers are per agent: a new host starts its own count.
      update ${schema.instances} set host_id = ${hostId}::uuid, last_report_seq = -1, updated_at = ${at}::timestamptz
      where id = ${instanceId}::uuid and task_state = 'scheduling' and ${guard}
      returning *
    ), closed as (
      update ${schema.instanceActionEvents} set finish_time = ${at}::timestamptz, result = 'Success', host = ${hostname}::text
      where instance_id = ${instanceId}::uuid and event = 'scheduling' and finish_time is null and exists (select 1 from placed)
      returning *
    ), dispatched as (
      update ${schema.buildRequests} set status = 'dispatched', command_id = ${commandId}::uuid, dispatched_at = ${at}::timestamptz,
        command_acked_at = null, due_at = ${new Date(now.getTime() + REDELIVERY_MS).toISOString()}::timestamptz, updated_at = ${at}::timestamptz
      where instance_id = ${instanceId}::uuid and exists (select 1 from placed)
    )`,
    result: sql`select json_build_object(
      'instance', (select row_to_json(placed) from placed),
      'closed', (select coalesce(json_agg(row_to_json(closed) order by closed.id), '[]'::json) from closed))`,
  };
}

/** Queues the announcements of an assignment `hostAssignment` returned; false when nothing was assigned. */
function announceAssignment(out: Announcements, followed: unknown, hostId: string, hostname: string | null): boolean {
  const assigned = assignedJson.parse(jsonValue(followed ?? null));
  if (!assigned?.instance) return false;
  const updated = rowFromJson(schema.instances, assigned.instance);
  for (const event of rowsFromJson(schema.instanceActionEvents, assigned.closed)) out.event(updated.projectId, event);
  out.instance(updated, hostname);
  out.host(hostId);
  return true;
}

/** Still being built on a host, and no delete under way. */
function isBuilding(instance: InstanceRow): boolean {
  return instance.vmState === "building" && instance.taskState !== "deleting";
}

/** Still waiting for a host. */
function isScheduling(instance: InstanceRow): boolean {
  return instance.taskState === "scheduling";
}
