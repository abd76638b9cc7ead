import { sql, type Placeholder, type Query, type SQL, type SQLWrapper } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Executor } from "./client";
import { rowsOf } from "./rows";

/** The placeholders a statement's values take their places with: `values.instanceId` and so on. */
export type StatementValues<Name extends string> = { readonly [K in Name]: Placeholder<K> };

/** A statement built once: run it on a database handle or inside a transaction with its values. */
export type Statement<Name extends string, Row> = (executor: Executor, values: Readonly<Record<Name, unknown>>) => Promise<Row[]>;

/** Turns drizzle's SQL into text and parameters the way a handle does (no casing configured). */
const dialect = new PgDialect();

/**
 * A statement whose SQL text is built on first use and reused: drizzle otherwise turns the
 * `sql` template (or query builder) into text on every call, walking each chunk, which on the
 * launch path cost more of the web process's CPU than the statements' own round trips. Every
 * value that varies between calls must come from `values` (placeholders, filled per call);
 * anything else is fixed into the text. Values go to the driver as they are, not through a
 * column's encoder: give JSON as a string and times as ISO text, each with its cast in the SQL
 * (`::jsonb`, `::timestamptz`), so postgres.js and PGlite read them alike. Unlike a drizzle
 * `.prepare()`d query it runs on whichever handle or transaction is given. Resolves with the
 * rows as the driver returns them (column names as keys), for statements whose rows are mapped
 * by the caller (`rowFromJson`) or not needed.
 */
export function statement<Name extends string, Row = Record<string, unknown>>(
  build: (values: StatementValues<Name>) => SQL | SQLWrapper,
): Statement<Name, Row> {
  let query: Query | undefined;
  return async (executor, values) => {
    query ??= dialect.sqlToQuery(build(placeholders as StatementValues<Name>).getSQL());
    return rowsOf<Row>(await executor._.session.prepareQuery(query, undefined, undefined, false).execute(values));
  };
}

/** Any name read from it is a placeholder of that name. */
const placeholders = new Proxy({} as Record<string, Placeholder>, {
  get: (cache, name) => (typeof name === "string" ? (cache[name] ??= sql.placeholder(name)) : undefined),
});

/**
 * Statements whose text differs with a few choices (`shape`: which conditions apply, a sort
 * order): one `statement` per shape, built on first use. `keyOf` names a shape.
 */
export function statementsByShape<Shape, Name extends string, Row = Record<string, unknown>>(
  keyOf: (shape: Shape) => string,
  build: (shape: Shape, values: StatementValues<Name>) => SQL | SQLWrapper,
): (shape: Shape) => Statement<Name, Row> {
  const made = new Map<string, Statement<Name, Row>>();
  return (shape) => {
    const key = keyOf(shape);
    let one = made.get(key);
    if (!one) made.set(key, (one = statement<Name, Row>((values) => build(shape, values))));
    return one;
  };
}
