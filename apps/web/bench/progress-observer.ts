/**
 * The launch bench's browser: a process of its own with one socket.io connection, as the
 * console keeps, so what it measures (when a pushed change arrives) is not delayed by the
 * bench's own work of firing fifty launches at once, as a browser watching progress is not by
 * a script that launches.
 *
 * Started with an IPC channel; the first message says where to connect (and the session
 * cookie, kept out of argv). It tells the bench when an instance settles (ACTIVE or ERROR)
 * and, asked with "report", answers with what it saw.
 */
import { io } from "socket.io-client";
import { z } from "zod";
import { instanceChangedSchema, instanceEventSchema, unpackBrowserMessage } from "@nimbus/core/protocol/browser";

const observerOptionsSchema = z.object({ url: z.url(), cookie: z.string().min(1) });

/** Per instance and phase: when the server opened the phase's event, when the agent sent the report behind it, when it closed. */
export type PhaseTimes = Record<string, { opened: number; reported?: number; finished?: number }>;

export type ObserverMessage =
  | { type: "connected" }
  | { type: "settled"; id: string; status: "ACTIVE" | "ERROR"; at: number }
  | { type: "report"; progressLatencyMs: Record<string, number[]>; phases: Record<string, PhaseTimes> };

function observe({ url, cookie }: z.infer<typeof observerOptionsSchema>): void {
  const post = (message: ObserverMessage) => process.send!(message);
  const socket = io(url, { extraHeaders: { cookie }, transports: ["websocket"], forceNew: true });
  /** Per instance: for each pushed event behind an agent's report, the report's send until its arrival here. */
  const progressLatencyMs: Record<string, number[]> = {};
  const phases: Record<string, PhaseTimes> = {};
  const settled = new Set<string>();

  socket.on("connect", () => post({ type: "connected" }));
  // As the console's hooks see them, one by one.
  socket.onAny((name: string, message: unknown) => {
    for (const { event, payload } of unpackBrowserMessage(name, message)) {
      if (event === "instance.event") onEvent(payload);
      if (event === "instance.changed") onChanged(payload);
    }
  });
  function onEvent(payload: unknown) {
    const receivedAt = Date.now();
    const event = instanceEventSchema.parse(payload);
    if (event.reportedAt) (progressLatencyMs[event.instanceId] ??= []).push(receivedAt - Date.parse(event.reportedAt));
    const seen = (phases[event.instanceId] ??= {});
    seen[event.event] ??= { opened: Date.parse(event.startTime), ...(event.reportedAt ? { reported: Date.parse(event.reportedAt) } : {}) };
    if (event.finishTime) seen[event.event]!.finished = Date.parse(event.finishTime);
  }
  function onChanged(payload: unknown) {
    const at = performance.timeOrigin + performance.now();
    const change = instanceChangedSchema.parse(payload);
    if ((change.status === "ACTIVE" || change.status === "ERROR") && !settled.has(change.id)) {
      settled.add(change.id);
      post({ type: "settled", id: change.id, status: change.status, at });
    }
  }
  process.on("message", (message: unknown) => {
    if (message !== "report") return;
    socket.close();
    process.send!({ type: "report", progressLatencyMs, phases } satisfies ObserverMessage, () => process.exit(0));
  });
}

if (process.send) {
  process.once("message", (options: unknown) => observe(observerOptionsSchema.parse(options)));
  // The bench went away: so does its browser.
  process.on("disconnect", () => process.exit(0));
}
