"use client";

import { z } from "zod";
import { imageUploadPath } from "@/lib/image-paths";

/** What the upload route answers on failure (apps/web/src/server/image-upload.ts). */
const uploadErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export class ImageUploadFailed extends Error {
  override readonly name = "ImageUploadFailed";
  constructor(
    /** The route's code (InvalidImage, TooLarge, Conflict, ...) or Network when no answer came. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface UploadProgress {
  sent: number;
  total: number;
}

/**
 * PUTs a file as the image's bits with XMLHttpRequest, whose upload events give real progress
 * (fetch has none for request bodies). The session cookie goes with it; the browser adds Origin.
 */
export function uploadImageFile(imageId: string, file: File, onProgress: (progress: UploadProgress) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", imageUploadPath(imageId));
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.upload.onprogress = (event) => onProgress({ sent: event.loaded, total: event.lengthComputable ? event.total : file.size });
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress({ sent: file.size, total: file.size });
        return resolve();
      }
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      const parsed = uploadErrorSchema.safeParse(body);
      reject(
        parsed.success
          ? new ImageUploadFailed(parsed.data.error.code, parsed.data.error.message)
          : new ImageUploadFailed("Internal", `The server answered HTTP ${xhr.status}.`),
      );
    };
    xhr.onerror = () => reject(new ImageUploadFailed("Network", "The upload was interrupted: the connection to the Nimbus server was lost."));
    xhr.onabort = () => reject(new ImageUploadFailed("Aborted", "The upload was cancelled."));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}
