import type { Server as HttpServer } from "node:http";
import type { Namespace, Server } from "socket.io";
import type { Publisher } from "@nimbus/core/context";
import { ConsoleProxy, consoleCutOffSchema, type ConsoleCutOff, type ConsoleProxyDeps } from "./proxy";

export { ConsoleProxy, type ConsoleCutOff } from "./proxy";

/** The cluster message (socket.io's server-side emit through the Postgres adapter) that carries a cut-off to the other web processes. */
const CUT_OFF_EVENT = "remote-console.cut-off";
type ClusterEvents = { [CUT_OFF_EVENT]: (cut: unknown) => void };

/**
 * The console proxy on this web process's HTTP server, and the one way to cut consoles off: on
 * this process, and through socket.io's cluster adapter on every other one (`clustered`: several
 * web processes share the database), as the browser sockets are dropped everywhere.
 */
export function attachConsoleProxy(
  { http, io, clustered }: { http: HttpServer; io: Server; clustered: boolean },
  deps: ConsoleProxyDeps,
): { proxy: ConsoleProxy; cutOff(cut: ConsoleCutOff): void } {
  const proxy = new ConsoleProxy(deps);
  http.on("upgrade", (req, socket, head: Buffer) => {
    try {
      proxy.handleUpgrade(req, socket, head);
    } catch (error) {
      deps.log.error({ err: error }, "console WebSocket handshake failed");
      socket.destroy();
    }
  });
  const cluster = io.of("/") as unknown as Namespace<Record<string, never>, Record<string, never>, ClusterEvents>;
  cluster.on(CUT_OFF_EVENT, (cut: unknown) => {
    const parsed = consoleCutOffSchema.safeParse(cut);
    if (parsed.success) proxy.cutOff(parsed.data);
    else deps.log.warn("malformed console cut-off from another web process ignored");
  });
  return {
    proxy,
    cutOff(cut) {
      proxy.cutOff(cut);
      if (clustered) cluster.serverSideEmit(CUT_OFF_EVENT, cut);
    },
  };
}

/**
 * The Publisher that also ends the consoles of a credential that ended, as it drops that
 * credential's browser sockets: a user cut off, a session ended, an API token revoked.
 */
export function withConsoleCutOffs(publisher: Publisher, cutOff: (cut: ConsoleCutOff) => void): Publisher {
  return {
    ...publisher,
    userCutOff(userId, keepSessionTokenHash) {
      publisher.userCutOff?.(userId, keepSessionTokenHash);
      cutOff(keepSessionTokenHash === undefined ? { kind: "user", userId } : { kind: "user", userId, keepSessionTokenHash });
    },
    sessionEnded(tokenHash) {
      publisher.sessionEnded?.(tokenHash);
      cutOff({ kind: "session", tokenHash });
    },
    apiTokenRevoked(tokenId) {
      publisher.apiTokenRevoked?.(tokenId);
      cutOff({ kind: "api_token", id: tokenId });
    },
  };
}
