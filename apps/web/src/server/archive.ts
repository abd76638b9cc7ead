/**
 * `npm run archive -w apps/web [-- --older-than-days N --batch-size N --max-batches N]`: the
 * archive of deleted instances run now (nova-manage db archive_deleted_rows), with the web
 * process's settings (NIMBUS_ARCHIVE_*) unless the flags say otherwise; prints what it moved.
 * On the embedded database (no DATABASE_URL) stop the web process first: PGlite has one user.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { archiveDeletedInstances } from "@nimbus/core/compute";
import { openDatabase } from "@nimbus/db";
import { archiveOptions, loadEnv } from "./env";

const flags = z.object({
  "older-than-days": z.coerce.number().min(0).optional(),
  "batch-size": z.coerce.number().int().min(1).max(10_000).optional(),
  "max-batches": z.coerce.number().int().min(1).optional(),
});

async function main(): Promise<void> {
  const env = loadEnv();
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== "--"),
    options: { "older-than-days": { type: "string" }, "batch-size": { type: "string" }, "max-batches": { type: "string" } },
  });
  const given = flags.safeParse(values);
  if (!given.success) throw new Error(`archive: ${given.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const defaults = archiveOptions(env);
  const options = {
    olderThanSeconds: given.data["older-than-days"] === undefined ? defaults.olderThanSeconds : given.data["older-than-days"] * 86_400,
    batchSize: given.data["batch-size"] ?? defaults.batchSize,
    maxBatches: given.data["max-batches"] ?? defaults.maxBatches,
  };
  const database = await openDatabase({
    url: env.DATABASE_URL,
    dataDir: path.join(env.NIMBUS_DATA_DIR, "pglite"),
    maxConnections: 1,
    migrate: false,
  });
  try {
    const counts = await archiveDeletedInstances(database.db, options);
    process.stdout.write(
      `archived ${counts.instances} deleted instances (deleted more than ${options.olderThanSeconds / 86_400} days ago) with ${counts.actions} actions and ${counts.events} events, in ${counts.batches.length} batches of at most ${options.batchSize}\n`,
    );
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
