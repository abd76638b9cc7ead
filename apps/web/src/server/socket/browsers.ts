import type { IncomingMessage } from "node:http";
import type { Namespace, Server, Socket } from "socket.io";
import type { Logger } from "pino";
import type { Publisher } from "@nimbus/core/context";
import type { Authenticated, Credential } from "@nimbus/core/identity";
import { isNimbusError } from "@nimbus/core/errors";
import { authorize, type Principal } from "@nimbus/core/policy";
import { rooms, type BrowserToServerEvents, type ServerToBrowserEvents } from "@nimbus/core/protocol/browser";

interface BrowserSocketData {
  principal: Principal;
  credential: Credential;
  /** When the credential lapses unless used (as read at the last check). */
  validUntil: Date;
}
type BrowserNamespace = Namespace<BrowserToServerEvents, ServerToBrowserEvents, Record<string, never>, BrowserSocketData>;
type BrowserSocket = Socket<BrowserToServerEvents, ServerToBrowserEvents, Record<string, never>, BrowserSocketData>;

export interface BrowserNamespaceDeps {
  /** The session cookie, or an API token in a header or the handshake's `auth.token`. */
  authenticate(req: IncomingMessage, handshakeToken?: unknown): Promise<Authenticated | null>;
  /** The credential's standing now, read without touching it (see core's `checkCredential`). */
  checkCredential(credential: Credential): Promise<Authenticated | null>;
  /** Each socket's credential is read again at least this often (NIMBUS_SOCKET_RECHECK_SECONDS). */
  recheckIntervalMs: number;
  log: Logger;
}

/** A re-check due at a credential's lapse runs this long after it, so the lapse has surely passed. */
const LAPSE_MARGIN_MS = 25;

/** The room of the credential a socket was opened with: its end drops the socket. */
function credentialRoom(credential: Credential): string {
  return credential.kind === "session" ? rooms.session(credential.tokenHash) : rooms.apiToken(credential.id);
}

/** The rooms a socket of this caller belongs in: its project's (and the admins' for a cloud admin), its user's and its credential's. */
function roomsOf({ principal, credential }: Authenticated): string[] {
  const joined = [rooms.project(principal.projectId), rooms.user(principal.userId), credentialRoom(credential)];
  if (principal.isAdmin) joined.push(rooms.admins);
  return joined;
}

/**
 * The browser namespace: the session cookie (or, for scripts, an API token) is checked at
 * connection, and the socket joins only the room of the project it is scoped to (plus the
 * admins' room for cloud admins), so it never receives another project's events.
 *
 * A socket lives no longer than its credential. Per-user and per-credential rooms let a
 * sign-out, a token's revocation, a password change, a disable or a role removal drop it at
 * once on whichever web process holds it (the Publisher below, through the adapter); and each
 * socket reads its credential again from the database (the one source of truth) when it lapses
 * (a session's idle or absolute end, a token's expiry) and at least every `recheckIntervalMs`,
 * a backstop that also moves it to the rooms its principal has now.
 */
export function attachBrowserNamespace(io: Server, deps: BrowserNamespaceDeps): BrowserNamespace {
  const { authenticate, log } = deps;
  const nsp = io.of("/") as unknown as BrowserNamespace;
  nsp.use((socket, next) => {
    const auth: unknown = socket.handshake.auth;
    const handshakeToken = typeof auth === "object" && auth !== null && "token" in auth ? auth.token : undefined;
    authenticate(socket.request, handshakeToken)
      .then((authenticated) => {
        if (!authenticated) return next(new Error("unauthenticated"));
        // The namespace's entry in the policy table, as every procedure consults its own.
        authorize(authenticated.principal, "socket:/");
        socket.data.principal = authenticated.principal;
        socket.data.credential = authenticated.credential;
        socket.data.validUntil = authenticated.validUntil;
        void socket.join(roomsOf(authenticated));
        next();
      })
      .catch((error: unknown) => {
        if (isNimbusError(error)) return next(new Error(error.code === "Unauthenticated" ? "unauthenticated" : "forbidden"));
        log.error({ err: error }, "browser socket auth failed");
        next(new Error("internal error"));
      });
  });
  nsp.on("connection", (socket) => watchCredential(socket, deps));
  return nsp;
}

/** Re-reads the socket's credential when it lapses and at least every interval; drops the socket when it no longer stands. */
function watchCredential(socket: BrowserSocket, { checkCredential, recheckIntervalMs, log }: BrowserNamespaceDeps): void {
  let timer: NodeJS.Timeout | undefined;
  const schedule = (lapse: Date) => {
    const wait = Math.min(Math.max(lapse.getTime() - Date.now(), 0) + LAPSE_MARGIN_MS, recheckIntervalMs);
    timer = setTimeout(recheck, wait);
    timer.unref();
  };
  const recheck = () => {
    checkCredential(socket.data.credential).then(
      (standing) => {
        if (socket.disconnected) return;
        if (!standing) {
          socket.disconnect(true);
          return;
        }
        moveToRooms(socket, roomsOf(standing));
        socket.data.principal = standing.principal;
        socket.data.validUntil = standing.validUntil;
        schedule(standing.validUntil);
      },
      (error: unknown) => {
        log.error({ err: error }, "browser socket credential re-check failed; trying again at the next interval");
        if (socket.connected) schedule(new Date(Date.now() + recheckIntervalMs));
      },
    );
  };
  socket.on("disconnect", () => clearTimeout(timer));
  schedule(socket.data.validUntil);
}

/** The principal changed (another project, a role lost or gained): the socket follows it to the rooms it may hear. */
function moveToRooms(socket: BrowserSocket, wanted: string[]): void {
  const keep = new Set([socket.id, ...wanted]);
  for (const room of socket.rooms) if (!keep.has(room)) void socket.leave(room);
  const missing = wanted.filter((room) => !socket.rooms.has(room));
  if (missing.length > 0) void socket.join(missing);
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
    networkChanged(change) {
      getNamespace().to(rooms.project(change.projectId)).emit("network.changed", change);
    },
    instanceConsole(chunk) {
      getNamespace().to(rooms.project(chunk.projectId)).emit("instance.console", chunk);
    },
    instanceDownload(progress) {
      getNamespace().to(rooms.project(progress.projectId)).emit("instance.download", progress);
    },
    userCutOff(userId, keepSessionTokenHash) {
      const sockets = getNamespace().in(rooms.user(userId));
      (keepSessionTokenHash ? sockets.except(rooms.session(keepSessionTokenHash)) : sockets).disconnectSockets(true);
    },
    sessionEnded(tokenHash) {
      getNamespace().in(rooms.session(tokenHash)).disconnectSockets(true);
    },
    apiTokenRevoked(tokenId) {
      getNamespace().in(rooms.apiToken(tokenId)).disconnectSockets(true);
    },
  };
}
