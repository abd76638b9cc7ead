/**
 * The host's image cache (Nova's `_base`): one verified copy of every image an instance on this
 * host has used, at `<dir>/<imageId>`, downloaded from the servers with the host's own
 * credential. Instance disks are qcow2 overlays on these files, so they are never changed once
 * in place. A file's modification time is when an instance last took it; `prune` removes the
 * ones no instance on the host uses once they have gone unused long enough (Nova's image cache
 * manager).
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, mkdir, readdir, rename, rm, stat, utimes } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "pino";
import { IMAGE_DOWNLOAD_PATH } from "@nimbus/core/protocol/http";
import type { ImageRef } from "@nimbus/core/protocol/agent";
import { isMissingFile, messageOf } from "./error-message";
import { agentHttpHeaders, type AuthProvider } from "./host-auth";
import { reasonOf } from "./http-reason";

/** Called as bytes arrive: how many so far, of how many. */
export type DownloadListener = (bytes: number, totalBytes: number) => void;

/** What the driver needs from the cache: the local path of a verified copy of the image. */
export interface ImageSource {
  fetch(image: ImageRef, onProgress?: DownloadListener): Promise<string>;
}

export interface ImageCacheOptions {
  /** `<stateDir>/_base` */
  dir: string;
  /** The servers the agent talks to, tried in turn (the last one that answered first). */
  serverUrls: string[];
  hostname: string;
  /** The host credential or shared secret the socket handshake presents; used for downloads too. */
  auth: AuthProvider;
  log: Logger;
  /** A download that receives nothing for this long is abandoned. */
  stallTimeoutMs?: number;
}

/** A download that arrived whole but is not the image the server described: never retried. */
export class ImageIntegrityError extends Error {
  override readonly name = "ImageIntegrityError";
}

const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/**
 * When the cache is pruned, and how long an image no instance uses stays: Nova's defaults
 * (image_cache.manager_interval, remove_unused_original_minimum_age_seconds), every 40 minutes
 * of images unused for a day.
 */
export const DEFAULT_IMAGE_CACHE_PRUNING = { pruneIntervalMs: 2_400_000, minAgeMs: 86_400_000 };

interface Download {
  done: Promise<string>;
  listeners: Set<DownloadListener>;
}

/** Mode of cached files: libvirt's QEMU runs as its own user and must read them. */
const WORLD_READABLE = 0o644;
const WORLD_SEARCHABLE = 0o755;

export class ImageCache implements ImageSource {
  /** Downloads under way, one per image, shared by every spawn that wants the image meanwhile. */
  private readonly downloads = new Map<string, Download>();
  /** Index of the server that answered the last download. */
  private preferred = 0;
  /** Fetches under way per image (the file's time is refreshed as one returns): pruning leaves these alone. */
  private readonly fetching = new Map<string, number>();
  /** Images being removed: a fetch of one waits until it is gone, then downloads it again. */
  private readonly removing = new Map<string, Promise<void>>();

  constructor(private readonly options: ImageCacheOptions) {
    if (options.serverUrls.length === 0) throw new Error("The image cache needs at least one server URL.");
  }

  /** Where the cached copy of an image lives (whether or not it is there yet). */
  pathOf(imageId: string): string {
    return path.join(this.options.dir, imageId.toLowerCase());
  }

  /**
   * The path of the verified cached copy of `image`, downloading it first when the host has
   * none. Concurrent calls for one image share one download; each caller hears its progress.
   */
  async fetch(image: ImageRef, onProgress?: DownloadListener): Promise<string> {
    const key = image.id.toLowerCase();
    this.fetching.set(key, (this.fetching.get(key) ?? 0) + 1);
    try {
      await this.removing.get(key);
      return await this.share(image, onProgress);
    } finally {
      const left = (this.fetching.get(key) ?? 1) - 1;
      if (left === 0) this.fetching.delete(key);
      else this.fetching.set(key, left);
    }
  }

  /** One download per image, shared by every caller meanwhile; each hears its progress. */
  private async share(image: ImageRef, onProgress?: DownloadListener): Promise<string> {
    let download = this.downloads.get(image.id);
    if (!download) {
      const listeners = new Set<DownloadListener>();
      const done = this.obtain(image, listeners).finally(() => this.downloads.delete(image.id));
      download = { done, listeners };
      this.downloads.set(image.id, download);
    }
    if (onProgress) download.listeners.add(onProgress);
    try {
      return await download.done;
    } finally {
      if (onProgress) download.listeners.delete(onProgress);
    }
  }

  private async obtain(image: ImageRef, listeners: Set<DownloadListener>): Promise<string> {
    const file = this.pathOf(image.id);
    const notify = (bytes: number) => {
      for (const listener of listeners) listener(bytes, image.sizeBytes);
    };
    const cached = await stat(file).catch(() => null);
    if (cached?.isFile() && cached.size === image.sizeBytes) {
      // Taken again: it counts as used from now on.
      const now = new Date();
      await utimes(file, now, now);
      notify(image.sizeBytes);
      return file;
    }
    await mkdir(this.options.dir, { recursive: true });
    await chmod(this.options.dir, WORLD_SEARCHABLE);
    const started = Date.now();
    await this.download(image, file, notify);
    this.options.log.info({ imageId: image.id, bytes: image.sizeBytes, ms: Date.now() - started }, "image downloaded into the cache");
    return file;
  }

  /** Tries every server once, starting with the one that answered last. */
  private async download(image: ImageRef, file: string, notify: (bytes: number) => void): Promise<void> {
    const { serverUrls, log } = this.options;
    const failures: string[] = [];
    for (let attempt = 0; attempt < serverUrls.length; attempt += 1) {
      const index = (this.preferred + attempt) % serverUrls.length;
      const url = `${serverUrls[index] ?? ""}${IMAGE_DOWNLOAD_PATH(image.id)}`;
      try {
        await this.downloadFrom(url, image, file, notify);
        this.preferred = index;
        return;
      } catch (error) {
        if (error instanceof ImageIntegrityError) throw error;
        log.warn({ url, imageId: image.id, reason: messageOf(error) }, "image download failed");
        failures.push(messageOf(error));
      }
    }
    throw new Error(`Image ${image.name} could not be downloaded: ${failures.join("; ")}`);
  }

  /** Streams the image into `<file>.part` while hashing it, verifies it, then moves it into place. */
  private async downloadFrom(url: string, image: ImageRef, file: string, notify: (bytes: number) => void): Promise<void> {
    const part = `${file}.part`;
    const abort = new AbortController();
    const stallMs = this.options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    const stalled = setTimeout(() => abort.abort(new Error(`nothing arrived for ${Math.round(stallMs / 1000)} s`)), stallMs);
    try {
      const response = await fetch(url, {
        headers: { ...(await this.authHeaders()), accept: "application/octet-stream" },
        // A redirect would carry the host credential to an address nobody configured.
        redirect: "error",
        signal: abort.signal,
      });
      if (!response.ok || !response.body) throw new Error(`the server answered HTTP ${response.status}: ${await reasonOf(response)}`);
      const hash = createHash("sha256");
      let bytes = 0;
      const verify = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          stalled.refresh();
          bytes += chunk.length;
          if (bytes > image.sizeBytes) {
            callback(new ImageIntegrityError(`Image ${image.name} is larger than the ${image.sizeBytes} bytes the server recorded for it.`));
            return;
          }
          hash.update(chunk);
          notify(bytes);
          callback(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(response.body), verify, createWriteStream(part, { mode: WORLD_READABLE }), { signal: abort.signal });
      if (bytes !== image.sizeBytes) {
        throw new ImageIntegrityError(`Image ${image.name} arrived with ${bytes} bytes; the server recorded ${image.sizeBytes}.`);
      }
      const actual = hash.digest("hex");
      if (actual !== image.checksumSha256) {
        throw new ImageIntegrityError(`Image ${image.name} failed its checksum: expected sha256 ${image.checksumSha256}, got ${actual}.`);
      }
      await chmod(part, WORLD_READABLE);
      await rename(part, file);
    } catch (error) {
      await rm(part, { force: true });
      // An abort rejects with the reason given to `abort()`, or with a generic AbortError.
      throw abort.signal.aborted && !(error instanceof ImageIntegrityError) ? (abort.signal.reason as Error) : error;
    } finally {
      clearTimeout(stalled);
    }
  }

  /**
   * Removes the cached images that no instance on the host uses (`inUse`: image ids) and that
   * no instance took for `minAgeMs`, and partial downloads as old that no download continues;
   * downloads under way are left alone. Returns the ids of the images removed.
   */
  async prune({ inUse, minAgeMs }: { inUse: ReadonlySet<string>; minAgeMs: number }): Promise<string[]> {
    const names = await readdir(this.options.dir).catch((error: unknown) => {
      if (isMissingFile(error)) return [];
      throw error;
    });
    const removed: string[] = [];
    for (const name of names) {
      const partial = name.endsWith(".part");
      const id = partial ? name.slice(0, -".part".length) : name;
      // A download runs inside a fetch: an image being fetched (or downloaded) is left alone.
      if ((!partial && inUse.has(id)) || this.fetching.has(id)) continue;
      const file = path.join(this.options.dir, name);
      const found = await stat(file).catch(() => null);
      if (!found?.isFile() || Date.now() - found.mtimeMs < minAgeMs) continue;
      // Checked again after the wait, and marked in the same turn: a fetch from now on waits.
      if (this.fetching.has(id) || this.removing.has(id)) continue;
      const gone = rm(file, { force: true });
      this.removing.set(
        id,
        gone.catch(() => undefined),
      );
      try {
        await gone;
      } finally {
        this.removing.delete(id);
      }
      if (partial) continue; // a download a crash left behind
      this.options.log.info(
        { imageId: id, bytes: found.size, unusedForHours: Math.floor((Date.now() - found.mtimeMs) / 3_600_000) },
        "unused image removed from the cache",
      );
      removed.push(id);
    }
    return removed;
  }

  private authHeaders(): Promise<Record<string, string>> {
    return agentHttpHeaders(this.options.auth, this.options.hostname);
  }
}
