/**
 * The one error type of the domain. Adapters (tRPC, socket.io acks) map `code` to their own
 * vocabulary; anything that is not a NimbusError leaves the process as "internal error".
 */
import type { z } from "zod";
import { isDatabaseUnreachable } from "./pg-errors";

export type ErrorCode =
  | "BadRequest"
  | "Unauthenticated"
  | "Forbidden"
  | "NotFound"
  | "Conflict"
  | "QuotaExceeded"
  | "NoValidHost"
  | "InvalidTransition"
  | "AgentUnavailable"
  | "TooManyRequests"
  | "Unavailable"
  | "Internal";

export interface FieldIssue {
  path: string;
  message: string;
  /** What kind of problem, where an adapter words it its own way (Neutron's overlapping subnets). */
  kind?: "overlap";
}

export class NimbusError extends Error {
  override readonly name = "NimbusError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Machine-readable details safe to show to the caller (never secrets). */
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static notFound(kind: string, id: string): NimbusError {
    return new NimbusError("NotFound", `${kind} ${id} could not be found.`, { kind, id });
  }
  static badRequest(message: string, fields?: FieldIssue[]): NimbusError {
    return new NimbusError("BadRequest", message, fields ? { fields } : undefined);
  }
  static forbidden(message = "You are not allowed to do that."): NimbusError {
    return new NimbusError("Forbidden", message);
  }
  static unauthenticated(message = "Please sign in."): NimbusError {
    return new NimbusError("Unauthenticated", message);
  }
  static conflict(message: string): NimbusError {
    return new NimbusError("Conflict", message);
  }
}

/**
 * A verb's input parsed by the verb's own schema, the one place it is checked: a call that does
 * not fit is a BadRequest whose cause is the ZodError, from which adapters name the fields.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new NimbusError("BadRequest", "Some fields are not valid.", undefined, { cause: parsed.error });
}

export function isNimbusError(error: unknown): error is NimbusError {
  return error instanceof NimbusError;
}

/** What a caller is told while the database cannot be reached (restarting, failing over). */
export const DATABASE_UNAVAILABLE_MESSAGE = "Nimbus cannot reach its database at the moment (it may be restarting). Try again in a moment.";

/**
 * The domain error a thrown value stands for: itself if it is one; Unavailable (retry after a
 * second) if the database could not be reached; null for anything else (a bug: "Internal error").
 */
export function domainErrorOf(error: unknown): NimbusError | null {
  if (isNimbusError(error)) return error;
  if (isDatabaseUnreachable(error)) return new NimbusError("Unavailable", DATABASE_UNAVAILABLE_MESSAGE, { retryAfterSeconds: 1 }, { cause: error });
  return null;
}

/** What may be shown outside the process for any thrown value. */
export function publicError(thrown: unknown): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
  const error = domainErrorOf(thrown);
  if (error) {
    return error.details ? { code: error.code, message: error.message, details: error.details } : { code: error.code, message: error.message };
  }
  return { code: "Internal", message: "Internal error." };
}
