import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { z } from "zod";
import { domainErrorOf } from "@nimbus/core/errors";
import { replyJson } from "./http-reply";

/**
 * The web process's plain HTTP routes (everything but socket.io, which takes its own requests
 * before these): one place that reads a request's target and headers, matches it to a route,
 * holds its body to the route's limit and deadline, and answers whatever the route throws.
 * A malformed URL is a 400, an unknown API path or a route parameter that cannot name anything
 * a 404, an oversized body a 413 before it is read, and an unexpected throw a 500 "Internal
 * error." that is logged: a request never takes the process down nor leaves its socket open.
 */

/** A refusal a route answers with, as `status` and its own error body (see RawRoute.errorBody). */
export class HttpRefusal extends Error {
  override readonly name = "HttpRefusal";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** The route's `:name` segments, decoded and checked (each is a UUID). */
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface RawRoute {
  /** `/api/images/:imageId/file`: literal segments, `:name` segments (UUIDs), and a final `*` for any rest. */
  path: string;
  methods: readonly string[];
  /**
   * The largest body the route takes, in bytes: a larger Content-Length is refused before the
   * body is read, and the body must arrive within the body deadline. Null: the route streams
   * its body and limits it itself (image uploads).
   */
  maxBodyBytes: number | null;
  /** The error body this route's clients read, e.g. `{ error: message }` for the agent. */
  errorBody(code: string, message: string): unknown;
  handle(request: RouteRequest): Promise<void> | void;
}

/** `{ error: { code, message } }`: what the console and scripts read from an API route. */
export const apiErrorBody = (code: string, message: string) => ({ error: { code, message } });

const uuid = z.uuid();
const MALFORMED = "The URL has a malformed percent-encoding.";

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpRefusal(400, "BadRequest", MALFORMED);
  }
}

/**
 * A request target (`/a/b%20c?x=1`) as its path's raw segments and its query. Every segment
 * and every part of the query must decode (URLSearchParams would keep a malformed escape as it
 * is, and Next.js answers one in a page's parameter with a 500).
 */
export function requestTarget(url: string): { segments: string[]; query: URLSearchParams } {
  if (!url.startsWith("/")) throw new HttpRefusal(400, "BadRequest", "The request target must be a path.");
  const q = url.indexOf("?");
  const query = q === -1 ? "" : url.slice(q + 1);
  const segments = (q === -1 ? url : url.slice(0, q)).slice(1).split("/");
  for (const part of [...segments, ...query.split(/[&=]/)]) decoded(part.replaceAll("+", " "));
  return { segments, query: new URLSearchParams(query) };
}

interface CompiledRoute {
  route: RawRoute;
  pattern: string[];
}

/** The route's parameters if `segments` (raw) take its path, else null; a parameter that is not a UUID names nothing: 404. */
function match({ pattern }: CompiledRoute, segments: string[]): Record<string, string> | null {
  const rest = pattern.at(-1) === "*";
  const fixed = rest ? pattern.slice(0, -1) : pattern;
  if (rest ? segments.length <= fixed.length : segments.length !== fixed.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of fixed.entries()) {
    if (part.startsWith(":")) params[part.slice(1)] = segments[i]!;
    else if (part !== segments[i]) return null;
  }
  for (const [name, raw] of Object.entries(params)) {
    const value = decoded(raw);
    if (!uuid.safeParse(value).success)
      throw new HttpRefusal(404, "NotFound", `No ${name.replace(/Id$/, "")} has the id ${JSON.stringify(value.slice(0, 64))}.`);
    params[name] = value;
  }
  return params;
}

/** Whether the request still has body bytes to come (a declared length, or chunked). */
function bodyPending(req: IncomingMessage): boolean {
  if (req.complete) return false;
  return req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
}

/** Answers `error` (a refusal, or anything else as 500), unless an answer is already under way: then the connection is cut. */
function answerFailure(req: IncomingMessage, res: ServerResponse, error: unknown, errorBody: RawRoute["errorBody"], log: Logger): void {
  const unreachable = error instanceof HttpRefusal ? null : domainErrorOf(error);
  const refusal =
    error instanceof HttpRefusal
      ? error
      : unreachable?.code === "Unavailable"
        ? new HttpRefusal(503, "Unavailable", unreachable.message, { "retry-after": "1" })
        : null;
  if (!refusal) log.error({ err: error, method: req.method, route: (req.url ?? "").split("?")[0]?.slice(0, 200) }, "HTTP route failed");
  if (res.headersSent || res.destroyed) return void res.destroy();
  const [status, code, message] = refusal ? [refusal.status, refusal.code, refusal.message] : [500, "Internal", "Internal error."];
  // A refusal sent before the body was read: the connection cannot carry another request.
  replyJson(res, status, errorBody(code, message), { ...refusal?.headers, ...(bodyPending(req) ? { connection: "close" } : {}) });
}

export interface RawRoutesOptions {
  routes: RawRoute[];
  /** Every path outside the routes' first segments (the console's pages); absent: 404. */
  pages?: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
  /** How long a bounded body (maxBodyBytes) may take to arrive. */
  bodyTimeoutMs: number;
  log: Logger;
}

/** The request listener of every plain HTTP route. */
export function rawRoutes({ routes, pages, bodyTimeoutMs, log }: RawRoutesOptions): RequestListener {
  const compiled: CompiledRoute[] = routes.map((route) => ({ route, pattern: route.path.slice(1).split("/") }));
  /** The first path segments the routes own (`api`, and each OpenStack service's prefix); the rest are pages. */
  const apiRoots = new Set(compiled.map(({ pattern }) => pattern[0]!));

  async function serve(req: IncomingMessage, res: ServerResponse, setErrorBody: (body: RawRoute["errorBody"]) => void): Promise<void> {
    const url = req.url ?? "/";
    const { segments, query } = requestTarget(url);
    if (!apiRoots.has(segments[0]!)) {
      if (pages) return await pages(req, res);
      throw new HttpRefusal(404, "NotFound", "This server answers the API only.");
    }
    for (const candidate of compiled) {
      const params = match(candidate, segments);
      if (!params) continue;
      const { route } = candidate;
      setErrorBody(route.errorBody);
      if (!route.methods.includes(req.method ?? "")) {
        throw new HttpRefusal(405, "MethodNotAllowed", `Use ${route.methods.join(" or ")} here.`, { allow: route.methods.join(", ") });
      }
      if (route.maxBodyBytes !== null) holdBody(req, res, route, bodyTimeoutMs);
      return await route.handle({ req, res, params, query });
    }
    throw new HttpRefusal(404, "NotFound", "No API route has this path.");
  }

  return (req, res) => {
    let errorBody: RawRoute["errorBody"] = apiErrorBody;
    // `serve` is async: whatever a route throws, at once or later, arrives here.
    serve(req, res, (body) => (errorBody = body)).catch((error: unknown) => {
      try {
        answerFailure(req, res, error, errorBody, log);
      } catch (failure) {
        log.error({ err: failure }, "answering a failed HTTP request failed; its connection is cut");
        res.destroy();
      }
    });
  };
}

/**
 * Holds a bounded route's body to its limit and deadline: a larger declared length is refused
 * at once (the route never reads it), and a body still arriving after the deadline (a client
 * that trickles it) is answered 408 and its connection closed.
 */
function holdBody(req: IncomingMessage, res: ServerResponse, route: RawRoute, timeoutMs: number): void {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > route.maxBodyBytes!) {
    throw new HttpRefusal(413, "TooLarge", `The request body is larger than the limit of ${route.maxBodyBytes} bytes.`);
  }
  if (!bodyPending(req)) return;
  const timer = setTimeout(() => {
    if (req.complete || res.headersSent) return;
    replyJson(res, 408, route.errorBody("Timeout", "The request body did not arrive in time."), { connection: "close" });
    res.once("finish", () => req.socket.destroy());
  }, timeoutMs);
  timer.unref();
  const done = () => clearTimeout(timer);
  req.once("end", done);
  res.once("close", done);
}

/**
 * A JSON body of at most `maxBytes`, counted as it arrives (a chunked body declares no
 * length): more is a 413, anything but JSON a 400.
 */
export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off("data", onData);
        req.off("end", onEnd);
        return reject(new HttpRefusal(413, "TooLarge", `The request body is larger than the limit of ${maxBytes} bytes.`));
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpRefusal(400, "BadRequest", "The body is not JSON."));
      }
    };
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", reject);
  });
}
