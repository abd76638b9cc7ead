import type { Logger } from "pino";
import { io, type Socket } from "socket.io-client";
import { z } from "zod";
import {
  AGENT_NAMESPACE,
  PROTOCOL_VERSION,
  commandAckSchema,
  destroyCommandSchema,
  hostRegistrationSchema,
  registrationAckSchema,
  spawnCommandSchema,
  type AgentHandshake,
  type AgentToServerEvents,
  type CommandAck,
  type InstanceReport,
  type ServerToAgentEvents,
} from "@nimbus/core/protocol";
import { Backoff } from "./backoff";
import type { ComputeManager } from "./compute-manager";
import type { ComputeDriver } from "./driver/types";
import type { ReportOutbox } from "./report-outbox";
import type { SecretProvider } from "./secret";

export interface AgentOptions {
  serverUrl: string;
  hostname: string;
  agentVersion: string;
  secret: SecretProvider;
  diskGb: number;
  /** Heartbeats go out at this interval or the server's, whichever is shorter. */
  heartbeatMs: number;
  driver: ComputeDriver;
  manager: ComputeManager;
  outbox: ReportOutbox;
  log: Logger;
}

const REGISTER_TIMEOUT_MS = 10_000;
const REPORT_TIMEOUT_MS = 5_000;
/** The longest refusal text the protocol accepts in a command acknowledgement. */
const MAX_ACK_ERROR_LENGTH = 2000;

/**
 * The compute agent's connection to the server (namespace `/agent`). On every connection it
 * registers the host, then heartbeats and sends queued instance reports; commands from the
 * server are validated, acknowledged at once, and handed to the compute manager. A lost or
 * refused connection is retried with backoff for as long as the agent runs.
 */
export class Agent {
  private readonly socket: Socket<ServerToAgentEvents, AgentToServerEvents>;
  private readonly backoff = new Backoff(500, 5000);
  /** Bumped on every connect and disconnect, so work that outlived its connection is dropped. */
  private connection = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly options: AgentOptions) {
    this.socket = io(`${options.serverUrl}${AGENT_NAMESPACE}`, {
      autoConnect: false,
      transports: ["websocket"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      auth: (send) => void this.handshake().then(send),
    });
    this.socket.on("connect", () => this.onConnect());
    this.socket.on("disconnect", (reason) => this.onDisconnect(reason));
    this.socket.on("connect_error", (error) => this.onConnectError(error));
    this.socket.on("instance.spawn", (payload: unknown, ack: unknown) => respond(ack, this.onSpawn(payload)));
    this.socket.on("instance.destroy", (payload: unknown, ack: unknown) => respond(ack, this.onDestroy(payload)));
  }

  start(): void {
    this.options.log.info({ url: this.options.serverUrl }, "connecting to the server");
    this.socket.connect();
  }

  /**
   * Refuses new commands, waits up to `deadlineMs` for running work to finish and its reports
   * to be acknowledged, then closes the connection.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.stopping = true;
    const { manager, outbox, log } = this.options;
    let deadline: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      manager.idle().then(() => outbox.drained()).then(() => true),
      new Promise<false>((resolve) => (deadline = setTimeout(() => resolve(false), deadlineMs))),
    ]);
    clearTimeout(deadline);
    if (!drained) log.warn({ deadlineMs }, "shutdown deadline passed with work or reports still pending");
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    outbox.offline();
    this.socket.close();
  }

  private async handshake(): Promise<AgentHandshake> {
    return {
      secret: await this.options.secret(),
      hostname: this.options.hostname,
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: this.options.agentVersion,
    };
  }

  private onConnect(): void {
    this.connection += 1;
    this.options.log.info("connected to the server");
    void this.register(this.connection);
  }

  private onDisconnect(reason: Socket.DisconnectReason): void {
    this.connection += 1;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    this.options.outbox.offline();
    // The outbox resends unacknowledged reports after the next registration; a copy socket.io
    // buffered meanwhile would reach the server before `host.register`.
    this.socket.sendBuffer = [];
    if (this.stopping) return;
    this.options.log.warn({ reason }, "disconnected from the server");
    // socket.io reconnects by itself, except after the server closed the connection.
    if (reason === "io server disconnect") this.later(() => this.socket.connect());
  }

  private onConnectError(error: Error): void {
    this.options.log.warn({ reason: error.message }, "could not connect to the server");
    // socket.io does not retry a connection the server's middleware refused (a bad secret, say).
    if (!this.socket.active && !this.stopping) this.later(() => this.socket.connect());
  }

  private async register(connection: number): Promise<void> {
    const { driver, diskGb, log } = this.options;
    try {
      const [node, domains] = await Promise.all([driver.nodeInfo(), driver.listDomainUuids()]);
      const registration = hostRegistrationSchema.parse({
        hypervisorType: node.hypervisorType,
        hypervisorUri: node.uri,
        cpuModel: node.cpuModel,
        vcpus: node.vcpus,
        memoryMb: node.memoryMb,
        diskGb,
        domains,
      });
      const response: unknown = await this.socket.timeout(REGISTER_TIMEOUT_MS).emitWithAck("host.register", registration);
      if (connection !== this.connection) return;
      const ack = registrationAckSchema.parse(response);
      if (!ack.ok) {
        log.error({ reason: ack.error }, "the server refused the host registration; will retry");
        this.later(() => this.register(connection));
        return;
      }
      log.info({ hostId: ack.hostId, domains: domains.length }, "host registered");
      this.backoff.reset();
      const intervalMs = Math.min(ack.heartbeatIntervalMs, this.options.heartbeatMs);
      clearInterval(this.heartbeat);
      this.heartbeat = setInterval(() => this.socket.emit("host.heartbeat", {}), intervalMs);
      this.options.outbox.online((report) => this.deliver(report));
    } catch (error) {
      if (connection !== this.connection) return;
      log.warn({ err: error }, "host registration failed; will retry");
      this.later(() => this.register(connection));
    }
  }

  private async deliver(report: InstanceReport): Promise<CommandAck> {
    const response: unknown = await this.socket.timeout(REPORT_TIMEOUT_MS).emitWithAck("instance.report", report);
    const ack = commandAckSchema.safeParse(response);
    return ack.success ? ack.data : { ok: false, error: "the server's acknowledgement was malformed" };
  }

  private onSpawn(payload: unknown): CommandAck {
    if (this.stopping) return { ok: false, error: "the compute host is shutting down" };
    const parsed = spawnCommandSchema.safeParse(payload);
    if (!parsed.success) return this.malformed("instance.spawn", parsed.error);
    const { commandId, instance } = parsed.data;
    const started = this.options.manager.spawn(parsed.data);
    this.options.log.info({ instanceId: instance.id, commandId }, started ? "spawn accepted" : "spawn already under way; not started again");
    return { ok: true };
  }

  private onDestroy(payload: unknown): CommandAck {
    if (this.stopping) return { ok: false, error: "the compute host is shutting down" };
    const parsed = destroyCommandSchema.safeParse(payload);
    if (!parsed.success) return this.malformed("instance.destroy", parsed.error);
    this.options.manager.destroy(parsed.data);
    this.options.log.info({ instanceId: parsed.data.instanceId, commandId: parsed.data.commandId }, "destroy accepted");
    return { ok: true };
  }

  private malformed(event: string, error: z.ZodError): CommandAck {
    const issues = error.issues.map((issue) => `${issue.path.join(".") || "payload"}: ${issue.message}`);
    const message = `malformed command: ${issues.join("; ")}`.slice(0, MAX_ACK_ERROR_LENGTH);
    this.options.log.warn({ event, reason: message }, "refused a malformed command");
    return { ok: false, error: message };
  }

  /** Runs `action` after the next backoff delay, unless the agent is stopping by then. */
  private later(action: () => unknown): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      if (!this.stopping) void action();
    }, this.backoff.next());
  }
}

/** Acknowledges a command; the server may have sent it without asking for an acknowledgement. */
function respond(ack: unknown, response: CommandAck): void {
  if (typeof ack === "function") ack(response);
}
