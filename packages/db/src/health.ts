import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { migrationsFolder, type Database } from "./client";
import { rowsOf } from "./rows";

/** The migrations this build of Nimbus ships, oldest first (drizzle-kit's journal). */
function shippedMigrations(): { tag: string; when: number }[] {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, "meta", "_journal.json"), "utf8")) as { entries?: unknown };
  if (!Array.isArray(journal.entries)) throw new Error("drizzle's migration journal has no entries");
  return journal.entries.map((entry: { tag?: unknown; when?: unknown }) => {
    if (typeof entry.tag !== "string" || typeof entry.when !== "number") throw new Error("a migration journal entry lacks its tag or time");
    return { tag: entry.tag, when: entry.when };
  });
}

/**
 * The shipped migrations the database has not applied (drizzle's migrator applies those newer
 * than the newest it recorded): a web process of this build must not serve a database behind it.
 */
export async function pendingMigrations(db: Database): Promise<string[]> {
  const rows = rowsOf<{ newest: string | number | null }>(await db.execute(sql`select max(created_at) as newest from drizzle.__drizzle_migrations`));
  const newest = Number(rows[0]?.newest ?? 0);
  return shippedMigrations()
    .filter((migration) => migration.when > newest)
    .map((migration) => migration.tag);
}
