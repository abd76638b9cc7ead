import type { ServerResponse } from "node:http";
import type { ErrorCode } from "@nimbus/core/errors";

/** The HTTP status of each domain error code on the plain HTTP routes (tRPC maps its own in trpc/init.ts). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  BadRequest: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  InvalidTransition: 409,
  QuotaExceeded: 403,
  NoValidHost: 409,
  AgentUnavailable: 503,
  TooManyRequests: 429,
  Unavailable: 503,
  Internal: 500,
};

/** A JSON answer no cache keeps. */
export function replyJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers }).end(JSON.stringify(body));
}
