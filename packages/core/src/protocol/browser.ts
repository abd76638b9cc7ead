/**
 * What the web server pushes to browsers over socket.io (namespace `/`): an instance's action
 * events and state changes (batched per committed change), image download progress, console
 * output and host changes, each with a zod schema the console parses on receipt.
 */
import { z } from "zod";
import { consoleChunkSchema, downloadProgressSchema } from "./agent";

export const instanceEventSchema = z.object({
  id: z.number().int(),
  instanceId: z.uuid(),
  event: z.string(),
  startTime: z.string(),
  finishTime: z.string().nullable(),
  result: z.string().nullable(),
  host: z.string().nullable(),
  details: z.string().nullable(),
  /** When the compute agent sent the report that opened this event (live pushes only). */
  reportedAt: z.string().optional(),
});
export type InstanceEventPayload = z.infer<typeof instanceEventSchema>;

export const instanceChangedSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  status: z.string(),
  vmState: z.string(),
  taskState: z.string().nullable(),
  powerState: z.string(),
  hostname: z.string().nullable(),
  progress: z.number().int(),
});
export type InstanceChanged = z.infer<typeof instanceChangedSchema>;

/**
 * What one committed change announces to a project's viewers, in one message: the action events
 * it closed and opened, in order, then the instances' new states (the reports of a build that
 * arrive together are one message, not one per event). Cloud admins outside the project get
 * the states only.
 */
export interface InstanceUpdates {
  events: InstanceEventPayload[];
  changes: InstanceChanged[];
}

/** An "instance.updates" message's two lists, their items not yet checked (each is, on its own, where it is used). */
const instanceUpdatesEnvelope = z.object({ events: z.array(z.unknown()), changes: z.array(z.unknown()) });

/** The announcements "instance.updates" carries, and the list of it that holds each, in order. */
const CARRIED_IN_UPDATES = [
  ["instance.event", "events"],
  ["instance.changed", "changes"],
] as const;

/** The message that carries announcement `event` ("instance.updates"), or null when it travels on its own. */
export function carrierOf(event: string): "instance.updates" | null {
  return CARRIED_IN_UPDATES.some(([name]) => name === event) ? "instance.updates" : null;
}

/**
 * The announcements a message to a browser carries, one by one, each payload still to be
 * parsed with its own schema (one bad item costs only itself): an "instance.updates" message
 * as an "instance.event" per event, then an "instance.changed" per state; anything else as
 * itself. An "instance.updates" that is not two lists carries nothing.
 */
export function unpackBrowserMessage(event: string, payload: unknown): { event: string; payload: unknown }[] {
  if (event !== "instance.updates") return [{ event, payload }];
  const parsed = instanceUpdatesEnvelope.safeParse(payload);
  if (!parsed.success) return [];
  return CARRIED_IN_UPDATES.flatMap(([name, list]) => parsed.data[list].map((item) => ({ event: name, payload: item })));
}

export const hostChangedSchema = z.object({ hostId: z.uuid() });
export type HostChanged = z.infer<typeof hostChangedSchema>;

/**
 * A project's networks, subnets, routers or floating IPs changed (a committed change): its
 * viewers fetch what they show of them again. (Ports that come and go with instances are
 * announced by the instances' own changes.)
 */
export const networkChangedSchema = z.object({
  projectId: z.uuid(),
  resource: z.enum(["network", "subnet", "router", "floatingip"]),
});
export type NetworkChanged = z.infer<typeof networkChangedSchema>;

/** Download progress relayed to the instance's viewers. */
export const instanceDownloadSchema = downloadProgressSchema.extend({ projectId: z.uuid() });
/** Console output relayed to the instance's viewers; `guestBooted` once the guest said so. */
export const instanceConsoleSchema = consoleChunkSchema.extend({ projectId: z.uuid() });

export interface ServerToBrowserEvents {
  "instance.updates": (payload: InstanceUpdates) => void;
  "instance.download": (payload: z.infer<typeof instanceDownloadSchema>) => void;
  "instance.console": (payload: z.infer<typeof instanceConsoleSchema>) => void;
  "host.changed": (payload: HostChanged) => void;
  "network.changed": (payload: NetworkChanged) => void;
}
/** Browsers send the server nothing over socket.io: every request is a tRPC call. */
export type BrowserToServerEvents = Record<string, never>;

/** socket.io rooms of the browser namespace. */
export const rooms = {
  project: (projectId: string) => `project:${projectId}`,
  admins: "admins",
  user: (userId: string) => `user:${userId}`,
  session: (tokenHash: string) => `session:${tokenHash}`,
  apiToken: (tokenId: string) => `api-token:${tokenId}`,
} as const;
