import { describe, expect, it } from "vitest";
import { domainErrorOf, NimbusError } from "./errors";
import { isDatabaseUnreachable } from "./pg-errors";

describe("a database out of reach", () => {
  it("is told from a statement the database refused", () => {
    // postgres.js when the server went away mid-query, and when it refuses connections.
    expect(isDatabaseUnreachable(Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" }))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(true);
    // The server shutting down (pg_ctl stop, pg_terminate_backend) or still starting, wrapped by drizzle.
    expect(isDatabaseUnreachable(new Error("Failed query", { cause: Object.assign(new Error("terminating"), { code: "57P01" }) }))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error("starting up"), { code: "57P03" }))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error("connection failure"), { code: "08006" }))).toBe(true);
    expect(isDatabaseUnreachable(new AggregateError([Object.assign(new Error("a"), { code: "ECONNREFUSED" })]))).toBe(true);
    // A unique violation, a deadlock, a plain bug: not the database's absence.
    expect(isDatabaseUnreachable(Object.assign(new Error("dup"), { code: "23505" }))).toBe(false);
    expect(isDatabaseUnreachable(Object.assign(new Error("deadlock"), { code: "40P01" }))).toBe(false);
    expect(isDatabaseUnreachable(new TypeError("x is undefined"))).toBe(false);
  });

  it("becomes an Unavailable to retry, while other errors keep their own meaning", () => {
    const away = domainErrorOf(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }));
    expect(away).toMatchObject({ code: "Unavailable", details: { retryAfterSeconds: 1 } });
    expect(away?.message).not.toContain("127.0.0.1");
    const conflict = NimbusError.conflict("busy");
    expect(domainErrorOf(conflict)).toBe(conflict);
    expect(domainErrorOf(new TypeError("bug"))).toBeNull();
  });
});
