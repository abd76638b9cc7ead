/** drizzle's query builders, re-exported so every workspace uses this package's one copy. */
export * from "drizzle-orm";
