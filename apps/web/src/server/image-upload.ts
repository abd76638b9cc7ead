import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { z } from "zod";
import type { CoreContext, Services } from "@nimbus/core/context";
import type { Principal } from "@nimbus/core/policy";
import { isNimbusError, publicError, type ErrorCode } from "@nimbus/core/errors";
import { ImageUploadError, uploadImageData } from "@nimbus/core/images";
import { HTTP_STATUS, replyJson } from "./http-reply";
import { refuseUnsafeUpload, type SiteOrigin } from "./request-guards";

/** What an upload answers on failure: `{ error: { code, message } }` with one of these codes. */
export type UploadErrorCode = ErrorCode | ImageUploadError["reason"] | "UnsupportedMediaType";

const STATUS: Record<UploadErrorCode, number> = {
  ...HTTP_STATUS,
  // An upload stopped by the image quotas: 413, as Glance answers it (the body is what is too large).
  QuotaExceeded: 413,
  UnsupportedMediaType: 415,
  TooLarge: 413,
  InvalidImage: 400,
  Aborted: 400,
  // Glance answers a full store 413 too ("Image storage media is full").
  StoreFull: 413,
};

export interface ImageUploadDeps {
  services: Services;
  resolvePrincipal(req: IncomingMessage): Promise<{ principal: Principal | null }>;
  /** Whose Origin is this site's. */
  site: SiteOrigin;
  /** The client's address (behind a trusted proxy, the one it names), for the audit trail. */
  clientAddress(req: IncomingMessage): string | null;
  /** NIMBUS_IMAGE_MAX_BYTES */
  maxBytes: number;
  log: Logger;
}

const contentLength = z.coerce.number().int().nonnegative();

/** Why an upload failed, as its HTTP status, a code and a message (the console's and Glance's routes each write it their way). */
export interface UploadFailure {
  status: number;
  code: UploadErrorCode;
  message: string;
}

/** Thrown by `receiveImageData` before anything was received (a Content-Length that is no byte count). */
class UploadRefused extends Error {
  constructor(readonly failure: UploadFailure) {
    super(failure.message);
  }
}

/**
 * The bit receiver every image upload route shares (the console's, Glance's and a compute host's
 * snapshot): reads the request's Content-Length (a value that is no byte count is refused before
 * anything is read), hands the body to `store` (a core verb that streams, limits, checksums and
 * quota-checks it), and logs the outcome.
 */
export async function receiveBits<T extends { sizeBytes: number; diskFormat: string }>(
  req: IncomingMessage,
  { imageId, log }: { imageId: string; log: Logger },
  store: (declaredBytes: number | null) => Promise<T>,
): Promise<T> {
  const declared = req.headers["content-length"] === undefined ? null : contentLength.safeParse(req.headers["content-length"]);
  if (declared && !declared.success) throw new UploadRefused({ status: 400, code: "BadRequest", message: "Content-Length is not a byte count." });
  const started = Date.now();
  const image = await store(declared?.data ?? null);
  log.info({ imageId, bytes: image.sizeBytes, diskFormat: image.diskFormat, ms: Date.now() - started }, "image uploaded");
  return image;
}

/**
 * Receives a queued image's bits from a request body, streamed (never held whole), limited to
 * `maxBytes` and checksummed, as core's `uploadImageData` does it: the one upload path that the
 * console's route and Glance's `PUT /v2/images/{id}/file` share.
 */
export function receiveImageData(
  req: IncomingMessage,
  { ctx, imageId, maxBytes, log }: { ctx: CoreContext; imageId: string; maxBytes: number; log: Logger },
) {
  return receiveBits(req, { imageId, log }, (declaredBytes) => uploadImageData({ ctx, input: { imageId, body: req, maxBytes, declaredBytes } }));
}

/** What a failed upload (or anything before it, such as resolving the caller) answers; logs it. */
export function uploadFailure(error: unknown, { imageId, log }: { imageId: string; log: Logger }): UploadFailure {
  if (error instanceof UploadRefused) return error.failure;
  if (error instanceof ImageUploadError) {
    log.warn({ imageId, reason: error.reason }, "image upload refused");
    return { status: STATUS[error.reason], code: error.reason, message: error.message };
  }
  const { code, message } = publicError(error);
  if (isNimbusError(error)) log.warn({ imageId, code }, "image upload refused");
  else log.error({ err: error, imageId }, "image upload failed");
  return { status: STATUS[code], code, message };
}

function reply(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  // A refusal sent before the body was read: the connection cannot carry another request.
  replyJson(res, status, body, req.complete ? {} : { connection: "close" });
}

function refuse(req: IncomingMessage, res: ServerResponse, code: UploadErrorCode, message: string): void {
  reply(req, res, STATUS[code], { error: { code, message } });
}

/**
 * PUT /api/images/:id/file: the owner streams a queued image's bits (Glance's image data
 * upload). Authenticated as tRPC is (session cookie or API token), authorized by
 * `http:image-upload`, guarded against cross-site requests, never buffered whole.
 */
export function imageUploadHandler({ services, resolvePrincipal, site, maxBytes, log, clientAddress }: ImageUploadDeps) {
  return async (req: IncomingMessage, res: ServerResponse, imageId: string): Promise<void> => {
    // Only PUT reaches here: the route table answers any other method with 405 and Allow.
    const refusal = refuseUnsafeUpload(req, site);
    if (refusal) return refuse(req, res, refusal.status === 415 ? "UnsupportedMediaType" : "Forbidden", refusal.error);
    return resolvePrincipal(req)
      .then(({ principal }) =>
        receiveImageData(req, {
          ctx: { ...services, principal, requestId: `req-${randomUUID()}`, remoteAddress: clientAddress(req) },
          imageId,
          maxBytes,
          log,
        }),
      )
      .then(
        (image) => reply(req, res, 200, image),
        (error: unknown) => {
          const failure = uploadFailure(error, { imageId, log });
          reply(req, res, failure.status, { error: { code: failure.code, message: failure.message } });
        },
      );
  };
}
