/**
 * The socket.io protocol between the web server and compute agents (namespace `/agent`), and the
 * events the server pushes to browsers (namespace `/`). Every payload has a zod schema; both
 * sides parse what they receive and never cast wire JSON to a type.
 */
import { z } from "zod";

export const PROTOCOL_VERSION = 1;
export const AGENT_NAMESPACE = "/agent";

// ───────────── handshake ─────────────

export const hostnameSchema = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,252}$/, "hostname must be a DNS name");

/**
 * An agent authenticates with its own host credential (from enrolment) or, on a single-machine
 * install, with the shared bootstrap secret.
 */
export const agentHandshakeSchema = z
  .object({
    credential: z.string().min(16).max(512).optional(),
    secret: z.string().min(16).max(512).optional(),
    hostname: hostnameSchema,
    protocolVersion: z.number().int().positive(),
    agentVersion: z.string().max(64),
  })
  .refine((v) => (v.credential === undefined) !== (v.secret === undefined), "present either a host credential or the shared secret");

/** Enrolment (HTTP POST /api/agent/enroll): a one-time join token for a host credential. */
export const enrollRequestSchema = z.object({ joinToken: z.string().min(16).max(512), hostname: hostnameSchema });
export const enrollResponseSchema = z.object({ hostname: hostnameSchema, credential: z.string().min(16) });
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;
export const ENROLL_PATH = "/api/agent/enroll";
export type AgentHandshake = z.infer<typeof agentHandshakeSchema>;

// ───────────── agent → server ─────────────

export const hostRegistrationSchema = z.object({
  hypervisorType: z.string().min(1).max(64),
  hypervisorUri: z.string().min(1).max(512),
  cpuModel: z.string().max(128),
  vcpus: z.number().int().positive(),
  memoryMb: z.number().int().positive(),
  diskGb: z.number().int().nonnegative(),
  /** Instance UUIDs of the Nimbus domains libvirt has on this host right now (reconciliation). */
  domains: z.array(z.uuid()).max(100_000),
});
export type HostRegistration = z.infer<typeof hostRegistrationSchema>;

export const reportPhaseSchema = z.enum(["networking", "block_device_mapping", "spawning", "active", "error", "deleted"]);
export type ReportPhase = z.infer<typeof reportPhaseSchema>;

export const powerStateSchema = z.enum(["nostate", "running", "paused", "shutdown", "crashed", "suspended"]);

export const instanceReportSchema = z.object({
  instanceId: z.uuid(),
  commandId: z.uuid(),
  /** Per-instance sequence number: duplicates and stale reports are ignored by the server. */
  seq: z.number().int().nonnegative(),
  phase: reportPhaseSchema,
  powerState: powerStateSchema,
  at: z.iso.datetime(),
  /** Plain words for the user when phase is "error". */
  message: z.string().max(2000).optional(),
});
export type InstanceReport = z.infer<typeof instanceReportSchema>;

// ───────────── server → agent ─────────────

export const spawnCommandSchema = z.object({
  commandId: z.uuid(),
  instance: z.object({
    id: z.uuid(),
    name: z.string().min(1).max(255),
    vcpus: z.number().int().positive(),
    memoryMb: z.number().int().positive(),
    rootGb: z.number().int().nonnegative(),
  }),
  image: z
    .object({
      id: z.uuid(),
      name: z.string(),
      properties: z.record(z.string(), z.string()),
    })
    .nullable(),
  network: z
    .object({
      id: z.uuid(),
      name: z.string(),
      macAddress: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
      fixedIp: z.string().nullable(),
    })
    .nullable(),
});
export type SpawnCommand = z.infer<typeof spawnCommandSchema>;

export const destroyCommandSchema = z.object({
  commandId: z.uuid(),
  instanceId: z.uuid(),
});
export type DestroyCommand = z.infer<typeof destroyCommandSchema>;

/** Every command is acknowledged; a refusal says why in plain words. */
export const commandAckSchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), error: z.string().max(2000) }),
]);
export type CommandAck = z.infer<typeof commandAckSchema>;

export const registrationAckSchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), hostId: z.uuid(), heartbeatIntervalMs: z.number().int().positive() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type RegistrationAck = z.infer<typeof registrationAckSchema>;

/** socket.io typings for the `/agent` namespace, server side. Payloads arrive as `unknown`. */
export interface AgentToServerEvents {
  "host.register": (payload: unknown, ack: (response: RegistrationAck) => void) => void;
  "host.heartbeat": (payload: unknown) => void;
  "instance.report": (payload: unknown, ack: (response: CommandAck) => void) => void;
}
export interface ServerToAgentEvents {
  "instance.spawn": (payload: SpawnCommand, ack: (response: unknown) => void) => void;
  "instance.destroy": (payload: DestroyCommand, ack: (response: unknown) => void) => void;
}

// ───────────── server → browser ─────────────

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

export const hostChangedSchema = z.object({ hostId: z.uuid() });
export type HostChanged = z.infer<typeof hostChangedSchema>;

export interface ServerToBrowserEvents {
  "instance.event": (payload: InstanceEventPayload) => void;
  "instance.changed": (payload: InstanceChanged) => void;
  "host.changed": (payload: HostChanged) => void;
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BrowserToServerEvents {}

/** socket.io rooms of the browser namespace. */
export const rooms = {
  project: (projectId: string) => `project:${projectId}`,
  admins: "admins",
  host: (hostId: string) => `host:${hostId}`,
  user: (userId: string) => `user:${userId}`,
  session: (tokenHash: string) => `session:${tokenHash}`,
} as const;
