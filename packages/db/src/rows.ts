import { getTableColumns, getTableName, type Table } from "drizzle-orm";

/** Rows of a raw `execute`, whichever driver ran it (postgres.js: an array; PGlite: `.rows`). */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}

/**
 * A json/jsonb value as a statement returned it, parsed: postgres.js hands it over parsed,
 * PGlite still as text for `json`. What it is, the caller's schema says (`rowFromJson` for a
 * table's row, a zod schema for anything else); nothing here casts it to a type.
 */
export function jsonValue(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}

const columnsByTable = new WeakMap<Table, [string, ReturnType<typeof getTableColumns>[string]][]>();

/**
 * A table's row as drizzle types it, from the JSON Postgres made of it (`row_to_json`, keys in
 * column names): lets one statement return rows of several tables, each mapped like a select.
 * Columns the JSON lacks come out null; JSON that is no object is refused.
 */
export function rowFromJson<T extends Table>(table: T, json: unknown): T["$inferSelect"] {
  let columns = columnsByTable.get(table);
  if (!columns) {
    columns = Object.entries(getTableColumns(table));
    columnsByTable.set(table, columns);
  }
  const source = jsonValue(json);
  if (typeof source !== "object" || source === null || Array.isArray(source)) {
    throw new TypeError(`expected a row of ${getTableName(table)} as a JSON object, got ${source === null ? "null" : typeof source}`);
  }
  const row: Record<string, unknown> = {};
  for (const [key, column] of columns) {
    const value = (source as Record<string, unknown>)[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as T["$inferSelect"];
}

/** Rows of `table` from a JSON array of them (`json_agg(row_to_json(...))`). */
export function rowsFromJson<T extends Table>(table: T, json: unknown): T["$inferSelect"][] {
  const source = jsonValue(json);
  if (!Array.isArray(source)) throw new TypeError(`expected rows of ${getTableName(table)} as a JSON array`);
  return source.map((item) => rowFromJson(table, item));
}
