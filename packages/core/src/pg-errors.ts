/**
 * The SQLSTATE, constraint and DETAIL of a PostgreSQL error, whichever driver raised it
 * (postgres.js: `constraint_name`; PGlite: `constraint`) and however deeply drizzle wrapped it.
 */
export function pgErrorOf(error: unknown): { code: string | null; constraint: string | null; detail: string | null } {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const { code, constraint_name, constraint, detail } = e as { code?: unknown; constraint_name?: unknown; constraint?: unknown; detail?: unknown };
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
      const name = typeof constraint_name === "string" ? constraint_name : typeof constraint === "string" ? constraint : null;
      return { code, constraint: name, detail: typeof detail === "string" ? detail : null };
    }
  }
  return { code: null, constraint: null, detail: null };
}

export const FOREIGN_KEY_VIOLATION = "23503";
export const UNIQUE_VIOLATION = "23505";
export const DEADLOCK_DETECTED = "40P01";
