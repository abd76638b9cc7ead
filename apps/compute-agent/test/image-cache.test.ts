/** The image cache against a real HTTP server that checks the host's credentials. */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AgentHandshake } from "@nimbus/core/protocol/agent";
import type { HandshakeAuth } from "../src/host-auth";
import { ImageCache } from "../src/image-cache";
import { SECRET, imageRef } from "./support/commands";
import { FakeServer, imageRequestsOf } from "./support/fake-server";

const CREDENTIAL = "host-credential-0123456789abcdef";

async function waitForFile(file: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await stat(file).catch(() => null)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${file} never appeared`);
}
/** Several pieces of the fake server's 64 KiB writes. */
const BYTES = Buffer.alloc(300 * 1024, "nimbus image ");

describe("ImageCache", () => {
  let dir: string;
  let server: FakeServer;
  const seen: AgentHandshake[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "nimbus-base-"));
    seen.length = 0;
    server = await FakeServer.listen({
      authorize: (handshake) => {
        seen.push(handshake);
        return handshake.credential === CREDENTIAL || handshake.secret === SECRET ? null : "unknown host credential";
      },
    });
  });

  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  function cache(auth: HandshakeAuth = { secret: SECRET }, serverUrls = [server.url]): ImageCache {
    return new ImageCache({
      dir: path.join(dir, "_base"),
      serverUrls,
      hostname: "compute-1",
      auth: async () => auth,
      log: pino({ level: "silent" }),
    });
  }

  it("downloads an image once for concurrent requests, reports progress to each, and reuses the copy later", async () => {
    const image = imageRef(BYTES);
    server.images.set(image.id, BYTES);
    const images = cache();
    const release = server.holdImageDownloads();
    const progress: [number, number][][] = [[], [], []];

    const fetches = progress.map((seen) => images.fetch(image, (bytes, total) => seen.push([bytes, total])));
    await server.until((events) => imageRequestsOf(events, image.id)[0]);
    release();
    const paths = await Promise.all(fetches);

    expect(new Set(paths)).toEqual(new Set([path.join(dir, "_base", image.id)]));
    expect(imageRequestsOf(server.events, image.id)).toHaveLength(1);
    expect((await readFile(paths[0]!)).equals(BYTES)).toBe(true);
    // libvirt's QEMU runs as another user and must read the base.
    expect((await stat(paths[0]!)).mode & 0o777).toBe(0o644);
    for (const seen of progress) {
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.at(-1)).toEqual([BYTES.length, BYTES.length]);
      expect(seen.map(([bytes]) => bytes)).toEqual([...seen.map(([bytes]) => bytes)].sort((a, b) => a - b));
    }

    const later: [number, number][] = [];
    expect(await images.fetch(image, (bytes, total) => later.push([bytes, total]))).toBe(paths[0]);
    expect(imageRequestsOf(server.events, image.id)).toHaveLength(1);
    expect(later).toEqual([[BYTES.length, BYTES.length]]);
  });

  it("refuses bytes that fail the checksum, keeps nothing, and downloads the image again next time", async () => {
    const image = imageRef(BYTES, { name: "cirros" });
    const tampered = Buffer.from(BYTES);
    tampered[1000] = 0;
    server.images.set(image.id, tampered);
    const images = cache();

    await expect(images.fetch(image)).rejects.toThrow(`Image cirros failed its checksum: expected sha256 ${image.checksumSha256}, got `);
    expect(await readdir(path.join(dir, "_base"))).toEqual([]);

    server.images.set(image.id, BYTES);
    expect((await readFile(await images.fetch(image))).equals(BYTES)).toBe(true);
    expect(imageRequestsOf(server.events, image.id)).toHaveLength(2);
  });

  it("refuses an image longer or shorter than the server recorded", async () => {
    const image = imageRef(BYTES, { name: "debian" });
    server.images.set(image.id, Buffer.concat([BYTES, Buffer.from("more")]));
    await expect(cache().fetch(image)).rejects.toThrow(`Image debian is larger than the ${BYTES.length} bytes the server recorded for it.`);

    server.images.set(image.id, BYTES.subarray(0, 1000));
    await expect(cache().fetch(image)).rejects.toThrow(`Image debian arrived with 1000 bytes; the server recorded ${BYTES.length}.`);
    expect(await readdir(path.join(dir, "_base"))).toEqual([]);
  });

  it("authenticates with the host credential or the shared secret, and the hostname", async () => {
    const image = imageRef(BYTES);
    server.images.set(image.id, BYTES);
    await cache({ credential: CREDENTIAL }).fetch(image);
    expect(seen.at(-1)).toMatchObject({ credential: CREDENTIAL, hostname: "compute-1" });
    expect(seen.at(-1)?.secret).toBeUndefined();

    await rm(path.join(dir, "_base"), { recursive: true });
    await cache({ secret: SECRET }).fetch(image);
    expect(seen.at(-1)).toMatchObject({ secret: SECRET, hostname: "compute-1" });
    expect(seen.at(-1)?.credential).toBeUndefined();
  });

  it("says why the server refused the download", async () => {
    const image = imageRef(BYTES, { name: "cirros" });
    server.images.set(image.id, BYTES);
    await expect(cache({ credential: "revoked-credential-0123456789" }).fetch(image)).rejects.toThrow(
      "Image cirros could not be downloaded: the server answered HTTP 403: unknown host credential",
    );
    await expect(cache().fetch(imageRef(BYTES, { id: randomUUID(), name: "gone" }))).rejects.toThrow(
      "Image gone could not be downloaded: the server answered HTTP 404: no such image",
    );
  });

  it("downloads from the next server when one is down", async () => {
    const image = imageRef(BYTES);
    server.images.set(image.id, BYTES);
    const down = await FakeServer.listen();
    await down.close();
    const images = cache({ secret: SECRET }, [down.url, server.url]);
    expect((await readFile(await images.fetch(image))).equals(BYTES)).toBe(true);
  });

  it("prune removes old images not in use and stale partial downloads; keeps images in use, recent ones and downloads under way", async () => {
    const images = cache();
    const base = path.join(dir, "_base");
    await mkdir(base, { recursive: true });
    const old = new Date(Date.now() - 3_600_000);
    const [used, unused, recent, crashed] = [randomUUID(), randomUUID(), randomUUID(), `${randomUUID()}.part`];
    for (const name of [used, unused, recent, crashed]) await writeFile(path.join(base, name), "bits");
    for (const name of [used, unused, crashed]) await utimes(path.join(base, name), old, old);
    // A download under way, its partial file as old.
    const image = imageRef(BYTES);
    server.images.set(image.id, BYTES);
    const release = server.holdImageDownloads();
    const fetching = images.fetch(image);
    await server.until((events) => imageRequestsOf(events, image.id)[0]);
    await waitForFile(path.join(base, `${image.id}.part`));
    await utimes(path.join(base, `${image.id}.part`), old, old);

    expect(await images.prune({ inUse: new Set([used]), minAgeMs: 60_000 })).toEqual([unused]);
    expect((await readdir(base)).sort()).toEqual([used, recent, `${image.id}.part`].sort());
    release();
    expect(await fetching).toBe(path.join(base, image.id));
  });
});
