import type { IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { z } from "zod";
import type { Services } from "@nimbus/core/context";
import { consoleStanding, redeemConsoleToken, type ConsoleTarget } from "@nimbus/core/compute";
import { REMOTE_CONSOLE_CLOSE, REMOTE_CONSOLE_WEBSOCKET_PATH } from "@nimbus/core/protocol/http";
import { HttpRefusal, requestTarget } from "../http-routes";
import { refuseCrossOrigin, type SiteOrigin } from "../request-guards";
import { closeReason, pumpBytes, type Pump, type PumpEnd } from "./pump";

/** The largest message a browser may send: RFB's client messages are a few bytes (a clipboard paste, at most this). */
const MAX_BROWSER_MESSAGE_BYTES = 256 * 1024;
/** How long the guest's display may take to accept the proxy's connection. */
const DISPLAY_CONNECT_TIMEOUT_MS = 10_000;
/**
 * The browser is pinged this often (a reverse proxy's idle timeout is commonly 60 s); one that
 * has not answered the previous ping by the next is gone, and its console is closed.
 */
const KEEP_ALIVE_MS = 25_000;
/** A re-check due at a credential's lapse runs this long after it, so the lapse has surely passed. */
const LAPSE_MARGIN_MS = 25;

/**
 * Whose consoles to end, as the Publisher is told (core's identity verbs): a user's (disabled,
 * password changed, a role removed: each console's standing is read again, and those that no
 * longer stand close), one session's (signed out) or one API token's (revoked).
 */
export const consoleCutOffSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("user"), userId: z.uuid(), keepSessionTokenHash: z.string().max(128).optional() }),
  z.object({ kind: z.literal("session"), tokenHash: z.string().max(128) }),
  z.object({ kind: z.literal("api_token"), id: z.uuid() }),
]);
export type ConsoleCutOff = z.infer<typeof consoleCutOffSchema>;

export interface ConsoleProxyDeps {
  services: Pick<Services, "db" | "identity">;
  /** Whose Origin is this site's: a console opens from the console's own pages only. */
  site: SiteOrigin;
  /** Each console's credential is read again at least this often (NIMBUS_SOCKET_RECHECK_SECONDS). */
  recheckIntervalMs: number;
  log: Logger;
}

/** One open console: whose, which display, the bytes carried, and when its standing is read again. */
interface LiveConsole {
  target: ConsoleTarget;
  pump: Pump;
  openedAt: number;
  recheck: NodeJS.Timeout | undefined;
  /** Pings the browser: a still screen sends nothing, and proxies in between drop idle connections. */
  keepAlive: NodeJS.Timeout;
}

/**
 * The console proxy (nova-novncproxy): a WebSocket at REMOTE_CONSOLE_WEBSOCKET_PATH whose
 * `?token=` is exchanged once (core's `redeemConsoleToken`) for the address of the guest's VNC
 * display, which it then connects to and carries bytes to and from. Like the browser sockets, a
 * console lives no longer than the credential that asked for it: the identity verbs' cut-offs
 * (sign-out, revocation, a password change, a disable, a role removed) end it at once on every
 * web process (`cutOff`, fanned out by the caller), and its standing is read again when the
 * credential would lapse and at least every `recheckIntervalMs`. Every refusal reaches the
 * browser as a close code (REMOTE_CONSOLE_CLOSE) with a reason in plain words.
 */
export class ConsoleProxy {
  private readonly live = new Set<LiveConsole>();
  private readonly wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: MAX_BROWSER_MESSAGE_BYTES,
  });
  private closing = false;

  constructor(private readonly deps: ConsoleProxyDeps) {}

  /** Consoles open on this process now. */
  get open(): number {
    return this.live.size;
  }

  /**
   * The HTTP server's `upgrade` listener: takes a request for the console's WebSocket and
   * returns true; leaves any other (socket.io's) alone and returns false.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    let query: URLSearchParams;
    try {
      const target = requestTarget(req.url ?? "/");
      if (`/${target.segments.join("/")}` !== REMOTE_CONSOLE_WEBSOCKET_PATH) return false;
      query = target.query;
    } catch (error) {
      if (!(error instanceof HttpRefusal)) throw error;
      // A malformed URL is nobody's console: refused here rather than left hanging.
      if (!(req.url ?? "").split("?")[0]?.startsWith(REMOTE_CONSOLE_WEBSOCKET_PATH)) return false;
      refuseHandshake(socket, 400, error.message);
      return true;
    }
    if (this.closing) {
      refuseHandshake(socket, 503, "The server is shutting down.");
      return true;
    }
    // A page of another origin must not open a console with a token it got hold of.
    const refusal = refuseCrossOrigin(req, this.deps.site);
    if (refusal) {
      refuseHandshake(socket, 403, refusal.error);
      return true;
    }
    const token = query.get("token") ?? "";
    redeemConsoleToken(this.deps.services, token).then(
      (redeemed) => {
        if (socket.destroyed) return;
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          if (!redeemed.ok) return ws.close(REMOTE_CONSOLE_CLOSE.tokenRefused, closeReason(redeemed.reason));
          this.connectDisplay(ws, redeemed.target, redeemed.validUntil);
        });
      },
      (error: unknown) => {
        this.deps.log.error({ err: error }, "console token exchange failed");
        refuseHandshake(socket, 500, "Internal error.");
      },
    );
    return true;
  }

  /**
   * Ends the consoles a cut-off names on this process (the caller tells the other processes):
   * a session's or an API token's at once; a user's once their standing, read again, fails.
   */
  cutOff(cut: ConsoleCutOff): void {
    for (const entry of this.live) {
      const { credential, userId } = entry.target;
      if (cut.kind === "session" && credential.kind === "session" && credential.tokenHash === cut.tokenHash) {
        this.end(entry, REMOTE_CONSOLE_CLOSE.cutOff, "You signed out, and the console closed with your session.");
      } else if (cut.kind === "api_token" && credential.kind === "api_token" && credential.id === cut.id) {
        this.end(entry, REMOTE_CONSOLE_CLOSE.cutOff, "The API token this console was opened with was revoked.");
      } else if (cut.kind === "user" && userId === cut.userId) {
        const kept = credential.kind === "session" && credential.tokenHash === cut.keepSessionTokenHash;
        if (!kept) this.recheckNow(entry);
      }
    }
  }

  /** Closes every console (the server is shutting down) and refuses new ones. */
  close(): void {
    this.closing = true;
    for (const entry of this.live) this.end(entry, 1001, "The console server is shutting down: open the console again.");
  }

  /** Connects the exchanged token's display to the browser's WebSocket. */
  private connectDisplay(ws: WebSocket, target: ConsoleTarget, validUntil: Date): void {
    const { log } = this.deps;
    const display: Socket = connect({ host: target.host, port: target.port });
    display.setNoDelay(true);
    display.setTimeout(DISPLAY_CONNECT_TIMEOUT_MS, () => display.destroy(new Error(`no answer within ${DISPLAY_CONNECT_TIMEOUT_MS} ms`)));
    display.once("connect", () => display.setTimeout(0));
    let answered = true;
    ws.on("pong", () => (answered = true));
    const keepAlive = setInterval(() => {
      if (!answered) return ws.terminate();
      answered = false;
      ws.ping();
    }, KEEP_ALIVE_MS);
    keepAlive.unref();
    const entry: LiveConsole = {
      target,
      openedAt: Date.now(),
      recheck: undefined,
      keepAlive,
      pump: pumpBytes(ws, display, (end) => this.ended(entry, end)),
    };
    this.live.add(entry);
    this.schedule(entry, validUntil);
    log.info({ instanceId: target.instanceId, userId: target.userId, host: target.host, port: target.port }, "console opened");
  }

  private ended(entry: LiveConsole, end: PumpEnd): void {
    this.live.delete(entry);
    clearTimeout(entry.recheck);
    clearInterval(entry.keepAlive);
    const { instanceId, userId, host, port } = entry.target;
    const fields = { instanceId, userId, seconds: Math.round((Date.now() - entry.openedAt) / 1000), ...entry.pump.bytes };
    if (end.by === "display" && end.error)
      this.deps.log.warn({ ...fields, host, port, reason: end.error.message }, "console: the guest's display could not be reached");
    else this.deps.log.info({ ...fields, by: end.by, ...(end.by === "proxy" ? { code: end.code } : {}) }, "console closed");
  }

  private end(entry: LiveConsole, code: number, reason: string): void {
    entry.pump.close(code, reason);
  }

  /** The next standing check: at the credential's lapse, and at least every recheck interval. */
  private schedule(entry: LiveConsole, lapse: Date): void {
    clearTimeout(entry.recheck);
    const wait = Math.min(Math.max(lapse.getTime() - Date.now(), 0) + LAPSE_MARGIN_MS, this.deps.recheckIntervalMs);
    entry.recheck = setTimeout(() => this.recheckNow(entry), wait);
    entry.recheck.unref();
  }

  /** Reads the console's standing again; closes it when it no longer stands. */
  private recheckNow(entry: LiveConsole): void {
    clearTimeout(entry.recheck);
    consoleStanding(this.deps.services, entry.target).then(
      (standing) => {
        if (!this.live.has(entry)) return;
        if (!standing.ok) return this.end(entry, REMOTE_CONSOLE_CLOSE.cutOff, standing.reason);
        this.schedule(entry, standing.validUntil);
      },
      (error: unknown) => {
        this.deps.log.error({ err: error }, "console standing re-check failed; trying again at the next interval");
        if (this.live.has(entry)) this.schedule(entry, new Date(Date.now() + this.deps.recheckIntervalMs));
      },
    );
  }
}

/** Answers a WebSocket handshake with a plain HTTP refusal and closes the connection. */
function refuseHandshake(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code: status === 403 ? "Forbidden" : status === 400 ? "BadRequest" : "Unavailable", message } });
  socket.end(
    `HTTP/1.1 ${status} ${status === 403 ? "Forbidden" : status === 400 ? "Bad Request" : status === 503 ? "Service Unavailable" : "Internal Server Error"}\r\n` +
      `Connection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
