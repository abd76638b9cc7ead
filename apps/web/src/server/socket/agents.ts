import { randomUUID } from "node:crypto";
import type { Namespace, Server } from "socket.io";
import type { Logger } from "pino";
import type { z } from "zod";
import type { AgentGateway, Services } from "@nimbus/core/context";
import { NimbusError, publicError } from "@nimbus/core/errors";
import { destroyCommandFor, reconcileHost, recordConsoleChunk, recordReports, relayDownloadProgress } from "@nimbus/core/compute";
import { hostDisconnected, recordHeartbeats, registerHost, verifyAgentSecret, verifyHostCredential } from "@nimbus/core/hosts";
import {
  AGENT_NAMESPACE,
  MAX_PROTOCOL_MESSAGE_CHARS,
  PROTOCOL_VERSION,
  agentHandshakeSchema,
  commandAckSchema,
  consoleChunkSchema,
  downloadProgressSchema,
  hostRegistrationSchema,
  instanceReportsSchema,
  type InstanceReport,
  hostRoom,
  type AgentCommand,
  type AgentCommands,
  type AgentToServerEvents,
  type CommandAck,
  type ServerToAgentEvents,
  vncConsoleAckSchema,
} from "@nimbus/core/protocol/agent";
import { sameSecret } from "../secrets";
import { ReportStream } from "./report-stream";

interface AgentSocketData {
  hostname: string;
  agentVersion: string;
  hostId?: string;
}

type AgentNamespace = Namespace<AgentToServerEvents, ServerToAgentEvents, Record<string, never>, AgentSocketData>;

const agentRoom = (hostname: string) => `agent:${hostname}`;
/** The number of a report message the server refuses whole (it still counts in the connection's order). */
const reportsMessageNumber = instanceReportsSchema.pick({ n: true });

/**
 * The `/agent` namespace: compute agents authenticate with the shared secret, register their
 * host, heartbeat and report instance state; the server sends spawn and destroy commands.
 * Every payload is parsed with the protocol's zod schemas; a bad one is refused and logged.
 */
export function attachAgentNamespace(
  io: Server,
  {
    services,
    secret,
    log,
    heartbeatIntervalMs,
    orphanGraceMs,
  }: { services: Services; secret: string | null; log: Logger; heartbeatIntervalMs: number; orphanGraceMs: number },
): AgentNamespace {
  const nsp = io.of(AGENT_NAMESPACE) as unknown as AgentNamespace;

  nsp.use((socket, next) => {
    const parsed = agentHandshakeSchema.safeParse(socket.handshake.auth);
    if (!parsed.success) {
      log.warn({ address: socket.handshake.address }, "agent refused: malformed handshake");
      return next(new Error("malformed handshake"));
    }
    const { hostname, credential, protocolVersion } = parsed.data;
    if (protocolVersion !== PROTOCOL_VERSION) {
      log.warn({ hostname, version: protocolVersion }, "agent refused: protocol version");
      return next(new Error(`unsupported protocol version ${protocolVersion}; this server speaks ${PROTOCOL_VERSION}`));
    }
    const authenticated = credential
      ? verifyHostCredential(services.db, hostname, credential)
      : verifyAgentSecret(services.db, hostname, secret !== null && sameSecret(parsed.data.secret ?? "", secret));
    authenticated
      .then((ok) => {
        if (!ok) {
          log.warn(
            { address: socket.handshake.address, hostname, mode: credential ? "host credential" : "shared secret" },
            "agent refused: invalid credential",
          );
          return next(new Error(credential ? "host credential invalid or revoked" : "invalid agent credential"));
        }
        socket.data.hostname = hostname;
        socket.data.agentVersion = parsed.data.agentVersion;
        void socket.join(agentRoom(hostname));
        next();
      })
      .catch((error: unknown) => {
        log.error({ err: error }, "agent authentication failed");
        next(new Error("internal error"));
      });
  });

  /** Destroys domains that are still unknown after the grace period (one may have been claimed meanwhile). */
  async function destroyOrphans(hostId: string, candidates: string[]): Promise<void> {
    const { unknownDomains } = await reconcileHost(services, { hostId, domains: candidates });
    for (const instanceId of unknownDomains) {
      const ack = await services.agents
        .destroy(hostId, { commandId: randomUUID(), instanceId, volumes: [], ports: [] })
        .catch((error: unknown) => ({ ok: false as const, error: String(error) }));
      log.warn({ hostId, instanceId, ok: ack.ok }, "reconciliation: destroy of an orphan domain requested");
    }
  }

  const heartbeats = heartbeatBatcher(services, log);

  nsp.on("connection", (socket) => {
    const hostLog = log.child({ hostname: socket.data.hostname, sid: socket.id });
    hostLog.info("agent connected");

    socket.on("host.register", async (payload, ack) => {
      if (typeof ack !== "function") return;
      const parsed = hostRegistrationSchema.safeParse(payload);
      if (!parsed.success) {
        hostLog.warn({ issues: parsed.error.issues.length }, "malformed host.register refused");
        return ack({ ok: false, error: malformed("registration", parsed.error) });
      }
      try {
        const { hostId } = await registerHost(services, {
          hostname: socket.data.hostname,
          agentVersion: socket.data.agentVersion,
          sessionId: socket.id,
          registration: parsed.data,
        });
        socket.data.hostId = hostId;
        await socket.join(hostRoom(hostId));
        hostLog.info({ hostId, vcpus: parsed.data.vcpus, memoryMb: parsed.data.memoryMb }, "host registered");
        ack({ ok: true, hostId, heartbeatIntervalMs });
        const { unknownDomains, missingInstances, evacuatedDomains, deleting } = await reconcileHost(services, {
          hostId,
          domains: parsed.data.domains,
        });
        for (const instanceId of deleting) {
          // A delete the host took before it went away: asked again; the host reports `deleted` when done.
          const ack = await services.agents
            .destroy(hostId, await destroyCommandFor(services.db, instanceId, randomUUID()))
            .catch((error: unknown) => ({ ok: false as const, error: String(error) }));
          hostLog.warn({ instanceId, ok: ack.ok }, "reconciliation: a delete the host had not finished was sent again");
        }
        for (const instanceId of evacuatedDomains) {
          // Evacuated elsewhere while this host was down: its guest here goes at once (Nova's _destroy_evacuated_instances).
          const ack = await services.agents
            .destroy(hostId, { commandId: randomUUID(), instanceId, volumes: [], ports: [] })
            .catch((error: unknown) => ({ ok: false as const, error: String(error) }));
          hostLog.warn({ instanceId, ok: ack.ok }, "reconciliation: destroy of an evacuated instance's leftover domain requested");
        }
        if (missingInstances.length > 0)
          hostLog.warn({ instances: missingInstances }, "reconciliation: domains missing on the host; instances set to ERROR");
        if (unknownDomains.length > 0) {
          hostLog.warn(
            { domains: unknownDomains, graceMs: orphanGraceMs },
            "reconciliation: unknown domains on the host; destroying after the grace period",
          );
          setTimeout(() => void destroyOrphans(hostId, unknownDomains), orphanGraceMs).unref();
        }
      } catch (error) {
        hostLog.error({ err: error }, "host registration failed");
        ack({ ok: false, error: publicError(error).message });
      }
    });

    socket.on("host.heartbeat", () => {
      const hostId = socket.data.hostId;
      if (!hostId) return;
      heartbeats.add(hostId, socket.id, () => {
        hostLog.warn("heartbeat from a connection the host no longer counts (it went silent); dropping it so the agent re-registers");
        socket.disconnect(true);
      });
    });

    /**
     * An acknowledged report from a registered host, parsed with its schema; a report before
     * registration or a malformed one is refused in its ack and null is returned.
     */
    function accepted<T>(
      event: string,
      schema: z.ZodType<T>,
      what: string,
      payload: unknown,
      ack: (response: { ok: false; error: string }) => void,
    ): { hostId: string; data: T } | null {
      const hostId = socket.data.hostId;
      if (!hostId) {
        ack({ ok: false, error: "register the host first" });
        return null;
      }
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        hostLog.warn({ issues: parsed.error.issues.map((i) => i.path.join(".")) }, `malformed ${event} refused`);
        ack({ ok: false, error: malformed(what, parsed.error) });
        return null;
      }
      return { hostId, data: parsed.data };
    }

    /**
     * Applies reports (each instance's in order). A refused one (another host's instance, say)
     * is named in the result and the rest go on; a passing fault (the database) returns null,
     * leaving them unacknowledged so the agent resends them (those applied are then duplicates).
     */
    async function applyReports(hostId: string, reports: InstanceReport[]): Promise<{ instanceId: string; seq: number; error: string }[] | null> {
      try {
        const refused = await recordReports(services, { hostId, reports });
        for (const { report, error } of refused) hostLog.warn({ instanceId: report.instanceId, seq: report.seq, code: error.code }, "report refused");
        return refused.map(({ report, error }) => ({ instanceId: report.instanceId, seq: report.seq, error: error.message }));
      } catch (error) {
        hostLog.error({ err: error }, "reports failed; the agent will resend them");
        return null;
      }
    }

    const reports = new ReportStream((batch) => applyReports(socket.data.hostId!, batch));
    socket.on("instance.reports", (payload, ack) => {
      if (typeof ack !== "function") return;
      const refuse = (response: { ok: false; error: string }) => {
        const numbered = reportsMessageNumber.safeParse(payload);
        if (numbered.success) reports.skip(numbered.data.n);
        ack(response);
      };
      const message = accepted("instance.reports", instanceReportsSchema, "reports", payload, refuse);
      if (message) reports.receive(message.data, ack);
    });

    socket.on("instance.console", async (payload, ack) => {
      if (typeof ack !== "function") return;
      const chunk = accepted("instance.console", consoleChunkSchema, "console chunk", payload, ack);
      if (!chunk) return;
      try {
        const outcome = await recordConsoleChunk(services, { hostId: chunk.hostId, chunk: chunk.data });
        if (outcome === "refused") {
          hostLog.warn({ instanceId: chunk.data.instanceId }, "console chunk refused: instance not on this host");
          return ack({ ok: false, error: "that instance is not on this host" });
        }
        ack({ ok: true });
      } catch (error) {
        // Left unacknowledged: the agent resends it.
        hostLog.error({ err: error }, "storing a console chunk failed");
      }
    });

    socket.on("instance.download", (payload) => {
      const hostId = socket.data.hostId;
      const parsed = downloadProgressSchema.safeParse(payload);
      if (!hostId || !parsed.success) {
        hostLog.warn("malformed or unregistered instance.download ignored");
        return;
      }
      relayDownloadProgress(services, { hostId, progress: parsed.data }).catch((error: unknown) =>
        hostLog.error({ err: error }, "relaying download progress failed"),
      );
    });

    socket.on("disconnect", (reason) => {
      hostLog.info({ reason }, "agent disconnected");
      const hostId = socket.data.hostId;
      if (hostId) hostDisconnected(services, hostId, socket.id).catch((error: unknown) => hostLog.error({ err: error }, "marking host down failed"));
    });
  });

  return nsp;
}

/** A refusal of a malformed message that names its fields and says what is wrong with each (never the values). */
function malformed(what: string, error: z.ZodError): string {
  const fields = error.issues.map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`);
  return `malformed ${what}: ${fields.join("; ")}`.slice(0, MAX_PROTOCOL_MESSAGE_CHARS);
}

/** How long heartbeats are gathered before they are written, all in one statement. */
const HEARTBEAT_BATCH_MS = 250;

/** Gathers agents' heartbeats and writes each batch in one statement; a stale one's connection is dropped. */
function heartbeatBatcher(services: Services, log: Logger) {
  const pending = new Map<string, { hostId: string; sessionId: string; onStale: () => void }>();
  // biome-ignore lint/correctness/noUnusedVariables: read by the ??= in add(): one flush scheduled at a time
  let timer: NodeJS.Timeout | undefined;
  async function flush(): Promise<void> {
    timer = undefined;
    const beats = [...pending.values()];
    pending.clear();
    try {
      const stale = await recordHeartbeats(services, beats);
      for (const beat of beats) if (stale.has(beat.sessionId)) beat.onStale();
    } catch (error) {
      log.error({ err: error, beats: beats.length }, "recording heartbeats failed");
    }
  }
  return {
    add(hostId: string, sessionId: string, onStale: () => void): void {
      pending.set(sessionId, { hostId, sessionId, onStale });
      timer ??= setTimeout(() => void flush(), HEARTBEAT_BATCH_MS);
    },
  };
}

/** Sends commands to the agent serving a host and waits for its acknowledgement. */
export function agentGateway(getNamespace: () => AgentNamespace, ackTimeoutMs: number): AgentGateway {
  /** The agent's answer to a command, parsed with `ackSchema` (a `CommandAck` unless the command says otherwise). */
  async function send<E extends AgentCommand, A extends { ok: boolean } = CommandAck>(
    event: E,
    hostId: string,
    payload: AgentCommands[E],
    ackSchema: z.ZodType<A> = commandAckSchema as unknown as z.ZodType<A>,
  ): Promise<A | { ok: false; error: string }> {
    let responses: unknown[];
    const nsp = getNamespace();
    const room = hostRoom(hostId);
    // An agent connected to this process is sent its command on its own socket. A broadcast
    // through the cluster adapter (an agent connected to another web process) keeps the command
    // and its callbacks for the whole ack timeout, answered or not, in case another process
    // answers: at a hundred spawns a second, each listing a remote group's members, that held
    // 100 MB.
    const socketId = nsp.adapter.rooms.get(room)?.values().next().value;
    const local = socketId === undefined ? undefined : nsp.sockets.get(socketId);
    // On the wire every command is (payload, ack): `send`'s own signature is what ties payload to event.
    const wire: AgentCommand = event;
    try {
      responses = local
        ? [await local.timeout(ackTimeoutMs).emitWithAck(wire, payload)]
        : await nsp.to(room).timeout(ackTimeoutMs).emitWithAck(wire, payload);
    } catch {
      throw new NimbusError("AgentUnavailable", `the compute agent did not acknowledge within ${ackTimeoutMs} ms`);
    }
    if (responses.length === 0) throw new NimbusError("AgentUnavailable", "the compute agent of this host is not connected");
    const parsed = ackSchema.safeParse(responses[0]);
    if (!parsed.success) return { ok: false, error: "the compute agent answered with a malformed acknowledgement" };
    return parsed.data;
  }
  return {
    spawn: (hostId, command) => send("instance.spawn", hostId, command),
    destroy: (hostId, command) => send("instance.destroy", hostId, command),
    act: (hostId, command) => send("instance.action", hostId, command),
    deleteVolume: (hostId, command) => send("volume.delete", hostId, command),
    refreshPorts: (hostId, command) => send("ports.refresh", hostId, command),
    replaceGroupMembers: (hostId, command) => send("group.members", hostId, command),
    networkEntries: (hostId, command) => send("network.entries", hostId, command),
    vncConsole: (hostId, command) => send("instance.vnc", hostId, command, vncConsoleAckSchema),
    syncRouters: (hostId, command) => send("routers.sync", hostId, command),
    async disconnect(hostname) {
      getNamespace().in(agentRoom(hostname)).disconnectSockets(true);
    },
  };
}
