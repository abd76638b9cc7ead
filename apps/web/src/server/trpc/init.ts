import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import superjson from "superjson";
import { z } from "zod";
import type { CoreContext, Credential, Services } from "@nimbus/core/context";
import { domainErrorOf, isNimbusError, type ErrorCode, type NimbusError } from "@nimbus/core/errors";
import { authorize, type PolicyTarget, type Principal } from "@nimbus/core/policy";
import type { AdmissionGate } from "../admission";

export interface TrpcContext extends CoreContext {
  /** The raw session token from the cookie, if any (sign-out revokes it). */
  sessionToken: string | null;
  userAgent: string | null;
  setSessionCookie(token: string | null, expiresAt?: Date): void;
  /** This process's admission of launches (see server/admission.ts). */
  launchAdmission: AdmissionGate;
}

export interface ContextDeps {
  services: Services;
  resolvePrincipal(req: IncomingMessage): Promise<{ principal: Principal | null; token: string | null; credential?: Credential | null }>;
  /** The client's address: the peer's, or what a trusted proxy says it is (see server/client-address.ts). */
  clientAddress(req: IncomingMessage): string | null;
  sessionCookie(token: string | null, expiresAt?: Date): string;
  launchAdmission: AdmissionGate;
}

export async function createContext(deps: ContextDeps, { req, res }: { req: IncomingMessage; res: ServerResponse }): Promise<TrpcContext> {
  // The session is read from the database: out of reach, the call is a 503 to retry, not a 500.
  const { principal, token, credential } = await deps.resolvePrincipal(req).catch((error: unknown) => {
    const domain = domainErrorOf(error);
    throw domain ? toTrpcError(domain) : error;
  });
  return {
    ...deps.services,
    principal,
    credential: credential ?? null,
    requestId: `req-${randomUUID()}`,
    remoteAddress: deps.clientAddress(req),
    sessionToken: token,
    userAgent: req.headers["user-agent"] ?? null,
    launchAdmission: deps.launchAdmission,
    setSessionCookie(next, expiresAt) {
      res.appendHeader("Set-Cookie", deps.sessionCookie(next, expiresAt));
    },
  };
}

const TRPC_CODE: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  BadRequest: "BAD_REQUEST",
  Unauthenticated: "UNAUTHORIZED",
  Forbidden: "FORBIDDEN",
  NotFound: "NOT_FOUND",
  Conflict: "CONFLICT",
  QuotaExceeded: "FORBIDDEN",
  NoValidHost: "CONFLICT",
  InvalidTransition: "CONFLICT",
  AgentUnavailable: "SERVICE_UNAVAILABLE",
  TooManyRequests: "TOO_MANY_REQUESTS",
  Unavailable: "SERVICE_UNAVAILABLE",
  Internal: "INTERNAL_SERVER_ERROR",
};

function toTrpcError(error: NimbusError): TRPCError {
  return new TRPCError({ code: TRPC_CODE[error.code], message: error.message, cause: error });
}

const t = initTRPC
  .context<TrpcContext>()
  .meta<{ policy: PolicyTarget }>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      const nimbus = isNimbusError(cause) ? { code: cause.code, details: cause.details ?? null } : null;
      // A verb's input that did not parse (core's parseInput) names its fields from the ZodError.
      const invalid = isNimbusError(cause) && cause.cause instanceof z.ZodError ? cause.cause : null;
      const zodError = invalid ? z.flattenError(invalid) : null;
      const internal = error.code === "INTERNAL_SERVER_ERROR" && !nimbus;
      return {
        ...shape,
        message: internal ? "Internal error." : zodError ? "Some fields are not valid." : shape.message,
        data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, nimbus, fieldErrors: zodError?.fieldErrors ?? null },
      };
    },
  });

/** The single adapter from domain errors to tRPC errors. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  // A domain error, or the database out of reach (503, try again) rather than "Internal error".
  const domain = domainErrorOf(result.error.cause);
  if (domain) throw toTrpcError(domain);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** A procedure guarded by its entry in the policy table. */
export function procedure(target: PolicyTarget) {
  return t.procedure
    .meta({ policy: target })
    .use(mapErrors)
    .use(({ ctx, next }) => {
      try {
        authorize(ctx.principal, target);
      } catch (error) {
        if (isNimbusError(error)) throw toTrpcError(error);
        throw error;
      }
      return next();
    });
}

/** The input "parser" of a procedure: it passes the input through and carries the verb's schema. */
export type VerbInput<S extends z.ZodType> = ((input: unknown) => z.input<S>) & { readonly schema: S };

/**
 * A procedure's input as its verb takes it. The verb parses it with this same schema, once
 * (core's `parseInput`, which every verb calls first), so the router checks nothing itself:
 * the schema gives the client its input type, and stays on the function so that tests can
 * walk every procedure's fields (test/security-input.test.ts).
 */
export function verbInput<S extends z.ZodType>(schema: S): VerbInput<S> {
  return Object.assign((input: unknown) => input as z.input<S>, { schema });
}

/**
 * Runs the procedure once the process admits another launch (after authorization, so a refused
 * call never waits); a caller that goes away while waiting never starts. Input that the verb
 * will refuse (it does not parse by `schema`) is not made to wait either: it goes straight on to
 * its refusal. The gate's refusals are NimbusErrors, mapped like every other by `mapErrors`,
 * which each `procedure` runs outside whatever it adds.
 */
export function launchAdmitted(schema: z.ZodType) {
  return t.middleware(async ({ ctx, next, signal, getRawInput }) => {
    if (!schema.safeParse(await getRawInput()).success) return next();
    try {
      return await ctx.launchAdmission.run(() => next(), signal);
    } catch (error) {
      if (signal?.aborted) throw new TRPCError({ code: "CLIENT_CLOSED_REQUEST", message: "The call was abandoned before it started.", cause: error });
      throw error;
    }
  });
}

/**
 * A Retry-After header for an answer whose error says when to try again (a full launch queue,
 * a server shutting down), so scripts back off as HTTP tells them to.
 */
export function retryAfter(errors: readonly TRPCError[]): { headers: Record<string, string> } | undefined {
  const seconds = errors
    .map((error) => (isNimbusError(error.cause) ? error.cause.details?.retryAfterSeconds : undefined))
    .find((s) => typeof s === "number");
  return typeof seconds === "number" ? { headers: { "retry-after": String(Math.ceil(seconds)) } } : undefined;
}
