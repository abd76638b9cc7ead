import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { CoreContext, Credential, Services } from "@nimbus/core/context";
import { domainErrorOf, type ErrorCode } from "@nimbus/core/errors";
import type { Principal } from "@nimbus/core/policy";
import { resolveApiToken } from "@nimbus/core/identity";
import type { AdmissionGate } from "../admission";
import { HTTP_STATUS } from "../http-reply";
import { HttpRefusal, readJsonBody, type RawRoute } from "../http-routes";

/**
 * The OpenStack REST APIs (Keystone v3, Nova v2.1, Glance v2, Neutron v2.0, Cinder v3) as an
 * adapter beside tRPC: each route reads the wire shape the stock clients send, calls the same
 * core verb the console's procedure calls (so the same policy, quota and launch path), and
 * writes the wire shape the clients read. This file is the part every service shares: routing
 * inside a service's prefix, the token, the microversion, JSON bodies and the error bodies.
 */

/** What a route's handler gets. */
export interface OsCall {
  req: IncomingMessage;
  res: ServerResponse;
  /** The core context of the caller (principal null on the few routes that take no token). */
  ctx: CoreContext;
  /** The route's `:name` segments, decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body (routes with `body: "json"`), else undefined. */
  body: unknown;
  /** `scheme://host:port` of this server, as clients reach it (catalog and links). */
  baseUrl: string;
  /** The microversion asked for (services that have them), e.g. `{ major: 2, minor: 53 }`. */
  version: Microversion | null;
  /** The raw X-Auth-Token (Keystone's validate and revoke read it). */
  authToken: string | null;
  /** This process's admission of launches, which the console's launches also pass (see server/admission.ts). */
  launchAdmission: AdmissionGate;
}

export interface OsReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface OsRoute {
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Below the service's prefix, e.g. `/v2.1/servers/:serverId`; `:name` takes one segment. */
  path: string;
  /** Whether the route takes no token (version documents, Keystone's token issue). */
  anonymous?: boolean;
  /** `json` (default for POST/PUT/PATCH): read and parsed before the handler; `stream`: the handler reads `req`. */
  body?: "json" | "stream" | "none";
  /** A `stream` route answers itself and returns null. */
  handle(call: OsCall): Promise<OsReply | null> | OsReply | null;
}

export interface Microversion {
  major: number;
  minor: number;
}

export interface MicroversionRange {
  /** The name in `OpenStack-API-Version: <service> X.Y` (compute, volume). */
  service: string;
  min: Microversion;
  max: Microversion;
  /** A service's older header, e.g. `X-OpenStack-Nova-API-Version`. */
  legacyHeader?: string;
  /** Which path prefixes the microversion applies to (the version documents have none). */
  appliesTo: RegExp;
}

export interface OsService {
  /** The first path segment: `identity`, `compute`, `image`, `network`, `volume`. */
  prefix: string;
  routes: OsRoute[];
  /** The service's error body for a status and message. */
  errorBody(status: number, code: ErrorCode | "MethodNotAllowed" | "TooLarge" | "NotAcceptable", message: string): unknown;
  microversions?: MicroversionRange;
  /** Headers every answer of the service carries (request ids). */
  headers?(call: { requestId: string; version: Microversion | null }): Record<string, string>;
}

export const mv = (text: string): Microversion => {
  const [major, minor] = text.split(".").map(Number);
  return { major: major!, minor: minor! };
};
export const mvText = (v: Microversion) => `${v.major}.${v.minor}`;
const mvCompare = (a: Microversion, b: Microversion) => a.major - b.major || a.minor - b.minor;
/** Whether the call asked for at least `text` (e.g. `atLeast(call, "2.47")`). */
export const atLeast = (call: Pick<OsCall, "version">, text: string) => call.version !== null && mvCompare(call.version, mv(text)) >= 0;

/** Largest JSON body any OpenStack route takes (user data is 64 KiB, base64 a third more). */
const MAX_JSON_BYTES = 1024 * 1024;

/** A refusal in a service's words, with its status. */
export class OsRefusal extends Error {
  override readonly name = "OsRefusal";
  constructor(
    readonly status: number,
    readonly code: ErrorCode | "MethodNotAllowed" | "TooLarge" | "NotAcceptable",
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Ends a route that failed: 400 naming the field and what is wrong. */
export const badRequest = (message: string) => new OsRefusal(400, "BadRequest", message);
export const notFound = (message: string) => new OsRefusal(404, "NotFound", message);

interface Compiled {
  route: OsRoute;
  parts: string[];
}

function matchRoute(parts: string[], segments: string[]): Record<string, string> | null {
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i]!;
    if (part.startsWith(":")) {
      if (segment === "") return null;
      params[part.slice(1)] = decodeURIComponent(segment);
    } else if (part !== segment) return null;
  }
  return params;
}

/** The version a request asks for, checked against the service's range (406 outside it). */
function requestedVersion(req: IncomingMessage, range: MicroversionRange): Microversion {
  let asked: string | undefined;
  const header = req.headers["openstack-api-version"];
  if (typeof header === "string") {
    for (const entry of header.split(",")) {
      const [service, value] = entry.trim().split(/\s+/);
      if (service?.toLowerCase() === range.service) asked = value;
    }
  }
  const legacy = range.legacyHeader ? req.headers[range.legacyHeader.toLowerCase()] : undefined;
  if (asked === undefined && typeof legacy === "string") asked = legacy.trim();
  if (asked === undefined) return range.min;
  if (asked.toLowerCase() === "latest") return range.max;
  if (!/^\d+\.\d+$/.test(asked)) throw new OsRefusal(400, "BadRequest", `Invalid API version request: ${JSON.stringify(asked.slice(0, 32))}.`);
  const version = mv(asked);
  if (mvCompare(version, range.min) < 0 || mvCompare(version, range.max) > 0) {
    throw new OsRefusal(
      406,
      "NotAcceptable",
      `Version ${asked} is not supported by the API. Minimum is ${mvText(range.min)} and maximum is ${mvText(range.max)}.`,
    );
  }
  return version;
}

function replyOs(res: ServerResponse, reply: OsReply, headers: Record<string, string>): void {
  const all = { ...headers, ...reply.headers };
  if (reply.body === undefined || reply.status === 204) {
    res.writeHead(reply.status, { "content-length": "0", ...all }).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { "content-type": "application/json", ...all }).end(text);
}

export interface OsDeps {
  services: Services;
  /** The client's address (trusted proxies applied). */
  clientAddress(req: IncomingMessage): string | null;
  /** `scheme://host:port` as the client reached this server. */
  baseUrl(req: IncomingMessage): string;
  /** NIMBUS_IMAGE_MAX_BYTES: Glance's image_size_cap for uploads. */
  imageMaxBytes: number;
  log: Logger;
  launchAdmission: AdmissionGate;
}

/** The service's routes as raw HTTP routes: its root and everything below it. */
export function serviceRoutes(service: OsService, deps: OsDeps): RawRoute[] {
  const compiled: Compiled[] = service.routes.map((route) => ({ route, parts: route.path.slice(1).split("/") }));
  const errorBody = (code: string, message: string) => {
    const status = code in HTTP_STATUS ? HTTP_STATUS[code as ErrorCode] : code === "MethodNotAllowed" ? 405 : code === "TooLarge" ? 413 : 400;
    return service.errorBody(status, code as ErrorCode, message);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = `req-${randomUUID()}`;
    let version: Microversion | null = null;
    try {
      const url = new URL(req.url ?? "/", "http://x");
      // Below the prefix; a trailing slash names the same resource (clients add one to roots).
      const rest = url.pathname.slice(service.prefix.length + 1).replace(/\/+$/, "");
      const segments = rest === "" ? [""] : rest.slice(1).split("/");
      const pathOf = (parts: string[]) => (parts.length === 1 && parts[0] === "" ? "" : `/${parts.join("/")}`);
      let found: { route: OsRoute; params: Record<string, string> } | null = null;
      const allowed: string[] = [];
      for (const candidate of compiled) {
        const params = matchRoute(candidate.parts, segments);
        if (!params) continue;
        allowed.push(candidate.route.method);
        if (candidate.route.method === req.method || (req.method === "HEAD" && candidate.route.method === "GET" && !found)) {
          found ??= { route: candidate.route, params };
        }
      }
      if (!found) {
        if (allowed.length > 0) throw new OsRefusal(405, "MethodNotAllowed", `Use ${allowed.join(" or ")} here.`, { allow: allowed.join(", ") });
        throw new OsRefusal(404, "NotFound", `The resource could not be found: ${pathOf(segments).slice(0, 200) || "/"}.`);
      }
      const { route, params } = found;
      if (service.microversions?.appliesTo.test(rest)) version = requestedVersion(req, service.microversions);
      const authToken = typeof req.headers["x-auth-token"] === "string" ? req.headers["x-auth-token"] : null;
      let principal: Principal | null = null;
      let credential: Credential | null = null;
      if (!route.anonymous || authToken) {
        const standing = authToken ? await resolveApiToken(deps.services.db, authToken) : null;
        if (!standing) {
          if (route.anonymous) principal = null;
          else
            throw new OsRefusal(401, "Unauthenticated", "The request you have made requires authentication.", {
              "www-authenticate": `Keystone uri="${deps.baseUrl(req)}/identity"`,
            });
        }
        principal = standing?.principal ?? null;
        credential = standing?.credential ?? null;
      }
      const bodyKind = route.body ?? (["POST", "PUT", "PATCH"].includes(route.method) ? "json" : "none");
      let body: unknown;
      if (bodyKind === "json") {
        const declared = Number(req.headers["content-length"] ?? 0);
        if (declared > MAX_JSON_BYTES) throw new OsRefusal(413, "TooLarge", `The request body is larger than the limit of ${MAX_JSON_BYTES} bytes.`);
        const hasBody = declared > 0 || req.headers["transfer-encoding"] !== undefined;
        body = hasBody ? await readJsonBody(req, MAX_JSON_BYTES).catch(refusalAsOs) : undefined;
      }
      const ctx: CoreContext = { ...deps.services, principal, credential, requestId, remoteAddress: deps.clientAddress(req) };
      const reply = await route.handle({
        req,
        res,
        ctx,
        params,
        query: url.searchParams,
        body,
        baseUrl: deps.baseUrl(req),
        version,
        authToken,
        launchAdmission: deps.launchAdmission,
      });
      if (reply) replyOs(res, req.method === "HEAD" ? { ...reply, body: undefined } : reply, service.headers?.({ requestId, version }) ?? {});
    } catch (error) {
      const refusal = asRefusal(error);
      if (!refusal) {
        deps.log.error({ err: error, method: req.method, route: (req.url ?? "").split("?")[0]?.slice(0, 200) }, "OpenStack API call failed");
      }
      if (res.headersSent || res.destroyed) return void res.destroy();
      const [status, code, message, headers] = refusal
        ? [refusal.status, refusal.code, refusal.message, refusal.headers]
        : [500, "Internal" as const, "Internal error.", {}];
      const pending = !req.complete && (req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0);
      replyOs(
        res,
        { status, body: service.errorBody(status, code, message) },
        {
          ...(service.headers?.({ requestId, version }) ?? {}),
          ...headers,
          ...(pending ? { connection: "close" } : {}),
        },
      );
    }
  }

  const raw = (path: string): RawRoute => ({
    path,
    methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    // Each route reads its own body (JSON to MAX_JSON_BYTES; image data streamed to its own limit).
    maxBodyBytes: null,
    errorBody,
    handle: ({ req, res }) => handle(req, res),
  });
  return [raw(`/${service.prefix}`), raw(`/${service.prefix}/*`)];
}

function refusalAsOs(error: unknown): never {
  if (error instanceof HttpRefusal) throw new OsRefusal(error.status, error.status === 413 ? "TooLarge" : "BadRequest", error.message);
  throw error;
}

/** A domain error in a service's terms; anything else is not a refusal (500, logged). */
function asRefusal(error: unknown): OsRefusal | null {
  if (error instanceof OsRefusal) return error;
  if (error instanceof HttpRefusal)
    return new OsRefusal(error.status, error.status === 413 ? "TooLarge" : "BadRequest", error.message, error.headers);
  const domain = domainErrorOf(error);
  if (domain) {
    const details = domain.details as { retryAfterSeconds?: number } | undefined;
    const headers: Record<string, string> = details?.retryAfterSeconds ? { "retry-after": String(details.retryAfterSeconds) } : {};
    return new OsRefusal(HTTP_STATUS[domain.code], domain.code, fieldMessage(domain) ?? domain.message, headers);
  }
  return null;
}

/** A verb's input that did not parse, as one sentence naming each field (the clients show `message` only). */
function fieldMessage(error: Error & { cause?: unknown }): string | null {
  const cause = error.cause as { issues?: { path: PropertyKey[]; message: string }[] } | undefined;
  if (!cause?.issues) return null;
  return `Invalid input: ${cause.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ")}`;
}

/** Time as the OpenStack APIs write it: `2026-12-07T14:44:21Z` (Nova, Neutron) or with microseconds (Keystone). */
export const isoSeconds = (at: Date) => `${at.toISOString().slice(0, 19)}Z`;
export const isoMicros = (at: Date) => `${at.toISOString().slice(0, 23)}000Z`;

/** Principal as the handler needs it where the route is not anonymous. */
export function principalOf(call: OsCall): Principal {
  if (!call.ctx.principal) throw new OsRefusal(401, "Unauthenticated", "The request you have made requires authentication.");
  return call.ctx.principal;
}
