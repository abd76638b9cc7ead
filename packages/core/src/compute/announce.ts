import type { InstanceChanged, InstanceEventPayload } from "../protocol/index";
import type { Publisher } from "../context";
import { displayStatus, type TaskState, type VmState } from "../instance/state-machine";
import type { schema } from "@nimbus/db";

type InstanceRow = typeof schema.instances.$inferSelect;
type EventRow = typeof schema.instanceActionEvents.$inferSelect;

/** Collects what a transaction changed and announces it only after commit. */
export class Announcements {
  private readonly instances = new Map<string, InstanceChanged>();
  private readonly events: { projectId: string; event: InstanceEventPayload }[] = [];
  private readonly hosts = new Set<string>();

  instance(row: InstanceRow, hostname: string | null): void {
    this.instances.set(row.id, instanceChanged(row, hostname));
  }
  event(projectId: string, row: EventRow, reportedAt?: string): void {
    this.events.push({ projectId, event: reportedAt ? { ...eventPayload(row), reportedAt } : eventPayload(row) });
  }
  host(hostId: string | null | undefined): void {
    if (hostId) this.hosts.add(hostId);
  }
  flush(publisher: Publisher): void {
    for (const { projectId, event } of this.events) publisher.instanceEvent(projectId, event);
    for (const change of this.instances.values()) publisher.instanceChanged(change);
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

export function eventPayload(row: EventRow): InstanceEventPayload {
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
