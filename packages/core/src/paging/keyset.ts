import { asc, desc, sql, type SQL } from "@nimbus/db/orm";
import { z } from "zod";
import { NimbusError } from "../errors";
import { text } from "../validation";

/**
 * Keyset ("marker") pagination, as Nova pages its lists: a page is the rows after (or before) the
 * last row seen in the list's order, found by an index range scan, so the 50th page costs what the
 * first does and a row inserted meanwhile never shifts a page by one. The order is a sort key
 * (one or more SQL expressions, each read into the cursor as text and cast back when compared)
 * followed by the row's id as a tie-breaker, all in one direction so a single row comparison
 * `(k1, k2, id) > ($1, $2, $3)` bounds the page and an index on `(…scope, k1, k2, id)` serves it
 * forwards or backwards.
 *
 *   page 1 ──next──▶ page 2 ──next──▶ page 3
 *          ◀──prev──        ◀──prev──
 *
 * Cursors are opaque to the caller (base64url JSON), carry the sort they were made for and are
 * validated with zod: a cursor from another sort, or one that is not ours, is a BadRequest.
 */

export type SortDirection = "asc" | "desc";

/** One expression of a sort key: how to order by it, read it for a cursor, and compare against a cursor's value. */
export interface KeyPart {
  /** The expression ordered by (its index should list it in this form). */
  expr: SQL;
  /** Reads the expression as text for the cursor, exactly (timestamps to the microsecond). */
  read: SQL<string>;
  /** The cursor's text cast back to the expression's type. */
  cast(value: string): SQL;
  /** What a value of this part looks like: a forged cursor fails here, not in the database. */
  valid: z.ZodType<string>;
}

export interface KeysetSpec<Key extends string> {
  /** Sort keys by name, each a list of key parts (the id follows them). */
  keys: Record<Key, readonly KeyPart[]>;
  /** The unique tie-breaker, the row's id. */
  id: SQL;
  idCast(value: string): SQL;
  /** What an id looks like (a uuid unless told). */
  idValid?: z.ZodType<string>;
}

/** A text column compared as text. */
export const textPart = (expr: SQL): KeyPart => ({ expr, read: sql<string>`(${expr})::text`, cast: (v) => sql`${v}::text`, valid: text("Cursor") });
/** A timestamptz read in UTC to the microsecond, so a cursor compares exactly. */
export const timestampPart = (expr: SQL): KeyPart => ({
  expr,
  read: sql<string>`to_char((${expr}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
  cast: (v) => sql`${v}::timestamptz`,
  valid: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
});
/** A number: an integer expression (`integer`, `bigint`) or any other (`numeric`). */
export const numericPart = (expr: SQL, type: "integer" | "bigint" | "numeric" = "numeric"): KeyPart => ({
  expr,
  read: sql<string>`(${expr})::text`,
  cast: (v) => sql`${v}::${sql.raw(type)}`,
  valid: z.string().regex(type === "numeric" ? /^-?\d{1,30}(\.\d{1,30})?$/ : /^-?\d{1,18}$/),
});
/** A PostgreSQL enum (its `values`), ordered as the enum is declared. */
export const enumPart = (expr: SQL, type: string, values: readonly string[]): KeyPart => ({
  expr,
  read: sql<string>`(${expr})::text`,
  cast: (v) => sql`${v}::${sql.raw(type)}`,
  valid: z.string().refine((v) => values.includes(v)),
});
/** A boolean. */
export const booleanPart = (expr: SQL): KeyPart => ({
  expr,
  read: sql<string>`(${expr})::text`,
  cast: (v) => sql`${v}::boolean`,
  valid: z.enum(["true", "false"]),
});
const UUID_TEXT = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);

const cursorSchema = z
  .object({
    /** The sort key and direction the cursor was made for. */
    k: z.string().min(1).max(64),
    d: z.enum(["asc", "desc"]),
    /** Which way from the row: the page after it ("n") or before it ("p"). */
    w: z.enum(["n", "p"]),
    /** The row's sort values as text, then its id. */
    v: z.array(z.string().max(1024)).min(1).max(8),
    id: z.string().min(1).max(64),
  })
  .strict();
export type Cursor = z.infer<typeof cursorSchema>;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

/** The cursor's content, or a BadRequest naming the `cursor` field: never a raw parse error. */
const invalidCursor = () =>
  NimbusError.badRequest("The page cursor is not valid: start again from the first page.", [
    { path: "cursor", message: "Not a page cursor this list gave out." },
  ]);

export function decodeCursor(text: string): Cursor {
  const invalid = invalidCursor;
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(text)) throw invalid();
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const parsed = cursorSchema.safeParse(raw);
  if (!parsed.success) throw invalid();
  return parsed.data;
}

export interface PageRequest<Key extends string> {
  sort: Key;
  direction: SortDirection;
  limit: number;
  /** A cursor this list gave out (its `next` or `prev`). */
  cursor?: string | undefined;
}

/** The row's sort values as the query read them (see `select`). */
export interface KeysetRow {
  id: string;
  _keyset: string[];
}

export interface Page<Row> {
  items: Row[];
  /** The page after this one, or null at the end. */
  next: string | null;
  /** The page before this one, or null at the start. */
  prev: string | null;
}

/**
 * A keyset over a table: what to select for the cursor, the WHERE bound and ORDER BY of a page,
 * and the page made from the rows fetched.
 */
export function keyset<Key extends string>(spec: KeysetSpec<Key>) {
  const sortKeys = Object.keys(spec.keys) as Key[];

  function partsOf(key: Key): readonly KeyPart[] {
    const parts = spec.keys[key];
    if (!parts) throw NimbusError.badRequest(`Lists can be sorted by ${sortKeys.join(", ")}.`, [{ path: "sort", message: "Not a sort key." }]);
    return parts;
  }

  function select(key: Key): SQL<string[]> {
    return sql<string[]>`array[${sql.join(
      partsOf(key).map((p) => p.read),
      sql`, `,
    )}]`;
  }

  /** Checks a request's cursor against its sort; the cursor's row bound, or none for the first page. */
  function plan(request: PageRequest<Key>) {
    const parts = partsOf(request.sort);
    const cursor = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
    if (cursor && (cursor.k !== request.sort || cursor.d !== request.direction || cursor.v.length !== parts.length)) {
      throw NimbusError.badRequest("The page cursor belongs to another sort order: start again from the first page.", [
        { path: "cursor", message: "Made for another sort order." },
      ]);
    }
    if (cursor && (!parts.every((p, i) => p.valid.safeParse(cursor.v[i]).success) || !(spec.idValid ?? UUID_TEXT).safeParse(cursor.id).success)) {
      throw invalidCursor();
    }
    const backwards = cursor?.w === "p";
    // Reading backwards walks the index the other way, then the page is turned round.
    const scanDesc = (request.direction === "desc") !== backwards;
    const exprs = [...parts.map((p) => p.expr), spec.id];
    const orderBy = exprs.map((e) => (scanDesc ? desc(e) : asc(e)));
    let where: SQL | undefined;
    if (cursor) {
      const values = [...parts.map((p, i) => p.cast(cursor.v[i]!)), spec.idCast(cursor.id)];
      where = sql`(${sql.join(exprs, sql`, `)}) ${sql.raw(scanDesc ? "<" : ">")} (${sql.join(values, sql`, `)})`;
    }
    return { parts, cursor, backwards, where, orderBy, fetch: request.limit + 1 };
  }

  /** The page from rows fetched with `plan`'s order and `fetch` (one more than asked, to see if more follow). */
  function page<Row extends KeysetRow>(request: PageRequest<Key>, rows: Row[]): Page<Omit<Row, "_keyset">> {
    const { cursor, backwards } = plan(request);
    const more = rows.length > request.limit;
    const fetched = more ? rows.slice(0, request.limit) : rows;
    const inOrder = backwards ? fetched.reverse() : fetched;
    const first = inOrder[0];
    const last = inOrder.at(-1);
    const make = (row: Row, w: "n" | "p") => encodeCursor({ k: request.sort, d: request.direction, w, v: row._keyset, id: row.id });
    // Forwards: more rows follow when the fetch overflowed; rows precede when we came by a cursor.
    const hasNext = backwards ? cursor !== undefined : more;
    const hasPrev = backwards ? more : cursor !== undefined;
    return {
      items: inOrder.map(({ _keyset: _, ...row }) => row),
      next: hasNext && last ? make(last, "n") : null,
      prev: hasPrev && first ? make(first, "p") : null,
    };
  }

  return {
    sortKeys,
    /** The column to add to a query's select list so each row carries its cursor values. */
    select,
    plan,
    /**
     * Where a page starts when given a row by id instead of a cursor (Nova's marker): the same
     * bound as a "next" cursor made from that row's values, read in the database.
     */
    afterRow(key: Key, direction: SortDirection, row: { id: string; _keyset: string[] }): string {
      return encodeCursor({ k: key, d: direction, w: "n", v: row._keyset, id: row.id });
    },
    /**
     * A request whose page starts after `marker` (the id, or name, OpenStack's APIs page by):
     * `find` reads that row's sort values (`select(key)`) in the caller's scope; a marker it does
     * not find is `notFound()` (each API's own words), never a page of someone else's rows.
     * `before` asks for the page before it instead (Neutron's page_reverse).
     */
    async fromMarker(
      request: PageRequest<Key>,
      marker: string | undefined,
      find: (select: SQL<string[]>) => Promise<KeysetRow | undefined>,
      notFound: () => Error,
      before = false,
    ): Promise<PageRequest<Key>> {
      if (marker === undefined) return request;
      if (request.cursor !== undefined) {
        throw NimbusError.badRequest("Give a marker or a page cursor, not both.", [{ path: "cursor", message: "Not with a marker." }]);
      }
      const row = await find(select(request.sort));
      if (!row) throw notFound();
      return { ...request, cursor: encodeCursor({ k: request.sort, d: request.direction, w: before ? "p" : "n", v: row._keyset, id: row.id }) };
    },
    /**
     * One page: `query` runs the list's own SELECT (its scope and filters) with the cursor column
     * `select`, the bound `where`, `orderBy` and `limit` given here; the rows come back as a page.
     */
    async run<Row extends KeysetRow>(
      request: PageRequest<Key>,
      query: (q: { select: SQL<string[]>; where: SQL | undefined; orderBy: SQL[]; limit: number }) => Promise<Row[]>,
    ): Promise<Page<Omit<Row, "_keyset">>> {
      const p = plan(request);
      const rows = await query({ select: select(request.sort), where: p.where, orderBy: p.orderBy, limit: p.fetch });
      return page(request, rows);
    },
    page,
  };
}
export type Keyset<Key extends string> = ReturnType<typeof keyset<Key>>;

/** `expr` contains `needle`, in any case (ILIKE, its wildcards taken as plain characters): the consoles' name filters. */
export function containsText(expr: SQL, needle: string): SQL {
  return sql`${expr} ilike ${`%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`;
}
