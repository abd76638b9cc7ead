import { createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { schema } from "@nimbus/db";
import { and, eq, inArray, lt, ne, sql } from "@nimbus/db/orm";
import { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext, Services } from "../context";
import { NimbusError } from "../errors";
import { authorize, type Principal } from "../policy";
import { reserveImageUpload } from "../quota/image-uploads";
import { imageDigester } from "./digests";
import { imageFilePath, imageIdOfPartial, partialImagePath } from "./import";
import { imageKindOf } from "./images";
import { ImageInspectionError, inspectImageFile } from "./inspect";
import { imageVisibleTo } from "./visibility";

/**
 * Why an upload's bits were refused after they started to arrive; the image is `killed`.
 * `TooLarge`: over the size cap; `InvalidImage`: qemu-img refused the file (or it is empty);
 * `Aborted`: the body ended early (client gone, network cut).
 */
export class ImageUploadError extends Error {
  override readonly name = "ImageUploadError";
  constructor(
    readonly reason: "TooLarge" | "InvalidImage" | "Aborted" | "StoreFull",
    message: string,
  ) {
    super(message);
  }
}

export interface UploadImageOptions {
  imageId: string;
  /** The request body; read once, never held whole in memory. */
  body: Readable;
  /** Glance's image_size_cap. */
  maxBytes: number;
  /** Content-Length, when the client sent one: refused at once when over the cap. */
  declaredBytes?: number | null;
}

/** How far ahead of the bytes received an upload reserves image quota (one transaction per step). */
const RESERVE_STEP_BYTES = 16 * 1024 * 1024;

/**
 * Counts and hashes the bytes flowing through, failing once more than `maxBytes` arrived, and
 * holding each chunk that passes what `reserve` granted until it grants more (or refuses: the
 * upload stops there, its error the refusal).
 */
function meter(maxBytes: number, reserve: (atLeast: number) => Promise<number>) {
  const hash = imageDigester();
  let bytes = 0;
  let reserved = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(new ImageUploadError("TooLarge", `The image is larger than the limit of ${maxBytes} bytes.`));
      const pass = () => {
        hash.update(chunk);
        done(null, chunk);
      };
      if (bytes <= reserved) return pass();
      reserve(bytes).then((granted) => {
        reserved = granted;
        pass();
      }, done);
    },
  });
  return { stream, bytes: () => bytes, digests: () => hash.digest() };
}

/**
 * Receives an image's bits (Glance's image data upload): the owner's `queued` image goes to
 * `saving` (one upload at a time), the body streams to `<store>/<id>.partial` while being hashed
 * and counted, qemu-img inspects it (disk images: qcow2 or raw, self-contained; kernels and
 * ramdisks are kept as they are), and it is renamed into place as `active`. The bytes are
 * reserved against the project's image quotas as they arrive (`reserveImageUpload`): an upload
 * that would pass `image_size_total` or `image_stage_total` stops there with QuotaExceeded. Any
 * failure leaves the image `killed` with no partial file. While the upload runs, its process
 * refreshes the image's `updated_at`, so that one which died mid-way is found
 * (`expireStalledUploads`).
 */
export async function uploadImageData({ ctx, input }: { ctx: CoreContext; input: UploadImageOptions }) {
  const principal = authorize(ctx.principal, "http:image-upload");
  const imageId = z.uuid().safeParse(input.imageId).success ? input.imageId : null;
  if (!imageId) throw NimbusError.notFound("Image", input.imageId);
  return storeImageData(ctx, { ...input, imageId, projectId: principal.projectId, whyNot: () => whyNotClaimed(ctx, principal, imageId) });
}

/** Who stores an image's bits: the owner's upload, or a compute host's snapshot (../compute/actions/snapshot-upload). */
export interface StoreImageOptions extends UploadImageOptions {
  /** The project that owns the image: only its queued image is claimed. */
  projectId: string;
  /** Properties the image takes once active (a simulated snapshot says so). */
  properties?: Record<string, string>;
  /** Audited as the actor when there is no principal (a compute host). */
  actorName?: string;
  /** Why the image could not be claimed (not queued, another project's, …). */
  whyNot(): Promise<NimbusError>;
}

/** The one path every image's bits take into the store (see `uploadImageData`); the caller authorized it. */
export async function storeImageData(ctx: CoreContext, input: StoreImageOptions) {
  const { imageId, projectId } = input;
  const auditAs = { projectId, ...(input.actorName ? { actorName: input.actorName } : {}) };
  // One statement claims the image: a second, concurrent upload finds it no longer queued.
  const [claimed] = await ctx.db
    .update(schema.images)
    // The database's clock, as the refreshes and the sweep use: web processes' clocks may differ.
    .set({ status: "saving", updatedAt: sql`now()` })
    .where(and(eq(schema.images.id, imageId), eq(schema.images.ownerProjectId, projectId), eq(schema.images.status, "queued")))
    .returning();
  if (!claimed) throw await input.whyNot();

  const target = imageFilePath(ctx.imageStoreDir, imageId);
  const partial = partialImagePath(ctx.imageStoreDir, imageId);
  let renamed = false;
  const lease = setInterval(() => {
    ctx.db
      .update(schema.images)
      .set({ updatedAt: sql`now()` })
      .where(and(eq(schema.images.id, imageId), eq(schema.images.status, "saving")))
      .returning({ id: schema.images.id })
      .then(
        // Given up meanwhile (refreshes failed for the whole stall time): stop receiving.
        (rows) =>
          rows.length === 0 &&
          input.body.destroy(new ImageUploadError("Aborted", "The upload was given up after the server lost track of it; upload the image again.")),
        () => {},
      );
  }, ctx.uploadStallMs / 4);
  lease.unref();
  try {
    if (input.declaredBytes != null && input.declaredBytes > input.maxBytes) {
      throw new ImageUploadError("TooLarge", `The image is larger than the limit of ${input.maxBytes} bytes.`);
    }
    // The image quotas (image_size_total, image_stage_total), reserved as the bytes arrive: a
    // declared size at once, before any byte is read; an undeclared one a step at a time.
    const reserve = async (atLeast: number) => {
      const want = Math.min(input.maxBytes, input.declaredBytes ?? atLeast + RESERVE_STEP_BYTES);
      const reserved = await reserveImageUpload(ctx.db, { projectId, imageId, atLeast, want });
      if (reserved === null) throw new ImageUploadError("Aborted", `Image ${claimed.name} was deleted or given up during the upload.`);
      return reserved;
    };
    if (input.declaredBytes != null && input.declaredBytes > 0) await reserve(input.declaredBytes);
    await mkdir(ctx.imageStoreDir, { recursive: true });
    const counted = meter(input.maxBytes, reserve);
    try {
      await pipeline(input.body, counted.stream, createWriteStream(partial));
    } catch (error) {
      if (error instanceof ImageUploadError || error instanceof NimbusError) throw error;
      // The store's disk (or the user's quota on it) filled up: Glance's StorageFull.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOSPC" || code === "EDQUOT") {
        throw new ImageUploadError(
          "StoreFull",
          "The image store is full: the image was not kept. An operator must free space in the image store; then upload it again.",
        );
      }
      if (input.body.errored || input.body.destroyed || (error as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE") {
        throw new ImageUploadError("Aborted", "The upload ended before the whole image arrived.");
      }
      throw error;
    }
    if (input.declaredBytes != null && counted.bytes() !== input.declaredBytes) {
      throw new ImageUploadError("Aborted", `The upload ended after ${counted.bytes()} of ${input.declaredBytes} bytes.`);
    }
    if (counted.bytes() === 0) throw new ImageUploadError("InvalidImage", "The image file is empty.");
    const digests = counted.digests();
    const kind = imageKindOf(claimed.diskFormat);
    let diskFormat: string;
    let virtualSizeBytes: number;
    if (kind === "disk") {
      try {
        const inspection = await inspectImageFile(partial);
        diskFormat = inspection.format;
        virtualSizeBytes = inspection.virtualSizeBytes;
      } catch (error) {
        if (error instanceof ImageInspectionError) throw new ImageUploadError("InvalidImage", error.message);
        throw error;
      }
    } else {
      diskFormat = claimed.diskFormat!;
      virtualSizeBytes = counted.bytes();
    }
    const { size } = await stat(partial);
    await rename(partial, target);
    renamed = true;
    const [active] = await ctx.db
      .update(schema.images)
      .set({
        status: "active",
        diskFormat,
        sizeBytes: size,
        virtualSizeBytes,
        checksumSha256: digests.sha256,
        checksumMd5: digests.md5,
        hashSha512: digests.sha512,
        stagedBytes: 0,
        ...(input.properties ? { properties: { ...claimed.properties, ...input.properties } } : {}),
        updatedAt: new Date(),
      })
      .where(and(eq(schema.images.id, imageId), eq(schema.images.status, "saving")))
      .returning();
    if (!active) {
      // Deleted (or given up) while its bits were arriving: they have no image to belong to.
      await rm(target, { force: true });
      throw NimbusError.conflict(`Image ${claimed.name} was deleted or given up during the upload.`);
    }
    await audit(ctx, ctx.db, {
      action: "image.upload",
      outcome: "success",
      targetType: "image",
      targetId: imageId,
      ...auditAs,
      details: { name: claimed.name, diskFormat, sizeBytes: size },
    });
    return {
      id: imageId,
      status: active.status,
      diskFormat,
      sizeBytes: size,
      virtualSizeBytes,
      checksumSha256: digests.sha256,
      checksumMd5: digests.md5,
      hashSha512: digests.sha512,
    };
  } catch (error) {
    await rm(partial, { force: true });
    if (renamed) await rm(target, { force: true });
    await ctx.db.transaction(async (tx) => {
      await tx
        .update(schema.images)
        .set({ status: "killed", stagedBytes: 0, updatedAt: new Date() })
        .where(and(eq(schema.images.id, imageId), eq(schema.images.status, "saving")));
      await audit(ctx, tx, {
        action: "image.upload",
        outcome: "failure",
        targetType: "image",
        targetId: imageId,
        ...auditAs,
        details: {
          name: claimed.name,
          reason: error instanceof ImageUploadError ? error.reason : error instanceof NimbusError ? error.code : "Internal",
        },
      });
    });
    throw error;
  } finally {
    clearInterval(lease);
  }
}

/**
 * Uploads whose web process died mid-way (killed, crashed, its machine lost) leave their image
 * `saving` with nobody refreshing it. Once `uploadStallMs` passed without a refresh, such an
 * image is `killed`, as any failed upload (audited as such), and its partial file removed: its
 * owner sees why and can delete it and upload again. A partial file whose image is not being
 * uploaded (deleted while stuck, say) goes too once as old. Returns the images given up.
 */
export async function expireStalledUploads(
  services: Pick<Services, "db" | "imageStoreDir" | "uploadStallMs">,
): Promise<{ id: string; name: string }[]> {
  const stallMs = services.uploadStallMs;
  const killed = await services.db.transaction(async (tx) => {
    const rows = await tx
      .update(schema.images)
      .set({ status: "killed", stagedBytes: 0, updatedAt: sql`now()` })
      .where(
        and(eq(schema.images.status, "saving"), lt(schema.images.updatedAt, sql`now() - make_interval(secs => ${stallMs / 1000}::double precision)`)),
      )
      .returning({ id: schema.images.id, name: schema.images.name, projectId: schema.images.ownerProjectId });
    for (const { id, name, projectId } of rows) {
      await audit({ principal: null, remoteAddress: null }, tx, {
        action: "image.upload",
        outcome: "failure",
        targetType: "image",
        targetId: id,
        projectId,
        actorName: "nimbus",
        details: { name, reason: "Stalled" },
      });
    }
    return rows;
  });
  const partials = (await readdir(services.imageStoreDir).catch(() => [] as string[])).flatMap((file) => {
    const id = imageIdOfPartial(file);
    return id !== null && z.uuid().safeParse(id).success ? [id] : [];
  });
  if (partials.length > 0) {
    const uploading = new Set(
      (
        await services.db
          .select({ id: schema.images.id })
          .from(schema.images)
          .where(and(inArray(schema.images.id, partials), eq(schema.images.status, "saving")))
      ).map((r) => r.id),
    );
    for (const id of partials) {
      if (uploading.has(id)) continue;
      const file = partialImagePath(services.imageStoreDir, id);
      const found = await stat(file).catch(() => null);
      if (found && Date.now() - found.mtimeMs > stallMs) await rm(file, { force: true });
    }
  }
  return killed.map(({ id, name }) => ({ id, name }));
}

/** Another project's image answers NotFound (or Forbidden when shared with the caller); the owner's is in the wrong state. */
async function whyNotClaimed(ctx: CoreContext, principal: Principal, imageId: string): Promise<NimbusError> {
  const image = await ctx.db.query.images.findFirst({
    where: and(eq(schema.images.id, imageId), imageVisibleTo(principal.projectId), ne(schema.images.status, "deleted")),
  });
  if (!image) return NimbusError.notFound("Image", imageId);
  if (image.ownerProjectId !== principal.projectId)
    return NimbusError.forbidden(`Image ${image.name} belongs to another project; only its owner may upload to it.`);
  if (image.status === "saving") return NimbusError.conflict(`Image ${image.name} is already being uploaded.`);
  return NimbusError.conflict(`Image ${image.name} is ${image.status}: data can be uploaded to a queued image only.`);
}
