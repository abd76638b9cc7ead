import type { Database } from "@nimbus/db";

/**
 * A query built once per database handle and kept as a prepared statement (drizzle's
 * `.prepare()` with `sql.placeholder`s), for queries on every request's path: building a
 * relational query costs more CPU than running it. Only for queries on the handle itself, never
 * inside a transaction (a prepared query runs on the handle it was built with).
 */
export function preparedOn<T>(db: Database, name: string, build: (db: Database) => T): T {
  let byName = cache.get(db);
  if (!byName) cache.set(db, (byName = new Map()));
  let prepared = byName.get(name) as T | undefined;
  if (prepared === undefined) byName.set(name, (prepared = build(db)));
  return prepared;
}

const cache = new WeakMap<Database, Map<string, unknown>>();
