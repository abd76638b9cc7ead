/**
 * What the web process's readiness probe and metrics read from the database: whether it
 * answers, whether this build's migrations are applied, the conductor's queue and Nimbus's
 * connections. Cheap aggregates only; no user data.
 */
import { sql } from "drizzle-orm";
import { pendingMigrations, rowsOf, type Database } from "@nimbus/db";

export { pendingMigrations };

/** Resolves once the database answered a trivial statement. */
export async function databaseAnswers(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}

/** Build requests in the conductor's queue, by status, cloud-wide. */
export async function buildRequestCounts(db: Database): Promise<{ status: string; count: number }[]> {
  const rows = rowsOf<{ status: string; n: number | string }>(
    await db.execute(sql`select status, count(*)::int as n from build_requests group by status`),
  );
  return rows.map(({ status, n }) => ({ status, count: Number(n) }));
}

/** Connections to this database by Nimbus processes (application_name nimbus-*), by application and state. */
export async function databaseConnections(db: Database): Promise<{ application: string; state: string; count: number }[]> {
  const rows = rowsOf<{ application: string; state: string | null; n: number | string }>(
    await db.execute(
      sql`select application_name as application, state, count(*)::int as n from pg_stat_activity
          where datname = current_database() and application_name like 'nimbus-%' group by 1, 2`,
    ),
  );
  return rows.map(({ application, state, n }) => ({ application, state: state ?? "unknown", count: Number(n) }));
}
