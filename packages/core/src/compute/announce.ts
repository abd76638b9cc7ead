import type { InstanceChanged, InstanceEventPayload, InstanceUpdates } from "../protocol/browser";
import type { Publisher } from "../context";
import { displayStatus, type TaskState, type VmState } from "../instance/state-machine";
import type { InstanceActionEventRow, InstanceRow, InstanceTaskRow } from "@nimbus/db/schema";

/** Collects what a transaction changed and announces it only after commit. */
export class Announcements {
  private readonly instances = new Map<string, InstanceChanged>();
  private readonly events: { projectId: string; event: InstanceEventPayload }[] = [];
  private readonly hosts = new Set<string>();
  /** Tasks a transaction created for a host (a move's next step), sent after commit by the caller. */
  readonly dispatches: InstanceTaskRow[] = [];

  instance(row: InstanceRow, hostname: string | null): void {
    this.instances.set(row.id, instanceChanged(row, hostname));
  }
  event(projectId: string, row: InstanceActionEventRow, reportedAt?: string): void {
    this.events.push({ projectId, event: reportedAt ? { ...eventPayload(row), reportedAt } : eventPayload(row) });
  }
  dispatch(task: InstanceTaskRow): void {
    this.dispatches.push(task);
  }
  host(hostId: string | null | undefined): void {
    if (hostId) this.hosts.add(hostId);
  }
  /** One message per project (its events, then its instances' states), then the hosts'. */
  flush(publisher: Publisher): void {
    const byProject = new Map<string, InstanceUpdates>();
    const updatesOf = (projectId: string) => {
      let updates = byProject.get(projectId);
      if (!updates) byProject.set(projectId, (updates = { events: [], changes: [] }));
      return updates;
    };
    for (const { projectId, event } of this.events) updatesOf(projectId).events.push(event);
    for (const change of this.instances.values()) updatesOf(change.projectId).changes.push(change);
    for (const [projectId, updates] of byProject) publisher.instanceUpdates(projectId, updates);
    for (const hostId of this.hosts) publisher.hostChanged({ hostId });
  }
}

export function instanceChanged(row: InstanceRow, hostname: string | null): InstanceChanged {
  return {
    id: row.id,
    projectId: row.projectId,
    status: displayStatus(row.vmState as VmState, row.taskState as TaskState | null),
    vmState: row.vmState,
    taskState: row.taskState,
    powerState: row.powerState,
    hostname,
    progress: row.progress,
  };
}

export function eventPayload(row: InstanceActionEventRow): InstanceEventPayload {
  return {
    id: row.id,
    instanceId: row.instanceId,
    event: row.event,
    startTime: row.startTime.toISOString(),
    finishTime: row.finishTime?.toISOString() ?? null,
    result: row.result,
    host: row.host,
    details: row.details,
  };
}
