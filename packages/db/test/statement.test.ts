import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "../src/client";
import { schema, statement, statementsByShape } from "../src/index";
import { scratchDatabase } from "./scratch";

const insertProject = statement<"name" | "description">(
  (v) => sql`insert into ${schema.projects} (name, description) values (${v.name}, ${v.description}) returning name, description, enabled`,
);
const insertAudit = statement<"projectId" | "details" | "at">(
  (v) => sql`insert into ${schema.auditEvents} (project_id, action, outcome, details, at)
    values (${v.projectId}, 'test', 'success', ${v.details}::jsonb, ${v.at}::timestamptz) returning details, at`,
);

const projectNames = statementsByShape<{ order: "asc" | "desc" }, "prefix", { name: string }>(
  ({ order }) => order,
  ({ order }, v) => sql`select name from ${schema.projects} where name like ${v.prefix} order by name ${sql.raw(order)}`,
);

/** The embedded database and PostgreSQL, as Nimbus runs on either. */
const drivers: [string, () => Promise<{ handle: DatabaseHandle; cleanup: () => Promise<void> }>][] = [
  [
    "PGlite",
    async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), "nimbus-db-"));
      const handle = await openDatabase({ dataDir });
      return { handle, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
    },
  ],
  [
    "PostgreSQL",
    async () => {
      const database = await scratchDatabase(`nimbus_db_statement_${process.pid}`);
      return { handle: await openDatabase({ url: database.url }), cleanup: database.drop };
    },
  ],
];

describe.each(drivers)("statement on %s", (_, open) => {
  let handle: DatabaseHandle;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ handle, cleanup } = await open()), 60_000);
  afterAll(async () => {
    await handle?.close();
    await cleanup?.();
  });

  it("runs with each call's own values, on the handle and inside a transaction", async () => {
    expect(await insertProject(handle.db, { name: "first", description: "one" })).toEqual([{ name: "first", description: "one", enabled: true }]);
    expect(await insertProject(handle.db, { name: "second", description: "two" })).toEqual([{ name: "second", description: "two", enabled: true }]);
    await expect(
      handle.db.transaction(async (tx) => {
        expect(await insertProject(tx, { name: "undone", description: "" })).toHaveLength(1);
        throw new Error("undo");
      }),
    ).rejects.toThrow("undo");
    const names = (await handle.db.select({ name: schema.projects.name }).from(schema.projects)).map((r) => r.name);
    expect(names.sort()).toEqual(["first", "second"]);
  });

  it("builds one statement per shape and keeps it", async () => {
    expect(projectNames({ order: "asc" })).toBe(projectNames({ order: "asc" }));
    expect((await projectNames({ order: "asc" })(handle.db, { prefix: "%" })).map((r) => r.name)).toEqual(["first", "second"]);
    expect((await projectNames({ order: "desc" })(handle.db, { prefix: "s%" })).map((r) => r.name)).toEqual(["second"]);
  });

  it("passes JSON and timestamps through as values", async () => {
    const [project] = await handle.db.select().from(schema.projects).limit(1);
    const at = new Date("2026-01-02T03:04:05.000Z");
    const [row] = await insertAudit(handle.db, { projectId: project!.id, details: JSON.stringify({ n: 1 }), at: at.toISOString() });
    const details = typeof row!.details === "string" ? JSON.parse(row!.details) : row!.details;
    expect(details).toEqual({ n: 1 });
    expect(new Date(row!.at as string).toISOString()).toBe(at.toISOString());
  });
});
