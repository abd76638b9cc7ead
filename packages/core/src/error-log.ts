/**
 * What a logged error may say (pino's `err` serializer in the web process and the agent): its
 * type, message and stack, and down its `cause` chain the same. A failed query says which query
 * (its first words) and PostgreSQL's SQLSTATE, never its parameters: those carry user content
 * (a launch's user data and metadata, names, tokens' hashes). drizzle's DrizzleQueryError puts
 * the parameters in its message and stack as well as in `params`; PostgreSQL's own messages and
 * DETAIL quote the values they refused ("invalid input syntax for type integer: "…"",
 * "Key (name)=(…) already exists."), so neither is logged either. Pure: no I/O, no env.
 */

/** Properties that hold a query's text, its values or the rows they touched: never logged. */
const NEVER_LOGGED = new Set(["params", "parameters", "args", "query", "detail", "where", "hint", "internal_query", "internalQuery", "queryOptions"]);
const MAX_DEPTH = 5;
const QUERY_WORDS = 6;

export interface LoggedError {
  type: string;
  message: string;
  stack?: string;
  code?: string;
  cause?: LoggedError | string;
  [key: string]: unknown;
}

/** The query's first words (`insert into "instances" ("id",`), enough to say which one it was. */
export function queryName(query: string): string {
  return query.trim().split(/\s+/).slice(0, QUERY_WORDS).join(" ").slice(0, 120);
}

function isPostgresError(e: Record<string, unknown>): boolean {
  return typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) && ("severity" in e || "routine" in e || "severity_local" in e);
}

function isQueryError(e: Record<string, unknown>): e is Record<string, unknown> & { query: string } {
  return typeof e.query === "string" && ("params" in e || "parameters" in e);
}

/** The stack with `message` (the first line or lines) replaced by `safe`. */
function stackSaying(stack: unknown, message: string, safe: string): string | undefined {
  if (typeof stack !== "string") return undefined;
  return message && stack.includes(message) ? stack.replace(message, safe) : stack;
}

/** An error as it may be logged (see above); anything else thrown is logged as its type. */
export function errorForLog(error: unknown, depth = 0): LoggedError {
  if (!(error instanceof Error) && (typeof error !== "object" || error === null)) {
    return { type: typeof error, message: typeof error === "string" ? error : String(error) };
  }
  const e = error as Error & Record<string, unknown>;
  const type = e.constructor?.name && e.constructor.name !== "Object" ? e.constructor.name : (e.name ?? "Error");
  const message = typeof e.message === "string" ? e.message : "";
  let safe: string;
  const logged: LoggedError = { type, message: "" };
  if (isPostgresError(e)) {
    safe = `PostgreSQL error ${e.code}${typeof e.routine === "string" ? ` (${e.routine})` : ""}`;
    // Names of the schema's own objects, never values.
    for (const key of [
      "code",
      "severity",
      "routine",
      "constraint_name",
      "constraint",
      "table_name",
      "table",
      "column_name",
      "column",
      "schema_name",
    ]) {
      if (typeof e[key] === "string") logged[key] = e[key];
    }
  } else if (isQueryError(e)) {
    safe = `Failed query: ${queryName(e.query)}`;
  } else {
    safe = message;
    for (const [key, value] of Object.entries(e)) {
      if (NEVER_LOGGED.has(key) || key === "cause" || key === "stack" || key === "message") continue;
      if (value === null || ["string", "number", "boolean"].includes(typeof value)) logged[key] = value;
    }
  }
  logged.message = safe;
  const stack = stackSaying(e.stack, message, safe);
  if (stack) logged.stack = stack;
  if (e.cause !== undefined) logged.cause = depth < MAX_DEPTH ? errorForLog(e.cause, depth + 1) : "(deeper causes left out)";
  return logged;
}
