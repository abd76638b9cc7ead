/**
 * VXLAN segmentation ids (VNIs) are given by the database as a network is inserted (migration
 * 0018): unique, never null, and a released one comes back only after the range went round and
 * its quarantine is over; a vlan network has none, and its VLAN id is held once per physical
 * network (migration 0030). On both databases Nimbus runs on.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "../src/client";
import { schema } from "../src/index";
import { scratchDatabase } from "./scratch";

const MAX_VNI = 16_777_215;

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
      const database = await scratchDatabase(`nimbus_db_segments_${process.pid}`);
      const handle = await openDatabase({ url: database.url, maxConnections: 8 });
      return { handle, cleanup: database.drop };
    },
  ],
];

describe.each(drivers)("segmentation ids on %s", (_name, open) => {
  let handle: DatabaseHandle;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ handle, cleanup } = await open());
  }, 60_000);
  afterAll(async () => {
    await handle.close();
    await cleanup();
  });

  const create = async (name: string) => {
    const [row] = await handle.db.insert(schema.networks).values({ name }).returning();
    return row!;
  };

  it("gives every new network its own VNI and an overlay MTU", async () => {
    const made = await Promise.all(Array.from({ length: 20 }, (_, i) => create(`n${i}`)));
    const vnis = made.map((n) => n.segmentationId);
    expect(vnis.every((v) => typeof v === "number" && v >= 1 && v <= MAX_VNI)).toBe(true);
    expect(new Set(vnis).size).toBe(20);
    expect(made.every((n) => n.mtu === 1450)).toBe(true);
  });

  it("does not give a deleted network's VNI to the next network", async () => {
    const first = await create("short-lived");
    await handle.db.delete(schema.networks).where(eq(schema.networks.id, first.id));
    const next = await create("next");
    expect(next.segmentationId).not.toBe(first.segmentationId);
    const [released] = await handle.db
      .select()
      .from(schema.releasedSegments)
      .where(eq(schema.releasedSegments.segmentationId, first.segmentationId!));
    expect(released).toBeDefined();
  });

  it("after the range goes round, skips VNIs in use and VNIs in quarantine, and takes one whose quarantine is over", async () => {
    // One after the other, so three consecutive draws: v, v + 1, v + 2.
    const inUse = await create("holds-v");
    const quarantined = await create("released-recently");
    const longGone = await create("released-long-ago");
    const v = inUse.segmentationId!;
    expect([quarantined.segmentationId, longGone.segmentationId]).toEqual([v + 1, v + 2]);
    await handle.db.delete(schema.networks).where(eq(schema.networks.id, quarantined.id));
    await handle.db.delete(schema.networks).where(eq(schema.networks.id, longGone.id));
    await handle.db.execute(sql`update ${schema.releasedSegments} set released_at = now() - interval '2 days' where segmentation_id = ${v + 2}`);

    // The last VNI of the range, then round to 1: every id below v is held by the earlier tests'
    // networks or in quarantine (the deleted one), v is held, v + 1 is in quarantine, and
    // v + 2's quarantine is over.
    await handle.db.execute(sql`select setval('network_vni_seq', ${MAX_VNI - 1})`);
    expect((await create("last-of-range")).segmentationId).toBe(MAX_VNI);
    expect((await create("after-wrap")).segmentationId).toBe(v + 2);
  });

  it("holds a vlan network's VLAN id once per physical network, within 1–4094, and gives it no VNI (migration 0030)", async () => {
    const vlan = (name: string, physicalNetwork: string | null, vlanId: number | null) =>
      handle.db.insert(schema.networks).values({ name, networkType: "vlan", physicalNetwork, vlanId, mtu: 1500 }).returning();
    const [first] = await vlan("v101", "physnet2", 101);
    expect(first).toMatchObject({ vlanId: 101, segmentationId: null });
    // The same id on another physical network is another VLAN.
    await vlan("v101-elsewhere", "physnet3", 101);
    const causes = async (insert: Promise<unknown>) => {
      const error = await insert.then(
        () => null,
        (e: unknown) => e,
      );
      const messages: string[] = [];
      for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) messages.push(String((e as Error).message));
      return messages.join(" | ");
    };
    expect(await causes(vlan("v101-again", "physnet2", 101))).toMatch(/networks_physical_network_vlan_unique/);
    expect(await causes(vlan("v4095", "physnet2", 4095))).toMatch(/networks_vlan_segment/);
    expect(await causes(vlan("no-id", "physnet2", null))).toMatch(/networks_vlan_segment/);
    expect(await causes(vlan("no-physnet", null, 7))).toMatch(/networks_vlan_segment/);
    expect(await causes(handle.db.insert(schema.networks).values({ name: "vx", vlanId: 7, physicalNetwork: "physnet2" }))).toMatch(
      /networks_vlan_segment/,
    );
  });
});
