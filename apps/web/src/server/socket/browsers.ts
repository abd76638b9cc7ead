import type { IncomingMessage } from "node:http";
import type { Namespace, Server } from "socket.io";
import type { Logger } from "pino";
import type { Principal, Publisher } from "@nimbus/core/context";
import { rooms, type BrowserToServerEvents, type ServerToBrowserEvents } from "@nimbus/core/protocol";

type BrowserNamespace = Namespace<BrowserToServerEvents, ServerToBrowserEvents, Record<string, never>, { principal: Principal }>;

/**
 * The browser namespace: the session cookie is checked at connection, and the socket joins
 * only the room of the project it is scoped to (plus the admins' room for cloud admins), so
 * a browser never receives another project's events.
 */
export function attachBrowserNamespace(
  io: Server,
  { resolvePrincipal, log }: { resolvePrincipal(req: IncomingMessage): Promise<{ principal: Principal | null }>; log: Logger },
): BrowserNamespace {
  const nsp = io.of("/") as unknown as BrowserNamespace;
  nsp.use((socket, next) => {
    resolvePrincipal(socket.request)
      .then(({ principal }) => {
        if (!principal) return next(new Error("unauthenticated"));
        socket.data.principal = principal;
        next();
      })
      .catch((error: unknown) => {
        log.error({ err: error }, "browser socket auth failed");
        next(new Error("internal error"));
      });
  });
  nsp.on("connection", (socket) => {
    const { principal } = socket.data;
    void socket.join(rooms.project(principal.projectId));
    if (principal.isAdmin) void socket.join(rooms.admins);
  });
  return nsp;
}

/** Announces committed changes to the rooms allowed to see them. */
export function socketPublisher(getNamespace: () => BrowserNamespace): Publisher {
  return {
    instanceChanged(change) {
      getNamespace().to([rooms.project(change.projectId), rooms.admins]).emit("instance.changed", change);
    },
    instanceEvent(projectId, event) {
      getNamespace().to(rooms.project(projectId)).emit("instance.event", event);
    },
    hostChanged(change) {
      getNamespace().to(rooms.admins).emit("host.changed", change);
    },
  };
}
