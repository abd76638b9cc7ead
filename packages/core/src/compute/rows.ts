import { getTableColumns, type Table } from "@nimbus/db/orm";

const columnsByTable = new WeakMap<Table, [string, ReturnType<typeof getTableColumns>[string]][]>();

/**
 * A table's row as drizzle types it, from the JSON Postgres made of it (`row_to_json`, keys in
 * column names): lets one statement return rows of several tables, each mapped like a select.
 * Columns the JSON lacks come out null.
 */
export function rowFromJson<T extends Table>(table: T, json: unknown): T["$inferSelect"] {
  let columns = columnsByTable.get(table);
  if (!columns) {
    columns = Object.entries(getTableColumns(table));
    columnsByTable.set(table, columns);
  }
  const source = jsonOf<Record<string, unknown>>(json);
  const row: Record<string, unknown> = {};
  for (const [key, column] of columns) {
    const value = source[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as T["$inferSelect"];
}

/**
 * A json/jsonb value as a statement returned it: parsed by the driver (postgres.js) or still
 * text (PGlite for `json`).
 */
export function jsonOf<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}
