import type { Logger } from "pino";
import { io, type Socket } from "socket.io-client";
import type { z } from "zod";
import {
  AGENT_NAMESPACE,
  MAX_PROTOCOL_MESSAGE_CHARS,
  PROTOCOL_VERSION,
  commandAckSchema,
  reportsAckSchema,
  destroyCommandSchema,
  hostRegistrationSchema,
  instanceActionCommandSchema,
  registrationAckSchema,
  spawnCommandSchema,
  volumeDeleteCommandSchema,
  portsRefreshCommandSchema,
  groupMembersCommandSchema,
  networkEntriesCommandSchema,
  routersSyncCommandSchema,
  vncConsoleCommandSchema,
  type AgentHandshake,
  type AgentToServerEvents,
  type CommandAck,
  type DownloadProgress,
  type ServerToAgentEvents,
  type VncConsoleAck,
} from "@nimbus/core/protocol/agent";
import { Backoff } from "./backoff";
import type { ComputeManager } from "./compute-manager";
import type { ConsoleStreamer } from "./console-stream";
import type { ComputeDriver } from "./driver/types";
import type { AuthProvider } from "./host-auth";
import { OutOfStepError, type Overlay } from "./driver/overlay";
import type { RouterManager } from "./driver/routers";
import { messageOf } from "./error-message";
import type { ReportOutbox } from "./report-outbox";

export interface AgentOptions {
  /** Web servers, tried in turn (round-robin) whenever a connection fails or drops. */
  serverUrls: string[];
  hostname: string;
  agentVersion: string;
  auth: AuthProvider;
  diskGb: number;
  /** Heartbeats go out at this interval or the server's, whichever is shorter. */
  heartbeatMs: number;
  driver: ComputeDriver;
  manager: ComputeManager;
  outbox: ReportOutbox;
  /** Live serial consoles, on hosts whose guests write one (qemu); absent on the test driver. */
  consoles?: AgentConsoles;
  /** The host's side of the overlay (its tunnel address and forwarding entries); null: none. */
  overlay?: Overlay | null;
  /** The routers this host runs (`routers.sync`); null: it runs none. */
  routers?: RouterManager | null;
  /** The physical networks it has bridges for (NIMBUS_PHYSNETS), reported when it registers. */
  physicalNetworks?: string[];
  /**
   * The address the web servers' console proxy reaches this host's guests' VNC displays at
   * (NIMBUS_VNC_SERVER_PROXYCLIENT_ADDRESS); 127.0.0.1 unless given.
   */
  vncProxyclientAddress?: string;
  log: Logger;
}

export interface AgentConsoles {
  streamer: ConsoleStreamer;
  /** Where an instance's console log is written (in the driver's instance directory). */
  logOf: (instanceId: string) => string;
}

const REGISTER_TIMEOUT_MS = 10_000;
const REPORT_TIMEOUT_MS = 5_000;

type AgentSocket = Socket<ServerToAgentEvents, AgentToServerEvents>;

/**
 * The compute agent's connection to the servers (namespace `/agent`). On every connection it
 * registers the host, then heartbeats and sends queued instance reports; commands from the
 * server are validated, acknowledged at once, and handed to the compute manager. A lost or
 * refused connection is retried with backoff on the next server of the list for as long as the
 * agent runs; reports not yet acknowledged are resent to whichever server it registers with.
 */
export class Agent {
  /** The current connection attempt or connection; null between attempts. */
  private socket: AgentSocket | null = null;
  /** Index in `serverUrls` of the server of the current or next attempt. */
  private server = 0;
  private readonly backoff = new Backoff(500, 5000);
  /** Bumped on every connect and disconnect, so work that outlived its connection is dropped. */
  private connection = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly options: AgentOptions) {
    if (options.serverUrls.length === 0) throw new Error("The agent needs at least one server URL.");
  }

  start(): void {
    this.connect();
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
      manager
        .idle()
        .then(() => outbox.drained())
        .then(() => true),
      new Promise<false>((resolve) => (deadline = setTimeout(() => resolve(false), deadlineMs))),
    ]);
    clearTimeout(deadline);
    if (!drained) log.warn({ deadlineMs }, "shutdown deadline passed with work or reports still pending");
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    outbox.offline();
    await this.options.consoles?.streamer.stopAll();
    this.socket?.close();
  }

  /** Image download progress, live only: dropped while there is no connection (never queued for later). */
  sendDownloadProgress(progress: DownloadProgress): void {
    if (this.socket?.connected) this.socket.emit("instance.download", progress);
  }

  /** Opens a connection to the current server; every later attempt goes through `failOver`. */
  private connect(): void {
    const url = this.options.serverUrls[this.server] ?? "";
    const socket: AgentSocket = io(`${url}${AGENT_NAMESPACE}`, {
      autoConnect: false,
      // Not socket.io's own reconnection: it would stay on one server, where `failOver` moves on.
      reconnection: false,
      // A fresh connection even to a URL an earlier, closed socket used.
      forceNew: true,
      transports: ["websocket"],
      auth: (send) => void this.handshake().then(send),
    });
    socket.on("connect", () => this.onConnect(socket, url));
    socket.on("disconnect", (reason) => this.onDisconnect(socket, url, reason));
    socket.on("connect_error", (error) => this.onConnectError(socket, url, error));
    socket.on("instance.spawn", (payload: unknown, ack: unknown) => respond(ack, this.onSpawn(payload)));
    socket.on("instance.destroy", (payload: unknown, ack: unknown) => respond(ack, this.onDestroy(payload)));
    socket.on("instance.action", (payload: unknown, ack: unknown) => respond(ack, this.onAction(payload)));
    socket.on("volume.delete", (payload: unknown, ack: unknown) => void this.onVolumeDelete(payload).then((response) => respond(ack, response)));
    socket.on("ports.refresh", (payload: unknown, ack: unknown) => void this.onPortsRefresh(payload).then((response) => respond(ack, response)));
    socket.on("group.members", (payload: unknown, ack: unknown) => void this.onGroupMembers(payload).then((response) => respond(ack, response)));
    socket.on("network.entries", (payload: unknown, ack: unknown) => void this.onNetworkEntries(payload).then((response) => respond(ack, response)));
    socket.on("routers.sync", (payload: unknown, ack: unknown) => void this.onRoutersSync(payload).then((response) => respond(ack, response)));
    socket.on("instance.vnc", (payload: unknown, ack: unknown) => void this.onVncConsole(payload).then((response) => respond(ack, response)));
    this.socket = socket;
    this.options.log.info({ url }, "connecting to the server");
    socket.connect();
  }

  /** Drops the current connection and, after the backoff delay, tries the next server. */
  private failOver(): void {
    const socket = this.socket;
    // Cleared first, so the events of the closing socket are ignored.
    this.socket = null;
    socket?.close();
    this.server = (this.server + 1) % this.options.serverUrls.length;
    this.later(() => this.connect());
  }

  private async handshake(): Promise<AgentHandshake> {
    return {
      ...(await this.options.auth()),
      hostname: this.options.hostname,
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: this.options.agentVersion,
    };
  }

  private onConnect(socket: AgentSocket, url: string): void {
    if (socket !== this.socket) return;
    this.connection += 1;
    this.options.log.info({ url }, "connected to the server");
    void this.register(socket, this.connection);
  }

  private onDisconnect(socket: AgentSocket, url: string, reason: Socket.DisconnectReason): void {
    if (socket !== this.socket) return;
    this.connection += 1;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    // Unacknowledged reports and console chunks stay queued and are resent after the next registration.
    this.options.outbox.offline();
    this.options.consoles?.streamer.offline();
    if (this.stopping) return;
    this.options.log.warn({ url, reason }, "disconnected from the server");
    this.failOver();
  }

  /** A server that cannot be reached, or whose handshake refused this host (a revoked credential, say). */
  private onConnectError(socket: AgentSocket, url: string, error: Error): void {
    if (socket !== this.socket || this.stopping) return;
    this.options.log.warn({ url, reason: error.message }, "could not connect to the server");
    this.failOver();
  }

  private async register(socket: AgentSocket, connection: number): Promise<void> {
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
        ...(this.options.overlay ? { tunnelAddress: this.options.overlay.tunnelAddress } : {}),
        ...(this.options.physicalNetworks?.length ? { physicalNetworks: this.options.physicalNetworks } : {}),
      });
      const response: unknown = await socket.timeout(REGISTER_TIMEOUT_MS).emitWithAck("host.register", registration);
      if (connection !== this.connection) return;
      const ack = registrationAckSchema.parse(response);
      if (!ack.ok) {
        log.error({ reason: ack.error }, "the server refused the host registration; will retry");
        this.later(() => this.register(socket, connection));
        return;
      }
      const intervalMs = Math.min(ack.heartbeatIntervalMs, this.options.heartbeatMs);
      log.info({ hostId: ack.hostId, domains: domains.length, heartbeatMs: intervalMs }, "host registered");
      this.backoff.reset();
      clearInterval(this.heartbeat);
      this.heartbeat = setInterval(() => socket.emit("host.heartbeat", {}), intervalMs);
      this.options.outbox.online((message) =>
        validatedAck(reportsAckSchema, socket.timeout(REPORT_TIMEOUT_MS).emitWithAck("instance.reports", message)),
      );
      this.streamConsoles(socket, domains);
      // The server may have given up on actions while this host was away: it hears the truth.
      this.options.manager
        .syncPowerStates({ all: true })
        .catch((error: unknown) => log.warn({ err: error }, "could not report the domains' power states"));
    } catch (error) {
      if (connection !== this.connection) return;
      log.warn({ err: error }, "host registration failed; will retry");
      this.later(() => this.register(socket, connection));
    }
  }

  /**
   * Sends console chunks on this connection, and watches the consoles of the domains that run
   * (after an agent restart, or an instance spawned while the connection was down).
   */
  private streamConsoles(socket: AgentSocket, domains: string[]): void {
    const consoles = this.options.consoles;
    if (!consoles) return;
    consoles.streamer.online((chunk) => validatedAck(commandAckSchema, socket.timeout(REPORT_TIMEOUT_MS).emitWithAck("instance.console", chunk)));
    const watched = new Set(consoles.streamer.watching());
    for (const instanceId of domains.filter((id) => !watched.has(id))) {
      this.options.driver.powerState(instanceId).then(
        (state) => {
          if (state === "running" && !this.stopping) consoles.streamer.watch(instanceId, consoles.logOf(instanceId));
        },
        (error: unknown) => this.options.log.warn({ err: error, instanceId }, "could not read the domain's state to stream its console"),
      );
    }
  }

  private onSpawn(payload: unknown): CommandAck {
    if (this.stopping) return { ok: false, error: "the compute host is shutting down" };
    const parsed = spawnCommandSchema.safeParse(payload);
    if (!parsed.success) return this.malformed("instance.spawn", parsed.error);
    const { commandId, requestId, instance } = parsed.data;
    const started = this.options.manager.spawn(parsed.data);
    this.options.log.info(
      { instanceId: instance.id, commandId, requestId },
      started ? "spawn accepted" : "spawn already under way; not started again",
    );
    return { ok: true };
  }

  private onDestroy(payload: unknown): CommandAck {
    if (this.stopping) return { ok: false, error: "the compute host is shutting down" };
    const parsed = destroyCommandSchema.safeParse(payload);
    if (!parsed.success) return this.malformed("instance.destroy", parsed.error);
    this.options.manager.destroy(parsed.data);
    const { instanceId, commandId, requestId } = parsed.data;
    this.options.log.info({ instanceId, commandId, requestId }, "destroy accepted");
    return { ok: true };
  }

  /** An action on an instance: acknowledged at once, run in the instance's chain, reported on. */
  private onAction(payload: unknown): CommandAck {
    if (this.stopping) return { ok: false, error: "the compute host is shutting down" };
    const parsed = instanceActionCommandSchema.safeParse(payload);
    if (!parsed.success) return this.malformed("instance.action", parsed.error);
    const { commandId, instanceId, operation } = parsed.data;
    const started = this.options.manager.act(parsed.data);
    this.options.log.info({ instanceId, commandId, operation }, started ? "action accepted" : "action already taken; not run again");
    return { ok: true };
  }

  /** Acknowledged once the volume's file is gone, so the server can forget the volume. */
  private onVolumeDelete(payload: unknown): Promise<CommandAck> {
    return this.carryOut("volume.delete", volumeDeleteCommandSchema, payload, {
      run: (command) => this.options.manager.deleteVolume(command.volumeId),
      logged: (command) => ({ volumeId: command.volumeId }),
      failure: ["volume deletion failed", "The volume's file could not be removed"],
    });
  }

  private onPortsRefresh(payload: unknown): Promise<CommandAck> {
    return this.carryOut("ports.refresh", portsRefreshCommandSchema, payload, {
      run: (command) => this.options.manager.refreshPortFilters(command.ports),
      logged: (command) => ({ ports: command.ports.map((p) => p.id) }),
      failure: ["port filter refresh failed", "The ports' firewalls could not be updated"],
    });
  }

  private onGroupMembers(payload: unknown): Promise<CommandAck> {
    return this.carryOut("group.members", groupMembersCommandSchema, payload, {
      run: (command) => this.options.manager.replaceGroupMembers(command.groupId, command.cidrs, command.version),
      logged: (command) => ({ groupId: command.groupId }),
      failure: ["remote group members could not be replaced", "The security group's members could not be updated"],
    });
  }

  /**
   * Acknowledged once the network's entries are taken (and in the kernel, where the network's
   * bridge is on this host). Changes after a revision this host does not have are refused with
   * the protocol's "out of step" words, so the server sends the full list.
   */
  private async onNetworkEntries(payload: unknown): Promise<CommandAck> {
    const overlay = this.options.overlay;
    if (!overlay) return { ok: false, error: "this host has no tunnel address (NIMBUS_TUNNEL_IP), so it keeps no forwarding entries" };
    if (this.stopping) return { ok: false, error: "the compute host is shutting down" };
    const parsed = networkEntriesCommandSchema.safeParse(payload);
    if (!parsed.success) return this.malformed("network.entries", parsed.error);
    try {
      await overlay.apply(parsed.data);
      return { ok: true };
    } catch (error) {
      if (error instanceof OutOfStepError) return { ok: false, error: error.message.slice(0, MAX_PROTOCOL_MESSAGE_CHARS) };
      this.options.log.error({ err: error, networkId: parsed.data.networkId }, "forwarding entries could not be applied");
      return { ok: false, error: `The network's forwarding entries could not be applied: ${messageOf(error)}`.slice(0, MAX_PROTOCOL_MESSAGE_CHARS) };
    }
  }

  /** Acknowledged once every listed router is built (and every other removed), or with what failed. */
  private async onRoutersSync(payload: unknown): Promise<CommandAck> {
    const routers = this.options.routers;
    if (!routers) return { ok: false, error: "this host runs no routers: it has no networks of its own (libvirt's test driver)" };
    if (this.stopping) return { ok: false, error: "the compute host is shutting down" };
    const parsed = routersSyncCommandSchema.safeParse(payload);
    if (!parsed.success) return this.malformed("routers.sync", parsed.error);
    try {
      await routers.sync(parsed.data.routers);
      this.options.log.info({ routers: parsed.data.routers.length }, "routers in place");
      return { ok: true };
    } catch (error) {
      return { ok: false, error: `The routers could not be built: ${messageOf(error)}`.slice(0, MAX_PROTOCOL_MESSAGE_CHARS) };
    }
  }

  /**
   * Where the guest's graphical console listens (`instance.vnc`): the address the console proxy
   * reaches this host at, and the port of the domain's VNC display; or why there is none.
   */
  private async onVncConsole(payload: unknown): Promise<VncConsoleAck> {
    if (this.stopping) return { ok: false, error: "the compute host is shutting down" };
    const parsed = vncConsoleCommandSchema.safeParse(payload);
    if (!parsed.success) return this.malformed("instance.vnc", parsed.error);
    try {
      const port = await this.options.driver.vncPort(parsed.data.instanceId);
      return { ok: true, host: this.options.vncProxyclientAddress ?? "127.0.0.1", port };
    } catch (error) {
      this.options.log.info({ instanceId: parsed.data.instanceId, reason: messageOf(error) }, "no graphical console to give");
      return { ok: false, error: messageOf(error).slice(0, MAX_PROTOCOL_MESSAGE_CHARS) };
    }
  }

  /**
   * A command acknowledged once carried out: refused while the host shuts down or when
   * malformed; a failure is logged (`failure[0]`) and answered in plain words (`failure[1]`, then why).
   */
  private async carryOut<T>(
    event: string,
    schema: z.ZodType<T>,
    payload: unknown,
    { run, logged, failure: [logMessage, answer] }: { run: (command: T) => Promise<void>; logged: (command: T) => object; failure: [string, string] },
  ): Promise<CommandAck> {
    if (this.stopping) return { ok: false, error: "the compute host is shutting down" };
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return this.malformed(event, parsed.error);
    try {
      await run(parsed.data);
      return { ok: true };
    } catch (error) {
      this.options.log.error({ err: error, ...logged(parsed.data) }, logMessage);
      return { ok: false, error: `${answer}: ${messageOf(error)}`.slice(0, MAX_PROTOCOL_MESSAGE_CHARS) };
    }
  }

  private malformed(event: string, error: z.ZodError): { ok: false; error: string } {
    const issues = error.issues.map((issue) => `${issue.path.join(".") || "payload"}: ${issue.message}`);
    const message = `malformed command: ${issues.join("; ")}`.slice(0, MAX_PROTOCOL_MESSAGE_CHARS);
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

/**
 * The server's acknowledgement (of a console chunk, or of a message of reports), validated
 * against `schema`; a malformed one reads as a refusal. Rejects when none came in time.
 */
async function validatedAck<T>(schema: z.ZodType<T>, response: Promise<unknown>): Promise<T | { ok: false; error: string }> {
  const ack = schema.safeParse(await response);
  return ack.success ? ack.data : { ok: false, error: "the server's acknowledgement was malformed" };
}

/** Acknowledges a command; the server may have sent it without asking for an acknowledgement. */
function respond(ack: unknown, response: CommandAck | VncConsoleAck): void {
  if (typeof ack === "function") ack(response);
}
