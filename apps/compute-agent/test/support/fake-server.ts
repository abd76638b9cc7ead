/**
 * A stand-in for the web server's `/agent` namespace: a real socket.io server on a real port
 * that checks what agents send against the protocol's schemas and records it, so tests wait on
 * events instead of sleeping. Plain HTTP requests (enrolment) go to an optional handler.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket } from "socket.io";
import {
  AGENT_NAMESPACE,
  agentHandshakeSchema,
  hostRegistrationSchema,
  instanceReportSchema,
  type AgentHandshake,
  type HostRegistration,
  type InstanceReport,
} from "@nimbus/core/protocol";

export type ServerEvent =
  | { type: "handshake"; socketId: string; handshake: AgentHandshake }
  | { type: "refused"; reason: string }
  | { type: "register"; socketId: string; hostname: string; registration: HostRegistration }
  | { type: "report"; hostname: string; report: InstanceReport }
  | { type: "heartbeat"; hostname: string };

export interface FakeServerOptions {
  /** Refusal text for a handshake (sent to the agent as the connect error), or null to accept it. */
  authorize?: (handshake: AgentHandshake) => string | null;
  /** false: reports are recorded but never acknowledged. */
  ackReports?: boolean;
  heartbeatIntervalMs?: number;
  /** Answers requests that are not socket.io's. */
  http?: (request: IncomingMessage, response: ServerResponse) => void;
}

export class FakeServer {
  readonly events: ServerEvent[] = [];
  private readonly changed = new Set<() => void>();
  /** The latest connection of each host. */
  private readonly sockets = new Map<string, Socket>();
  private readonly hostIds = new Map<string, string>();
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly io: Server,
    readonly url: string,
  ) {}

  static async listen(options: FakeServerOptions = {}): Promise<FakeServer> {
    const httpServer = createServer((request, response) => {
      if (options.http) options.http(request, response);
      else response.writeHead(404).end();
    });
    const io = new Server(httpServer, { transports: ["websocket"] });
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    const { port } = httpServer.address() as AddressInfo;
    const server = new FakeServer(io, `http://127.0.0.1:${port}`);
    server.serve(options);
    return server;
  }

  /** Resolves with `check`'s first defined result, evaluated now and after every new event. */
  until<R>(check: (events: readonly ServerEvent[]) => R | undefined): Promise<R> {
    return new Promise((resolve) => {
      const evaluate = (): boolean => {
        const result = check(this.events);
        if (result === undefined) return false;
        this.changed.delete(listener);
        resolve(result);
        return true;
      };
      const listener = (): void => void evaluate();
      if (!evaluate()) this.changed.add(listener);
    });
  }

  /** Sends a command to the host's latest connection and resolves with its acknowledgement. */
  async command(hostname: string, event: "instance.spawn" | "instance.destroy", payload: unknown): Promise<unknown> {
    const socket = this.sockets.get(hostname);
    if (!socket) throw new Error(`${hostname} is not connected`);
    return socket.timeout(5000).emitWithAck(event, payload);
  }

  /** Closes every agent connection, as a server that restarts would. */
  disconnectAll(): void {
    this.io.of(AGENT_NAMESPACE).disconnectSockets(true);
  }

  /** Closes the server and every connection to it; closing twice is harmless. */
  close(): Promise<void> {
    this.closed ??= this.io.close();
    return this.closed;
  }

  private record(event: ServerEvent): void {
    this.events.push(event);
    for (const listener of [...this.changed]) listener();
  }

  private serve({ authorize, ackReports = true, heartbeatIntervalMs = 2000 }: FakeServerOptions): void {
    const agents = this.io.of(AGENT_NAMESPACE);
    agents.use((socket, next) => {
      const parsed = agentHandshakeSchema.safeParse(socket.handshake.auth);
      const refusal = parsed.success ? (authorize?.(parsed.data) ?? null) : "invalid agent handshake";
      if (refusal !== null) {
        this.record({ type: "refused", reason: refusal });
        next(new Error(refusal));
        return;
      }
      if (parsed.success) {
        socket.data.hostname = parsed.data.hostname;
        this.record({ type: "handshake", socketId: socket.id, handshake: parsed.data });
      }
      next();
    });
    agents.on("connection", (socket) => {
      const hostname = String(socket.data.hostname);
      this.sockets.set(hostname, socket);
      socket.on("disconnect", () => {
        if (this.sockets.get(hostname) === socket) this.sockets.delete(hostname);
      });
      socket.on("host.register", (payload: unknown, ack: (response: unknown) => void) => {
        const registration = hostRegistrationSchema.parse(payload);
        this.record({ type: "register", socketId: socket.id, hostname, registration });
        const hostId = this.hostIds.get(hostname) ?? randomUUID();
        this.hostIds.set(hostname, hostId);
        ack({ ok: true, hostId, heartbeatIntervalMs });
      });
      socket.on("instance.report", (payload: unknown, ack: (response: unknown) => void) => {
        this.record({ type: "report", hostname, report: instanceReportSchema.parse(payload) });
        if (ackReports) ack({ ok: true });
      });
      socket.on("host.heartbeat", () => this.record({ type: "heartbeat", hostname }));
    });
  }
}

export function registrationsOf(events: readonly ServerEvent[], hostname?: string): Extract<ServerEvent, { type: "register" }>[] {
  return events.filter((e): e is Extract<ServerEvent, { type: "register" }> => e.type === "register" && (hostname === undefined || e.hostname === hostname));
}

export function reportsOf(events: readonly ServerEvent[], instanceId: string): InstanceReport[] {
  return events.flatMap((e) => (e.type === "report" && e.report.instanceId === instanceId ? [e.report] : []));
}
