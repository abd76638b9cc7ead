/**
 * The SQLSTATE, constraint and DETAIL of a PostgreSQL error, whichever driver raised it
 * (postgres.js: `constraint_name`; PGlite: `constraint`) and however deeply drizzle wrapped it.
 */
export function pgErrorOf(error: unknown): { code: string | null; constraint: string | null; detail: string | null } {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const { code, constraint_name, constraint, detail } = e as { code?: unknown; constraint_name?: unknown; constraint?: unknown; detail?: unknown };
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
      const name = typeof constraint_name === "string" ? constraint_name : typeof constraint === "string" ? constraint : null;
      return { code, constraint: name, detail: typeof detail === "string" ? detail : null };
    }
  }
  return { code: null, constraint: null, detail: null };
}

export const FOREIGN_KEY_VIOLATION = "23503";
export const UNIQUE_VIOLATION = "23505";
export const DEADLOCK_DETECTED = "40P01";

/** Node's and postgres.js's codes for a connection that could not be made or was lost. */
const CONNECTION_FAILURES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/**
 * Whether `error` says the database could not be reached rather than refused the statement: a
 * connection refused or lost, SQLSTATE class 08 (connection exception), or the server shutting
 * down or starting (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now), as
 * when PostgreSQL restarts or an operator terminates the connections. Such a call may be tried
 * again in a moment; it is not the caller's fault and not a bug.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const { code, errors } = e as { code?: unknown; errors?: unknown };
    if (typeof code === "string" && (CONNECTION_FAILURES.has(code) || code.startsWith("08") || /^57P0[123]$/.test(code))) return true;
    // An AggregateError from a connect that tried several addresses.
    if (Array.isArray(errors) && errors.some(isDatabaseUnreachable)) return true;
  }
  return false;
}
