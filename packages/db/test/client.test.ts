import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/client";
import { schema } from "../src/index";
import { scratchDatabase } from "./scratch";

describe("openDatabase", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("runs an embedded PGlite with migrations applied, and keeps data across reopen", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "nimbus-db-"));
    dirs.push(dataDir);
    const first = await openDatabase({ dataDir });
    expect(first.driver).toBe("pglite");
    await first.db.insert(schema.projects).values({ name: "kept" });
    await first.close();
    const second = await openDatabase({ dataDir });
    const rows = await second.db.select().from(schema.projects);
    expect(rows.map((r) => r.name)).toEqual(["kept"]);
    await second.close();
    // The data directory and everything in it are the user's alone.
    const shared = readdirSync(dataDir, { recursive: true })
      .map((name) => path.join(dataDir, String(name)))
      .filter((file) => (statSync(file).mode & 0o077) !== 0);
    expect(shared).toEqual([]);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  }, 60_000); // PGlite starts and migrates twice: seconds on a loaded machine, past the 5 s default.

  it("uses postgres.js with DATABASE_URL and applies the same migrations", async () => {
    const database = await scratchDatabase(`nimbus_db_test_${process.pid}`);
    try {
      const handle = await openDatabase({ url: database.url });
      expect(handle.driver).toBe("postgres");
      const [row] = await handle.db.insert(schema.projects).values({ name: "p" }).returning();
      expect(row?.enabled).toBe(true);
      await handle.close();
    } finally {
      await database.drop();
    }
  });
});
