/**
 * A stand-in for the web server's `/agent` namespace: a real socket.io server on a real port
 * that checks what agents send against the protocol's schemas and records it, so tests wait on
 * events instead of sleeping. It serves image bytes at IMAGE_DOWNLOAD_PATH to agents that present
 * the same credential or secret their handshake would; other plain HTTP requests (enrolment) go
 * to an optional handler.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket } from "socket.io";
import {
  AGENT_NAMESPACE,
  agentHandshakeSchema,
  downloadProgressSchema,
  hostRegistrationSchema,
  instanceReportsSchema,
  type AgentHandshake,
  type DownloadProgress,
  type HostRegistration,
  type InstanceReport,
} from "@nimbus/core/protocol/agent";
import { IMAGE_DOWNLOAD_PATH } from "@nimbus/core/protocol/http";

export type ServerEvent =
  | { type: "handshake"; socketId: string; handshake: AgentHandshake }
  | { type: "refused"; reason: string }
  | { type: "register"; socketId: string; hostname: string; registration: HostRegistration }
  | { type: "report"; hostname: string; report: InstanceReport }
  | { type: "heartbeat"; hostname: string }
  | { type: "download"; hostname: string; progress: DownloadProgress }
  /** An image download request, and how it was answered. */
  | { type: "image-request"; imageId: string; hostname: string | null; status: number };

export interface FakeServerOptions {
  /** Refusal text for a handshake (sent to the agent as the connect error), or null to accept it. */
  authorize?: (handshake: AgentHandshake) => string | null;
  /** false: reports are recorded but never acknowledged. */
  ackReports?: boolean;
  heartbeatIntervalMs?: number;
  /** Answers requests that are not socket.io's or image downloads. */
  http?: (request: IncomingMessage, response: ServerResponse) => void;
}

/** Bytes sent per write of an image body, so a download arrives in several pieces. */
const IMAGE_CHUNK_BYTES = 64 * 1024;

export class FakeServer {
  readonly events: ServerEvent[] = [];
  private readonly changed = new Set<() => void>();
  /** The latest connection of each host. */
  private readonly sockets = new Map<string, Socket>();
  private readonly hostIds = new Map<string, string>();
  private closed: Promise<void> | undefined;
  /** Image bytes by image id, served at IMAGE_DOWNLOAD_PATH. */
  readonly images = new Map<string, Buffer>();
  /** While set, image downloads send their first piece and then wait for it. */
  private imageGate: Promise<void> | null = null;

  private constructor(
    private readonly io: Server,
    readonly url: string,
  ) {}

  static async listen(options: FakeServerOptions = {}): Promise<FakeServer> {
    let server: FakeServer | undefined;
    const httpServer = createServer((request, response) => {
      if (server?.serveImage(request, response, options.authorize)) return;
      if (options.http) options.http(request, response);
      else response.writeHead(404).end();
    });
    const io = new Server(httpServer, { transports: ["websocket"] });
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    const { port } = httpServer.address() as AddressInfo;
    server = new FakeServer(io, `http://127.0.0.1:${port}`);
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
  async command(hostname: string, event: "instance.spawn" | "instance.destroy" | "volume.delete", payload: unknown): Promise<unknown> {
    const socket = this.sockets.get(hostname);
    if (!socket) throw new Error(`${hostname} is not connected`);
    return socket.timeout(5000).emitWithAck(event, payload);
  }

  /**
   * Holds image downloads after their first piece until the returned function is called, so a
   * test can have several spawns waiting on one download.
   */
  holdImageDownloads(): () => void {
    let release!: () => void;
    this.imageGate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.imageGate = null;
      release();
    };
  }

  /** Answers GET IMAGE_DOWNLOAD_PATH(id); false for any other request. */
  private serveImage(request: IncomingMessage, response: ServerResponse, authorize: FakeServerOptions["authorize"]): boolean {
    const match = /^\/api\/agent\/images\/([^/]+)\/file$/.exec(request.url ?? "");
    if (!match || request.method !== "GET") return false;
    const imageId = match[1] ?? "";
    const hostname = header(request, "x-nimbus-hostname");
    const answer = (status: number, body: string) => {
      this.record({ type: "image-request", imageId, hostname: hostname ?? null, status });
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ error: body }));
    };
    const bearer = /^Bearer (.+)$/.exec(header(request, "authorization") ?? "")?.[1];
    const secret = header(request, "x-nimbus-agent-secret");
    const handshake = agentHandshakeSchema.safeParse({
      ...(bearer ? { credential: bearer } : {}),
      ...(secret ? { secret } : {}),
      hostname,
      protocolVersion: 2,
      agentVersion: "image-download",
    });
    if (!handshake.success) {
      answer(401, "present a host credential or the agent secret, and X-Nimbus-Hostname");
      return true;
    }
    const refusal = authorize?.(handshake.data) ?? null;
    if (refusal !== null) {
      answer(403, refusal);
      return true;
    }
    const bytes = this.images.get(imageId);
    if (!bytes || IMAGE_DOWNLOAD_PATH(imageId) !== request.url) {
      answer(404, "no such image");
      return true;
    }
    this.record({ type: "image-request", imageId, hostname: hostname ?? null, status: 200 });
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(bytes.length) });
    const gate = this.imageGate;
    void (async () => {
      for (let offset = 0; offset < bytes.length; offset += IMAGE_CHUNK_BYTES) {
        response.write(bytes.subarray(offset, offset + IMAGE_CHUNK_BYTES));
        if (offset === 0 && gate) await gate;
      }
      response.end();
    })();
    return true;
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
      socket.on("instance.reports", (payload: unknown, ack: (response: unknown) => void) => {
        for (const report of instanceReportsSchema.parse(payload).reports) this.record({ type: "report", hostname, report });
        if (ackReports) ack({ ok: true, refused: [] });
      });
      socket.on("host.heartbeat", () => this.record({ type: "heartbeat", hostname }));
      socket.on("instance.download", (payload: unknown) =>
        this.record({ type: "download", hostname, progress: downloadProgressSchema.parse(payload) }),
      );
    });
  }
}

export function registrationsOf(events: readonly ServerEvent[], hostname?: string): Extract<ServerEvent, { type: "register" }>[] {
  return events.filter(
    (e): e is Extract<ServerEvent, { type: "register" }> => e.type === "register" && (hostname === undefined || e.hostname === hostname),
  );
}

export function reportsOf(events: readonly ServerEvent[], instanceId: string): InstanceReport[] {
  return events.flatMap((e) => (e.type === "report" && e.report.instanceId === instanceId ? [e.report] : []));
}

export function downloadsOf(events: readonly ServerEvent[], instanceId: string): DownloadProgress[] {
  return events.flatMap((e) => (e.type === "download" && e.progress.instanceId === instanceId ? [e.progress] : []));
}

export function imageRequestsOf(events: readonly ServerEvent[], imageId: string): Extract<ServerEvent, { type: "image-request" }>[] {
  return events.filter((e): e is Extract<ServerEvent, { type: "image-request" }> => e.type === "image-request" && e.imageId === imageId);
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
