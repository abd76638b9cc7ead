import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { Namespace, Server } from "socket.io";
import type { Logger } from "pino";
import type { AgentGateway, Services } from "@nimbus/core/context";
import { NimbusError, publicError } from "@nimbus/core/errors";
import { reconcileHost, recordReport } from "@nimbus/core/compute";
import { hostDisconnected, recordHeartbeat, registerHost, verifyHostCredential } from "@nimbus/core/hosts";
import {
  AGENT_NAMESPACE,
  PROTOCOL_VERSION,
  agentHandshakeSchema,
  commandAckSchema,
  hostRegistrationSchema,
  instanceReportSchema,
  rooms,
  type AgentToServerEvents,
  type CommandAck,
  type ServerToAgentEvents,
} from "@nimbus/core/protocol";

interface AgentSocketData {
  hostname: string;
  agentVersion: string;
  hostId?: string;
}

type AgentNamespace = Namespace<AgentToServerEvents, ServerToAgentEvents, Record<string, never>, AgentSocketData>;

const agentRoom = (hostname: string) => `agent:${hostname}`;

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

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
      : Promise.resolve(secret !== null && sameSecret(parsed.data.secret ?? "", secret));
    authenticated
      .then((ok) => {
        if (!ok) {
          log.warn({ address: socket.handshake.address, hostname, mode: credential ? "host credential" : "shared secret" }, "agent refused: invalid credential");
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
      const ack = await services.agents.destroy(hostId, { commandId: randomUUID(), instanceId }).catch((error: unknown) => ({ ok: false as const, error: String(error) }));
      log.warn({ hostId, instanceId, ok: ack.ok }, "reconciliation: destroy of an orphan domain requested");
    }
  }

  nsp.on("connection", (socket) => {
    const hostLog = log.child({ hostname: socket.data.hostname, sid: socket.id });
    hostLog.info("agent connected");

    socket.on("host.register", async (payload, ack) => {
      if (typeof ack !== "function") return;
      const parsed = hostRegistrationSchema.safeParse(payload);
      if (!parsed.success) {
        hostLog.warn({ issues: parsed.error.issues.length }, "malformed host.register refused");
        return ack({ ok: false, error: "malformed registration" });
      }
      try {
        const { hostId } = await registerHost(services, {
          hostname: socket.data.hostname,
          agentVersion: socket.data.agentVersion,
          sessionId: socket.id,
          registration: parsed.data,
        });
        socket.data.hostId = hostId;
        await socket.join(rooms.host(hostId));
        hostLog.info({ hostId, vcpus: parsed.data.vcpus, memoryMb: parsed.data.memoryMb }, "host registered");
        ack({ ok: true, hostId, heartbeatIntervalMs });
        const { unknownDomains, missingInstances } = await reconcileHost(services, { hostId, domains: parsed.data.domains });
        if (missingInstances.length > 0) hostLog.warn({ instances: missingInstances }, "reconciliation: domains missing on the host; instances set to ERROR");
        if (unknownDomains.length > 0) {
          hostLog.warn({ domains: unknownDomains, graceMs: orphanGraceMs }, "reconciliation: unknown domains on the host; destroying after the grace period");
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
      recordHeartbeat(services, hostId, socket.id)
        .then((state) => {
          if (state !== "stale") return;
          hostLog.warn("heartbeat from a connection the host no longer counts (it went silent); dropping it so the agent re-registers");
          socket.disconnect(true);
        })
        .catch((error: unknown) => hostLog.error({ err: error }, "heartbeat failed"));
    });

    socket.on("instance.report", async (payload, ack) => {
      if (typeof ack !== "function") return;
      const hostId = socket.data.hostId;
      if (!hostId) return ack({ ok: false, error: "register the host first" });
      const parsed = instanceReportSchema.safeParse(payload);
      if (!parsed.success) {
        hostLog.warn({ issues: parsed.error.issues.map((i) => i.path.join(".")) }, "malformed instance.report refused");
        return ack({ ok: false, error: "malformed report" });
      }
      try {
        const outcome = await recordReport(services, { hostId, report: parsed.data });
        hostLog.debug({ instanceId: parsed.data.instanceId, phase: parsed.data.phase, seq: parsed.data.seq, outcome }, "report");
        ack({ ok: true });
      } catch (error) {
        const { code, message } = publicError(error);
        if (code === "Internal") {
          // A passing fault (e.g. the database): leave it unacknowledged so the agent resends.
          hostLog.error({ err: error }, "report failed; the agent will resend it");
          return;
        }
        hostLog.warn({ instanceId: parsed.data.instanceId, code }, "report refused");
        ack({ ok: false, error: message });
      }
    });

    socket.on("disconnect", (reason) => {
      hostLog.info({ reason }, "agent disconnected");
      const hostId = socket.data.hostId;
      if (hostId) hostDisconnected(services, hostId, socket.id).catch((error: unknown) => hostLog.error({ err: error }, "marking host down failed"));
    });
  });

  return nsp;
}

/** Sends commands to the agent serving a host and waits for its acknowledgement. */
export function agentGateway(getNamespace: () => AgentNamespace, ackTimeoutMs: number): AgentGateway {
  async function send(event: "instance.spawn" | "instance.destroy", hostId: string, payload: never): Promise<CommandAck> {
    let responses: unknown[];
    try {
      responses = await getNamespace().to(rooms.host(hostId)).timeout(ackTimeoutMs).emitWithAck(event, payload);
    } catch {
      throw new NimbusError("AgentUnavailable", `the compute agent did not acknowledge within ${ackTimeoutMs} ms`);
    }
    if (responses.length === 0) throw new NimbusError("AgentUnavailable", "the compute agent of this host is not connected");
    const parsed = commandAckSchema.safeParse(responses[0]);
    if (!parsed.success) return { ok: false, error: "the compute agent answered with a malformed acknowledgement" };
    return parsed.data;
  }
  return {
    spawn: (hostId, command) => send("instance.spawn", hostId, command as never),
    destroy: (hostId, command) => send("instance.destroy", hostId, command as never),
    async disconnect(hostname) {
      getNamespace().in(agentRoom(hostname)).disconnectSockets(true);
    },
  };
}
