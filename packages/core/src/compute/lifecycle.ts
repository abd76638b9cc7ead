import { rowFromJson, rowsFromJson, schema, statementsByShape, type Executor } from "@nimbus/db";
import { and, desc, eq, isNull, ne, sql, type SQL } from "@nimbus/db/orm";
import { releaseConsumer } from "../placement/claim";
import { releaseInstancePorts } from "../network/ports";
import { NimbusError } from "../errors";
import { canTransition, phaseOf, stateFor, type InstancePhase, type PowerState, type TaskState, type VmState } from "../instance/state-machine";
import type { Announcements } from "./announce";
import type { InstanceRow } from "@nimbus/db/schema";

/** Progress shown in the list while building, per phase (Nova reports 0–100 too). */
const PROGRESS: Record<InstancePhase, number> = {
  scheduling: 10,
  networking: 30,
  block_device_mapping: 50,
  spawning: 75,
  active: 100,
  error: 0,
  deleting: 0,
  deleted: 0,
};

/**
 * A port is ACTIVE while its instance runs on a host and DOWN once the build fails or moves to
 * another host (Neutron's port status, which the Ports table shows).
 */
const PORT_STATUS_ON_ENTER: Partial<Record<InstancePhase, "ACTIVE" | "DOWN">> = { active: "ACTIVE", error: "DOWN", scheduling: "DOWN" };

export interface EnterPhaseOptions {
  host?: string | null;
  /** Plain words attached to the event (and to the fault for `error`). */
  details?: string | null;
  powerState?: PowerState;
  faultCode?: string;
  /** The agent's send time of the report behind this change (for progress latency). */
  reportedAt?: string;
  /** Result written on the event being closed; defaults to Error for `error`, else Success. */
  closeResult?: "Success" | "Error";
  extra?: Partial<typeof schema.instances.$inferInsert>;
}

/** Locks and returns an instance row (FOR UPDATE) so phase changes serialise per instance. */
export async function lockInstance(tx: Executor, instanceId: string): Promise<InstanceRow | undefined> {
  const rows = await tx.select().from(schema.instances).where(eq(schema.instances.id, instanceId)).for("update");
  return rows[0];
}

export async function currentActionId(tx: Executor, instanceId: string): Promise<string | undefined> {
  const [row] = await tx
    .select({ id: schema.instanceActions.id })
    .from(schema.instanceActions)
    // Phase events belong to the create or delete action; reschedules are recorded beside them.
    .where(and(eq(schema.instanceActions.instanceId, instanceId), ne(schema.instanceActions.action, "reschedule")))
    .orderBy(desc(schema.instanceActions.startTime))
    .limit(1);
  return row?.id;
}

/**
 * A host's name never changes for its id (registration upserts by name), so names are
 * remembered: every build phase needs one. Bounded; safe with several processes.
 */
const hostnames = new Map<string, string>();
const MAX_REMEMBERED_HOSTNAMES = 20_000;

export async function hostnameOf(tx: Executor, hostId: string | null): Promise<string | null> {
  if (!hostId) return null;
  const known = hostnames.get(hostId);
  if (known) return known;
  const [row] = await tx.select({ hostname: schema.computeHosts.hostname }).from(schema.computeHosts).where(eq(schema.computeHosts.id, hostId));
  if (row) {
    if (hostnames.size >= MAX_REMEMBERED_HOSTNAMES) hostnames.clear();
    hostnames.set(hostId, row.hostname);
  }
  return row?.hostname ?? null;
}

/**
 * Moves a locked instance to `phase`: checks the state machine, closes the open event of the
 * current action, opens the event of the new phase (terminal phases open and close at once),
 * writes the instance columns and queues the announcements.
 */
export async function enterPhase(
  tx: Executor,
  out: Announcements,
  instance: InstanceRow,
  phase: InstancePhase,
  options: EnterPhaseOptions = {},
): Promise<InstanceRow> {
  const from = phaseOf(instance.vmState as VmState, instance.taskState as TaskState | null);
  if (!canTransition(from, phase)) {
    throw new NimbusError("InvalidTransition", `Instance ${instance.id} cannot go from ${from} to ${phase}.`, { from, to: phase });
  }
  const now = new Date();
  const actionId = await currentActionId(tx, instance.id);
  const failed = phase === "error";
  if (actionId) {
    const closed = await tx
      .update(schema.instanceActionEvents)
      .set({
        finishTime: now,
        result: options.closeResult ?? (failed ? "Error" : "Success"),
        ...((failed || options.closeResult === "Error") && options.details ? { details: options.details } : {}),
      })
      // Every open event of the instance, whichever action it belongs to: a delete that
      // interrupts a build closes the build's open phase too.
      .where(and(eq(schema.instanceActionEvents.instanceId, instance.id), isNull(schema.instanceActionEvents.finishTime)))
      .returning();
    for (const row of closed) out.event(instance.projectId, row);
    const terminal = phase === "active" || phase === "error" || phase === "deleted";
    const [opened] = await tx
      .insert(schema.instanceActionEvents)
      .values({
        actionId,
        instanceId: instance.id,
        event: phase,
        startTime: now,
        finishTime: terminal ? now : null,
        result: terminal ? (failed ? "Error" : "Success") : null,
        host: options.host ?? null,
        details: options.details ?? null,
      })
      .returning();
    if (opened) out.event(instance.projectId, opened, options.reportedAt);
    if (terminal) {
      await tx
        .update(schema.instanceActions)
        .set({ finishTime: now, ...(failed ? { message: options.details ?? "Error" } : {}) })
        .where(and(eq(schema.instanceActions.instanceId, instance.id), isNull(schema.instanceActions.finishTime)));
    }
  }
  const { vmState, taskState } = stateFor(phase, instance.vmState as VmState);
  const [updated] = await tx
    .update(schema.instances)
    .set({
      vmState,
      taskState,
      progress: PROGRESS[phase],
      updatedAt: now,
      ...(options.powerState ? { powerState: options.powerState } : {}),
      ...(phase === "active" ? { launchedAt: now } : {}),
      ...(phase === "deleted" ? { deletedAt: now, powerState: "nostate" as const } : {}),
      ...(failed
        ? { fault: { code: options.faultCode ?? "BuildFailed", message: options.details ?? "The build failed.", createdAt: now.toISOString() } }
        : {}),
      ...options.extra,
    })
    .where(eq(schema.instances.id, instance.id))
    .returning();
  if (!updated) throw NimbusError.notFound("Instance", instance.id);
  const portStatus = PORT_STATUS_ON_ENTER[phase];
  if (portStatus) {
    await tx
      .update(schema.ports)
      .set({ status: portStatus })
      .where(and(eq(schema.ports.instanceId, instance.id), ne(schema.ports.status, portStatus)));
  }
  out.instance(updated, await hostnameOf(tx, updated.hostId));
  return updated;
}

/**
 * Gives back the ports (addresses, MACs) of an instance that ends up with no host to run on
 * (NoValidHost, a build failed on every host tried). Nova allocates the network on the host,
 * after scheduling, so such an instance holds none; here the address is taken at launch (where
 * the unique index refuses a launch on a full network at once) and given back here. Returns the
 * instance columns to clear with the phase change.
 */
export async function releaseNetwork(tx: Executor, instanceId: string): Promise<{ fixedIp: null; macAddress: null }> {
  await releaseInstancePorts(tx, instanceId);
  return { fixedIp: null, macAddress: null };
}

/** Frees everything the instance holds on its host (placement allocations). */
export async function releaseAllocations(tx: Executor, out: Announcements, instanceId: string): Promise<void> {
  for (const hostId of await releaseConsumer(tx, instanceId)) out.host(hostId);
}

/** The phases an agent's progress report moves a build to. */
export type BuildProgressPhase = "networking" | "block_device_mapping" | "spawning" | "active";

/** The (vm_state, task_state) pairs from which `phase` may be entered, as an SQL list of rows. */
function enterableFrom(phase: InstancePhase): SQL {
  const pairs: string[] = [];
  for (const vm of schema.vmState.enumValues) {
    for (const task of [null, ...schema.taskState.enumValues]) {
      if (canTransition(phaseOf(vm, task), phase)) pairs.push(`('${vm}', '${task ?? ""}')`);
    }
  }
  return sql.raw(`(${pairs.join(", ")})`);
}

/** One progress report of an agent: the phase it entered, its sequence number and send time. */
export interface BuildStep {
  phase: BuildProgressPhase;
  seq: number;
  powerState?: PowerState | undefined;
  reportedAt?: string | undefined;
}

export interface BuildProgress {
  instanceId: string;
  hostId: string;
  /** The host's name, written on the new events. */
  host: string | null;
  /**
   * Reports of one instance in the order the agent made them, each a step the state machine
   * allows from the one before (`chainsAsBuild`); the last is where the build ends up.
   */
  steps: readonly [BuildStep, ...BuildStep[]];
  /** The build's new deadline (progress pushes it out); for `active` the request is done. */
  buildDueAt: Date;
}

/** Whether `next` may follow `previous` as a build goes: a newer report of a step the state machine allows. */
export function followsInBuild(previous: BuildStep, next: BuildStep): boolean {
  return next.seq > previous.seq && canTransition(previous.phase, next.phase);
}

/** Whether `steps` follow each other as a build goes. */
export function chainsAsBuild(steps: readonly BuildStep[]): boolean {
  return steps.every((step, n) => n === 0 || followsInBuild(steps[n - 1]!, step));
}

type AdvanceValues =
  | "instanceId"
  | "hostId"
  | "firstSeq"
  | "lastSeq"
  | "vmState"
  | "taskState"
  | "progress"
  | "powerState"
  | "now"
  | "host"
  | "buildDueAt"
  | "steps";

/** advanceBuild's statement, one per phase a run of reports starts from and per whether it ends ACTIVE. */
const advanceStatement = statementsByShape<
  { firstPhase: BuildProgressPhase; active: boolean },
  AdvanceValues,
  { instance: unknown; closed: unknown; opened: unknown }
>(
  ({ firstPhase, active }) => `${firstPhase}:${active}`,
  ({ firstPhase, active }, v) => {
    const i = schema.instances;
    const e = schema.instanceActionEvents;
    const from = enterableFrom(firstPhase);
    return sql`
    with moved as (
      update ${i} set vm_state = ${v.vmState}::vm_state, task_state = ${v.taskState}::task_state, progress = ${v.progress}::int,
        updated_at = ${v.now}::timestamptz, last_report_seq = ${v.lastSeq}::bigint,
        power_state = coalesce(${v.powerState}::power_state, power_state)
        ${active ? sql`, launched_at = ${v.now}::timestamptz` : sql``}
      where id = ${v.instanceId}::uuid and host_id = ${v.hostId}::uuid and last_report_seq < ${v.firstSeq}::bigint
        and (vm_state::text, coalesce(task_state::text, '')) in ${from}
      returning *
    ), action as (
      select a.id from ${schema.instanceActions} a
      where a.instance_id = ${v.instanceId}::uuid and a.action <> 'reschedule' and exists (select 1 from moved)
      order by a.start_time desc limit 1
    ), closed as (
      update ${e} set finish_time = ${v.now}::timestamptz, result = 'Success'
      where instance_id = ${v.instanceId}::uuid and finish_time is null and exists (select 1 from action)
      returning *
    ), opened as (
      insert into ${e} (action_id, instance_id, event, start_time, finish_time, result, host)
      select action.id, ${v.instanceId}::uuid, step.event, ${v.now}::timestamptz, step.finish_time, step.result, ${v.host}::text
      from action cross join jsonb_to_recordset(${v.steps}::jsonb) as step(n int, event text, finish_time timestamptz, result text)
      order by step.n
      returning *
    ), request as (
      update ${schema.buildRequests} set
        ${active ? sql`status = 'done'` : sql`due_at = ${v.buildDueAt}::timestamptz, command_acked_at = coalesce(command_acked_at, now())`},
        updated_at = ${v.now}::timestamptz
      where instance_id = ${v.instanceId}::uuid and exists (select 1 from moved)
    )${
      active
        ? sql`, finished as (
      update ${schema.instanceActions} set finish_time = ${v.now}::timestamptz
      where instance_id = ${v.instanceId}::uuid and finish_time is null and exists (select 1 from action)
    ), host as (
      update ${schema.computeHosts} set failed_builds = 0
      where id = ${v.hostId}::uuid and failed_builds <> 0 and exists (select 1 from moved)
    ), ports as (
      update ${schema.ports} set status = 'ACTIVE'
      where instance_id = ${v.instanceId}::uuid and status <> 'ACTIVE' and exists (select 1 from moved)
    ), volumes as (
      -- Its volumes' bits now live on this host: later launches that use them go there.
      update ${schema.volumes} set host_id = ${v.hostId}::uuid, updated_at = ${v.now}::timestamptz
      where id in (select volume_id from ${schema.volumeAttachments} where instance_id = ${v.instanceId}::uuid) and exists (select 1 from moved)
    )`
        : sql``
    }
    select (select row_to_json(moved) from moved) as instance,
      (select coalesce(json_agg(row_to_json(closed) order by closed.id), '[]'::json) from closed) as closed,
      (select coalesce(json_agg(row_to_json(opened) order by opened.id), '[]'::json) from opened) as opened`;
  },
);

/**
 * `enterPhase` for an agent's progress reports, in one statement instead of a transaction of
 * eight: the instance moves only if it is still placed on that host, the first report is newer
 * than the last one applied and the state machine allows the first step (the allowed states are
 * spelled out in the statement), and only then are the open event closed, each step's event
 * recorded (all but the last closed at once: reports that queued up while the server was busy
 * arrive together), the last one's opened (and for `active` the action finished, the host's
 * failure count cleared, the ports marked ACTIVE and the volumes settled on the host) and the
 * build request touched, exactly as `enterPhase` and its callers do. Returns false, having
 * changed nothing, when any guard failed: the caller then takes the locking path, which says why.
 */
export async function advanceBuild(db: Executor, out: Announcements, progress: BuildProgress): Promise<boolean> {
  const { instanceId, hostId, steps } = progress;
  const first = steps[0];
  const last = steps[steps.length - 1]!;
  if (!chainsAsBuild(steps)) throw new Error("advanceBuild: the steps do not follow each other");
  const now = new Date().toISOString();
  const { vmState, taskState } = stateFor(last.phase, "building");
  const [row] = await advanceStatement({ firstPhase: first.phase, active: last.phase === "active" })(db, {
    instanceId,
    hostId,
    firstSeq: first.seq,
    lastSeq: last.seq,
    vmState,
    taskState,
    progress: PROGRESS[last.phase],
    powerState: steps.findLast((step) => step.powerState)?.powerState ?? null,
    now,
    host: progress.host,
    buildDueAt: progress.buildDueAt.toISOString(),
    steps: JSON.stringify(
      steps.map((step, n) => {
        const closedAtOnce = n < steps.length - 1 || step.phase === "active";
        return { n, event: step.phase, finish_time: closedAtOnce ? now : null, result: closedAtOnce ? "Success" : null };
      }),
    ),
  });
  if (!row?.instance) return false;
  const updated = rowFromJson(schema.instances, row.instance);
  for (const event of rowsFromJson(schema.instanceActionEvents, row.closed)) out.event(updated.projectId, event);
  rowsFromJson(schema.instanceActionEvents, row.opened).forEach((event, n) => {
    out.event(updated.projectId, event, steps[n]?.reportedAt);
  });
  out.instance(updated, await hostnameOf(db, updated.hostId));
  return true;
}
