import { describe, expect, it } from "vitest";
import type { InstanceAction, InstanceActionEvent, InstanceDetail } from "@/lib/api-types";
import { upsertEvent } from "./live-instance";

const INSTANCE_ID = "00000000-0000-4000-8000-000000000001";

function event(id: number, name: string, finished = false): InstanceActionEvent {
  return {
    id,
    instanceId: INSTANCE_ID,
    event: name,
    startTime: "2026-01-01T00:00:00.000Z",
    finishTime: finished ? "2026-01-01T00:00:01.000Z" : null,
    result: finished ? "Success" : null,
    host: null,
    details: null,
  };
}

function action(id: string, kind: string, events: InstanceActionEvent[]): InstanceAction {
  return {
    id,
    action: kind,
    requestId: `req-${id}`,
    userId: null,
    projectId: "",
    startTime: "2026-01-01T00:00:00.000Z",
    finishTime: null,
    message: null,
    events,
  };
}

function detail(actions: InstanceAction[]): InstanceDetail {
  const guestConsole: InstanceDetail["guestConsole"] = { state: "waiting", label: "Waiting for the guest", says: "" };
  const graphicalConsole: InstanceDetail["graphicalConsole"] = { available: false, says: "" };
  return {
    instance: {} as InstanceDetail["instance"],
    buildWait: null,
    guestConsole,
    graphicalConsole,
    ports: [],
    securityGroups: [],
    volumes: [],
    actions,
  };
}

describe("upsertEvent", () => {
  it("replaces an event it already holds (a phase pushed when it starts and again when it ends)", () => {
    const next = upsertEvent(detail([action("a", "create", [event(1, "scheduling")])]), event(1, "scheduling", true));
    expect(next.actions[0]!.events).toEqual([event(1, "scheduling", true)]);
  });

  it("puts a new phase in the create action, not in a reschedule recorded after it", () => {
    const before = detail([action("a", "create", [event(1, "scheduling", true), event(2, "spawning", true)]), action("r", "reschedule", [])]);
    const next = upsertEvent(before, event(3, "scheduling"));
    expect(next.actions.map((a) => [a.action, a.events.map((e) => e.id)])).toEqual([
      ["create", [1, 2, 3]],
      ["reschedule", []],
    ]);
  });

  it("opens a provisional delete action for a delete phase that arrives before the action is known", () => {
    const next = upsertEvent(detail([action("a", "create", [event(1, "active", true)])]), event(2, "deleting"));
    expect(next.actions.map((a) => [a.action, a.events.map((e) => e.id)])).toEqual([
      ["create", [1]],
      ["delete", [2]],
    ]);
  });
});
