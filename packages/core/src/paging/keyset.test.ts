import { sql } from "@nimbus/db/orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { NimbusError } from "../errors";
import { decodeCursor, encodeCursor, enumPart, keyset, numericPart, textPart, timestampPart } from "./keyset";

const list = keyset({
  keys: {
    name: [textPart(sql`name`)],
    created: [timestampPart(sql`created_at`), numericPart(sql`(-launch_index)`, "integer")],
    status: [enumPart(sql`vm_state`, "vm_state", ["building", "active"])],
  },
  id: sql`id`,
  idCast: (v) => sql`${v}::uuid`,
});
const dialect = new PgDialect();
const render = (q: ReturnType<typeof sql>) => dialect.sqlToQuery(q);

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
/** Rows as a query returns them: their sort values read as text, then their ids. */
const rows = (...names: string[]) => names.map((name, n) => ({ id: ID(n), name, _keyset: [name] }));

function badRequest(run: () => unknown): NimbusError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(NimbusError);
    expect((error as NimbusError).code).toBe("BadRequest");
    return error as NimbusError;
  }
  throw new Error("expected a BadRequest");
}

describe("keyset cursors", () => {
  it("round-trips a cursor through its opaque text, unicode and all", () => {
    const cursor = { k: "name", d: "asc" as const, w: "n" as const, v: ["wéb-1 ☁"], id: ID(7) };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it("refuses text that is not a cursor it gave out, naming the cursor field", () => {
    for (const forged of [
      "",
      "not a cursor!",
      Buffer.from("{").toString("base64url"),
      encodeCursor({ k: "name", d: "up", w: "n", v: [], id: "x" } as never),
    ]) {
      const error = badRequest(() => decodeCursor(forged));
      expect(error.message).toMatch(/page cursor is not valid/);
      expect((error.details?.fields as { path: string }[] | undefined)?.[0]?.path).toBe("cursor");
    }
  });

  it("refuses a cursor made for another sort, or whose values could not be compared", () => {
    const [first] = rows("a");
    const next = list.page({ sort: "name", direction: "asc", limit: 1 }, rows("a", "b")).next!;
    expect(badRequest(() => list.plan({ sort: "name", direction: "desc", limit: 1, cursor: next })).message).toMatch(/another sort order/);
    expect(badRequest(() => list.plan({ sort: "created", direction: "asc", limit: 1, cursor: next })).message).toMatch(/another sort order/);
    // Forged values fail here, as a BadRequest, not as a database error.
    const badTime = encodeCursor({ k: "created", d: "desc", w: "n", v: ["yesterday", "0"], id: first!.id });
    expect(badRequest(() => list.plan({ sort: "created", direction: "desc", limit: 1, cursor: badTime })).message).toMatch(/not valid/);
    const badEnum = encodeCursor({ k: "status", d: "asc", w: "n", v: ["exploded"], id: first!.id });
    expect(badRequest(() => list.plan({ sort: "status", direction: "asc", limit: 1, cursor: badEnum })).message).toMatch(/not valid/);
    const badId = encodeCursor({ k: "name", d: "asc", w: "n", v: ["a"], id: "1; drop table" });
    expect(badRequest(() => list.plan({ sort: "name", direction: "asc", limit: 1, cursor: badId })).message).toMatch(/not valid/);
    const nul = encodeCursor({ k: "name", d: "asc", w: "n", v: ["a\u0000"], id: first!.id });
    expect(badRequest(() => list.plan({ sort: "name", direction: "asc", limit: 1, cursor: nul })).message).toMatch(/not valid/);
  });
});

describe("keyset pages", () => {
  it("the first page has a next cursor when more rows follow, and no prev", () => {
    const page = list.page({ sort: "name", direction: "asc", limit: 2 }, rows("a", "b", "c"));
    expect(page.items.map((r) => r.name)).toEqual(["a", "b"]);
    expect(page.items[0]).not.toHaveProperty("_keyset");
    expect(page.prev).toBeNull();
    expect(decodeCursor(page.next!)).toEqual({ k: "name", d: "asc", w: "n", v: ["b"], id: ID(1) });
  });

  it("the last page has no next; a page reached by a cursor has a prev from its first row", () => {
    const next = encodeCursor({ k: "name", d: "asc", w: "n", v: ["b"], id: ID(1) });
    const page = list.page({ sort: "name", direction: "asc", limit: 2, cursor: next }, rows("c"));
    expect(page.next).toBeNull();
    expect(decodeCursor(page.prev!)).toMatchObject({ w: "p", v: ["c"] });
  });

  it("a page read backwards is turned round, with a next and (when more precede) a prev", () => {
    const prev = encodeCursor({ k: "name", d: "asc", w: "p", v: ["e"], id: ID(9) });
    // Fetched nearest first: d, c, then b (the extra row says more precede).
    const fetched = [
      { id: ID(3), _keyset: ["d"] },
      { id: ID(2), _keyset: ["c"] },
      { id: ID(1), _keyset: ["b"] },
    ];
    const page = list.page({ sort: "name", direction: "asc", limit: 2, cursor: prev }, fetched);
    expect(page.items.map((r) => r.id)).toEqual([ID(2), ID(3)]);
    expect(decodeCursor(page.next!)).toMatchObject({ w: "n", v: ["d"], id: ID(3) });
    expect(decodeCursor(page.prev!)).toMatchObject({ w: "p", v: ["c"], id: ID(2) });
  });

  it("bounds a page by one row comparison over the sort key and the id, so ties on the key split by id", () => {
    const plan = list.plan({
      sort: "created",
      direction: "desc",
      limit: 20,
      cursor: encodeCursor({ k: "created", d: "desc", w: "n", v: ["2026-12-07T10:00:00.123456Z", "-2"], id: ID(4) }),
    });
    const where = render(plan.where!);
    expect(where.sql).toBe("(created_at, (-launch_index), id) < ($1::timestamptz, $2::integer, $3::uuid)");
    expect(where.params).toEqual(["2026-12-07T10:00:00.123456Z", "-2", ID(4)]);
    expect(plan.fetch).toBe(21);
    // Backwards from a "prev" cursor the scan runs the other way.
    const back = list.plan({
      sort: "name",
      direction: "desc",
      limit: 5,
      cursor: encodeCursor({ k: "name", d: "desc", w: "p", v: ["m"], id: ID(1) }),
    });
    expect(render(back.where!).sql).toBe("(name, id) > ($1::text, $2::uuid)");
  });
});
