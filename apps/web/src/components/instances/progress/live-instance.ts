import type { InstanceAction, InstanceActionEvent, InstanceDetail } from "@/lib/api-types";
import type { BrowserEventPayload } from "@/lib/socket/use-socket-event";

const DELETE_EVENTS = new Set(["deleting", "deleted"]);

/**
 * Puts a pushed event into the cached instance detail: replaces the event with the same id (an
 * event is pushed when its phase starts and again when it finishes), or appends it to the
 * action it belongs to. The push does not name the action; a new event goes to the latest create
 * or delete action (reschedules carry no events),
 * except a delete phase arriving before the delete action is known, which opens a provisional
 * "delete" action until the next fetch brings the real one.
 */
export function upsertEvent(detail: InstanceDetail, event: InstanceActionEvent): InstanceDetail {
  const owner = detail.actions.findIndex((a) => a.events.some((e) => e.id === event.id));
  if (owner >= 0) {
    return {
      ...detail,
      actions: detail.actions.map((a, i) => (i === owner ? { ...a, events: a.events.map((e) => (e.id === event.id ? event : e)) } : a)),
    };
  }
  // Reschedules are recorded beside the create action; their events stay with the create.
  const latestIndex = detail.actions.findLastIndex((a) => a.action !== "reschedule");
  const latest = detail.actions[latestIndex];
  const wantsDelete = DELETE_EVENTS.has(event.event);
  if (!latest || (wantsDelete && latest.action !== "delete")) {
    const provisional: InstanceAction = {
      id: `provisional-${event.id}`,
      action: wantsDelete ? "delete" : "create",
      requestId: "",
      userId: null,
      projectId: detail.instance.projectId,
      startTime: event.startTime,
      finishTime: null,
      message: null,
      events: [event],
    };
    return { ...detail, actions: [...detail.actions, provisional] };
  }
  const events = [...latest.events, event].sort((a, b) => a.id - b.id);
  return { ...detail, actions: detail.actions.map((a, i) => (i === latestIndex ? { ...a, events } : a)) };
}

/**
 * Applies a pushed status change to the cached instance detail: status, progress and host show
 * at once; the state columns (typed as enums) come with the refetch the change also triggers.
 */
export function applyChange(detail: InstanceDetail, change: BrowserEventPayload<"instance.changed">): InstanceDetail {
  return {
    ...detail,
    instance: {
      ...detail.instance,
      status: change.status,
      // The task shows at once ("Powering off…"); the columns are checked by the refetch.
      taskState: change.taskState as InstanceDetail["instance"]["taskState"],
      vmState: change.vmState as InstanceDetail["instance"]["vmState"],
      hostname: change.hostname,
      progress: change.progress,
    },
  };
}

/** The latest action of a kind ("create", "delete"), or undefined. */
export function latestAction(detail: InstanceDetail, kind: string): InstanceAction | undefined {
  return detail.actions.filter((a) => a.action === kind).at(-1);
}
