import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { schema, type Executor } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import { imageDigester, type ImageDigests } from "./digests";
import { inspectImageFile } from "./inspect";
import type { ImageRow } from "@nimbus/db/schema";

type ImageInsert = typeof schema.images.$inferInsert;

/** Where an active image's bits live in the store. */
export function imageFilePath(storeDir: string, imageId: string): string {
  return path.join(storeDir, imageId.toLowerCase());
}

const PARTIAL = ".partial";

/** Where an image's bits are written while they arrive, before they are moved into place. */
export function partialImagePath(storeDir: string, imageId: string): string {
  return `${imageFilePath(storeDir, imageId)}${PARTIAL}`;
}

/** The image whose partial file `fileName` (an entry of the store) is, or null for any other file. */
export function imageIdOfPartial(fileName: string): string | null {
  return fileName.endsWith(PARTIAL) ? fileName.slice(0, -PARTIAL.length) : null;
}

async function digestsOfFile(file: string): Promise<ImageDigests> {
  const hash = imageDigester();
  await pipeline(createReadStream(file), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) hash.update(chunk);
  });
  return hash.digest();
}

export interface ImportImageOptions {
  storeDir: string;
  sourcePath: string;
  /** Kernel and ramdisk parts of a direct-kernel-boot image are stored as they are (aki / ari). */
  part?: "aki" | "ari";
  image: Omit<ImageInsert, "id" | "status" | "diskFormat" | "sizeBytes" | "virtualSizeBytes" | "checksumSha256" | "checksumMd5" | "hashSha512">;
}

/**
 * Imports a file from the server's own disk as an active image (the seed and operators' imports;
 * browser uploads stream through the upload route instead): the format is detected, the bits
 * copied into the store and checksummed, and the row written only once they are in place.
 */
export async function importImageFile(db: Executor, { storeDir, sourcePath, part, image }: ImportImageOptions): Promise<ImageRow> {
  const inspection = part ? null : await inspectImageFile(sourcePath);
  const id = randomUUID();
  await mkdir(storeDir, { recursive: true });
  const target = imageFilePath(storeDir, id);
  const partial = partialImagePath(storeDir, id);
  try {
    await copyFile(sourcePath, partial);
    const [digests, { size }] = await Promise.all([digestsOfFile(partial), stat(partial)]);
    await rename(partial, target);
    const [row] = await db
      .insert(schema.images)
      .values({
        ...image,
        id,
        status: "active",
        diskFormat: part ?? inspection!.format,
        sizeBytes: size,
        virtualSizeBytes: inspection?.virtualSizeBytes ?? size,
        checksumSha256: digests.sha256,
        checksumMd5: digests.md5,
        hashSha512: digests.sha512,
      })
      .returning();
    return row!;
  } catch (error) {
    await rm(partial, { force: true });
    await rm(target, { force: true });
    throw error;
  }
}

/** An image by name, if it exists (seeding is idempotent by name). */
export async function findImageByName(db: Executor, name: string) {
  return db.query.images.findFirst({ where: eq(schema.images.name, name) });
}
