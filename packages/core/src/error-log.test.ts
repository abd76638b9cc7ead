import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it } from "vitest";
import { errorForLog, queryName } from "./error-log";

const SECRET = "user-data-nobody-else-may-read";

/** A PostgreSQL error as postgres.js raises it: its message and DETAIL quote the row's values. */
function postgresError(): Error {
  const error = Object.assign(new Error(`new row for relation "instances" violates check constraint "x"`), {
    severity: "ERROR",
    code: "23514",
    detail: `Failing row contains (1, ${SECRET}).`,
    table_name: "instances",
    constraint_name: "x",
    routine: "ExecConstraints",
  });
  Object.defineProperty(error, "parameters", { value: [SECRET], enumerable: false });
  return error;
}

describe("errorForLog", () => {
  it("logs a failed query by its first words and SQLSTATE, never its parameters, DETAIL or PostgreSQL's message", () => {
    const query = 'insert into "instances" ("id", "user_data", "metadata") values ($1, $2, $3)';
    const logged = errorForLog(new DrizzleQueryError(query, ["id", SECRET, { key: SECRET }], postgresError()));
    const text = JSON.stringify(logged);
    expect(text).not.toContain(SECRET);
    expect(logged).toMatchObject({
      type: "DrizzleQueryError",
      message: 'Failed query: insert into "instances" ("id", "user_data", "metadata")',
      cause: { type: "Error", code: "23514", table_name: "instances", constraint_name: "x", message: "PostgreSQL error 23514 (ExecConstraints)" },
    });
    expect(logged.stack).toMatch(/^Error: Failed query: insert into "instances"/);
    expect(logged.stack).toMatch(/\n\s+at /);
  });

  it("keeps an ordinary error's message, stack, code and plain fields, and walks its causes", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED", errno: -111, params: [SECRET] });
    const logged = errorForLog(new Error("could not start", { cause }));
    expect(logged).toMatchObject({
      type: "Error",
      message: "could not start",
      cause: { message: "connect ECONNREFUSED 127.0.0.1:5432", code: "ECONNREFUSED", errno: -111 },
    });
    expect(JSON.stringify(logged)).not.toContain(SECRET);
  });

  it("logs something thrown that is not an error as what it is", () => {
    expect(errorForLog("plain words")).toEqual({ type: "string", message: "plain words" });
    expect(errorForLog(undefined)).toEqual({ type: "undefined", message: "undefined" });
  });

  it("names a query by its first words", () => {
    expect(queryName('  select  "id"\n from "users" where "name" = $1')).toBe('select "id" from "users" where "name"');
  });
});
