import type { IncomingMessage } from "node:http";
import type { Namespace, Server } from "socket.io";
import type { Logger } from "pino";
import type { Publisher } from "@nimbus/core/context";
import type { Principal } from "@nimbus/core/policy";
import { hashToken } from "@nimbus/core/identity";
import { rooms, type BrowserToServerEvents, type ServerToBrowserEvents } from "@nimbus/core/protocol/browser";

type BrowserNamespace = Namespace<BrowserToServerEvents, ServerToBrowserEvents, Record<string, never>, { principal: Principal }>;

type ResolvePrincipal = (req: IncomingMessage, handshakeToken?: unknown) => Promise<{ principal: Principal | null; token: string | null }>;

/**
 * The browser namespace: the session cookie (or, for scripts, an API token in the handshake's
 * `auth.token`) is checked at connection, and the socket joins only the room of the project it
 * is scoped to (plus the admins' room for cloud admins), so it never receives another
 * project's events. Per-user and per-session rooms let a disable or sign-out drop it at once.
 */
export function attachBrowserNamespace(io: Server, { resolvePrincipal, log }: { resolvePrincipal: ResolvePrincipal; log: Logger }): BrowserNamespace {
  const nsp = io.of("/") as unknown as BrowserNamespace;
  nsp.use((socket, next) => {
    const auth: unknown = socket.handshake.auth;
    const handshakeToken = typeof auth === "object" && auth !== null && "token" in auth ? auth.token : undefined;
    resolvePrincipal(socket.request, handshakeToken)
      .then(({ principal, token }) => {
        if (!principal) return next(new Error("unauthenticated"));
        socket.data.principal = principal;
        const joined = [rooms.project(principal.projectId), rooms.user(principal.userId)];
        if (token) joined.push(rooms.session(hashToken(token)));
        if (principal.isAdmin) joined.push(rooms.admins);
        void socket.join(joined);
        next();
      })
      .catch((error: unknown) => {
        log.error({ err: error }, "browser socket auth failed");
        next(new Error("internal error"));
      });
  });
  return nsp;
}

/** Announces committed changes to the rooms allowed to see them. */
export function socketPublisher(getNamespace: () => BrowserNamespace): Publisher {
  return {
    instanceUpdates(projectId, updates) {
      const nsp = getNamespace();
      nsp.to(rooms.project(projectId)).emit("instance.updates", updates);
      // Cloud admins see every project's instances change (the admin lists), not its events.
      if (updates.changes.length > 0)
        nsp.to(rooms.admins).except(rooms.project(projectId)).emit("instance.updates", { events: [], changes: updates.changes });
    },
    hostChanged(change) {
      getNamespace().to(rooms.admins).emit("host.changed", change);
    },
    instanceConsole(chunk) {
      getNamespace().to(rooms.project(chunk.projectId)).emit("instance.console", chunk);
    },
    instanceDownload(progress) {
      getNamespace().to(rooms.project(progress.projectId)).emit("instance.download", progress);
    },
    userCutOff(userId) {
      getNamespace().in(rooms.user(userId)).disconnectSockets(true);
    },
    sessionEnded(tokenHash) {
      getNamespace().in(rooms.session(tokenHash)).disconnectSockets(true);
    },
  };
}
