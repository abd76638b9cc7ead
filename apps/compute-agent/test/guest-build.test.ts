/**
 * A compute host building guests end to end against a fake server: the spawn's phases and
 * download progress as the server sees them, one download for many spawns of one image, what a
 * failed spawn leaves (nothing), and what destroy and volume.delete remove.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, utimes } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ComputeHost } from "../src/compute-host";
import { SECRET, configDrive, imageRef, spawnCommand, volumeSpec } from "./support/commands";
import { FakeServer, downloadsOf, imageRequestsOf, reportsOf } from "./support/fake-server";
import { qcow2Bytes, qemuImgInfo } from "./support/images";

const HOSTNAME = "compute-guests";

describe("building guests", () => {
  let server: FakeServer;
  let stateDir: string;
  let host: ComputeHost;
  let diskBytes: Buffer;

  beforeAll(async () => {
    server = await FakeServer.listen();
    stateDir = await mkdtemp(path.join(os.tmpdir(), "nimbus-guests-"));
    diskBytes = await qcow2Bytes(64);
    host = await ComputeHost.open({
      hostname: HOSTNAME,
      simulated: false,
      libvirtUri: "test:///default",
      stateDir,
      vif: { kind: "user" },
      diskGb: 10,
      serverUrls: [server.url],
      heartbeatMs: 60_000,
      agentVersion: "test",
      log: pino({ level: "silent" }),
    });
    host.start(async () => ({ secret: SECRET }));
    await server.until((events) => events.find((e) => e.type === "register"));
  });

  afterAll(async () => {
    await host.stop(1000);
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  const phases = (id: string) => reportsOf(server.events, id).map((r) => r.phase);
  const settled = (id: string) => server.until((events) => reportsOf(events, id).find((r) => r.phase === "active" || r.phase === "error"));
  const instanceDir = (id: string) => path.join(stateDir, "instances", id);
  const volumeFile = (id: string) => path.join(stateDir, "volumes", `${id}.qcow2`);

  it("downloads an image once for spawns that want it at the same time, during block_device_mapping, with progress", async () => {
    const image = imageRef(diskBytes);
    server.images.set(image.id, diskBytes);
    const commands = [1, 2, 3].map(() => spawnCommand(randomUUID(), { image }));
    const release = server.holdImageDownloads();
    for (const command of commands) expect(await server.command(HOSTNAME, "instance.spawn", command)).toEqual({ ok: true });
    // Every spawn is waiting in block_device_mapping while the one download is held.
    await server.until((events) =>
      commands.every((c) => reportsOf(events, c.instance.id).some((r) => r.phase === "block_device_mapping")) &&
      imageRequestsOf(events, image.id).length > 0
        ? true
        : undefined,
    );
    release();
    for (const command of commands) await settled(command.instance.id);

    expect(imageRequestsOf(server.events, image.id)).toHaveLength(1);
    for (const { instance } of commands) {
      expect(phases(instance.id)).toEqual(["networking", "block_device_mapping", "spawning", "active"]);
      const progress = await server.until((events) => {
        const seen = downloadsOf(events, instance.id);
        return seen.at(-1)?.bytes === diskBytes.length ? seen : undefined;
      });
      expect(progress.every((p) => p.imageId === image.id && p.totalBytes === diskBytes.length)).toBe(true);
      expect(progress.at(-1)).toMatchObject({ bytes: diskBytes.length });
      expect((await qemuImgInfo(path.join(instanceDir(instance.id), "disk")))["backing-filename"]).toBe(path.join(stateDir, "_base", image.id));
    }
  });

  it("reports a checksum failure in plain words after removing everything the spawn made", async () => {
    const image = imageRef(diskBytes, { name: "cirros" });
    const tampered = Buffer.from(diskBytes);
    tampered[0] = 0;
    server.images.set(image.id, tampered);
    const volumes = await readdir(path.join(stateDir, "volumes")).catch(() => []);
    const id = randomUUID();
    const command = spawnCommand(id, { image, volumes: [volumeSpec({ device: "vdb" })], configDrive: configDrive(id) });

    await server.command(HOSTNAME, "instance.spawn", command);
    const failed = await settled(id);

    expect(failed.phase).toBe("error");
    expect(failed.message).toMatch(/^Image cirros failed its checksum: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}\.$/);
    expect(phases(id)).toEqual(["networking", "block_device_mapping", "error"]);
    expect(existsSync(instanceDir(id))).toBe(false);
    expect(await readdir(path.join(stateDir, "volumes")).catch(() => [])).toEqual(volumes);
    expect(existsSync(path.join(stateDir, "_base", image.id))).toBe(false);
  });

  it("destroys the domain, the instance directory and the volumes flagged delete; volume.delete removes the rest", async () => {
    const image = imageRef(diskBytes);
    server.images.set(image.id, diskBytes);
    const id = randomUUID();
    const doomed = volumeSpec({ device: "vdb" });
    const kept = volumeSpec({ device: "vdc" });
    const command = spawnCommand(id, { image, volumes: [doomed, kept], configDrive: configDrive(id) });
    await server.command(HOSTNAME, "instance.spawn", command);
    expect((await settled(id)).phase).toBe("active");
    expect((await readdir(instanceDir(id))).sort()).toEqual(["disk", "disk.config", "images.json"]);

    const destroy = {
      commandId: randomUUID(),
      instanceId: id,
      volumes: [
        { id: doomed.id, delete: true },
        { id: kept.id, delete: false },
      ],
      ports: [],
    };
    expect(await server.command(HOSTNAME, "instance.destroy", destroy)).toEqual({ ok: true });
    await server.until((events) => reportsOf(events, id).find((r) => r.phase === "deleted"));
    expect(existsSync(instanceDir(id))).toBe(false);
    expect(existsSync(volumeFile(doomed.id))).toBe(false);
    expect(existsSync(volumeFile(kept.id))).toBe(true);

    // Acknowledged only once the file is gone; a volume with no file here is fine too.
    expect(await server.command(HOSTNAME, "volume.delete", { commandId: randomUUID(), volumeId: kept.id })).toEqual({ ok: true });
    expect(existsSync(volumeFile(kept.id))).toBe(false);
    expect(await server.command(HOSTNAME, "volume.delete", { commandId: randomUUID(), volumeId: kept.id })).toEqual({ ok: true });
    expect(await server.command(HOSTNAME, "volume.delete", { commandId: randomUUID(), volumeId: "not-a-uuid" })).toMatchObject({ ok: false });
  });

  it("prunes cached images that no instance here uses once unused for a day; a later build downloads them again", async () => {
    const base = (imageId: string) => path.join(stateDir, "_base", imageId);
    const age = async (imageId: string) => {
      const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
      await utimes(base(imageId), twoDaysAgo, twoDaysAgo);
    };
    const destroy = async (instanceId: string) => {
      await server.command(HOSTNAME, "instance.destroy", { commandId: randomUUID(), instanceId, volumes: [], ports: [] });
      await server.until((events) => reportsOf(events, instanceId).find((r) => r.phase === "deleted"));
    };
    const kept = imageRef(diskBytes);
    const dropped = imageRef(diskBytes);
    server.images.set(kept.id, diskBytes);
    server.images.set(dropped.id, diskBytes);
    const [running, gone] = [randomUUID(), randomUUID()];
    await server.command(HOSTNAME, "instance.spawn", spawnCommand(running, { image: kept }));
    await server.command(HOSTNAME, "instance.spawn", spawnCommand(gone, { image: dropped }));
    expect((await settled(running)).phase).toBe("active");
    expect((await settled(gone)).phase).toBe("active");
    await destroy(gone);

    // Both unused for two days; one still backs a running instance's disk.
    await age(kept.id);
    await age(dropped.id);
    const removed = await host.pruneImageCache();
    expect(removed).toContain(dropped.id);
    expect(removed).not.toContain(kept.id);
    expect(existsSync(base(dropped.id))).toBe(false);
    expect(existsSync(base(kept.id))).toBe(true);

    // Wanted again: downloaded again, and taking it makes it recent.
    const downloads = imageRequestsOf(server.events, dropped.id).length;
    const again = randomUUID();
    await server.command(HOSTNAME, "instance.spawn", spawnCommand(again, { image: dropped }));
    expect((await settled(again)).phase).toBe("active");
    expect(imageRequestsOf(server.events, dropped.id)).toHaveLength(downloads + 1);
    await destroy(again);
    expect(await host.pruneImageCache()).not.toContain(dropped.id);

    // An instance an older agent built has no record: its disk's backing file says what it uses.
    const older = randomUUID();
    await server.command(HOSTNAME, "instance.spawn", spawnCommand(older, { image: dropped }));
    expect((await settled(older)).phase).toBe("active");
    await rm(path.join(instanceDir(older), "images.json"));
    await age(dropped.id);
    expect(await host.pruneImageCache()).not.toContain(dropped.id);
    expect(existsSync(base(dropped.id))).toBe(true);
    await destroy(older);
    expect(await host.pruneImageCache()).toContain(dropped.id);
  });
});
