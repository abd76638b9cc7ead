import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { TransactionRollbackError } from "@nimbus/db/orm";
import { signedInClient, startStack, waitFor, type Stack } from "./harness";

/**
 * Launch admission through the real API on PostgreSQL: launches held inside their transaction
 * (an uncommitted idempotency key makes them wait on its row) fill what the web server runs at
 * once; the rest wait their turn, the admin's view shows both, and every one completes.
 */
describe("launch admission", () => {
  let stack: Stack;
  beforeAll(async () => {
    // Room in the pool for every held launch, and for the admin's own calls beside them.
    stack = await startStack("postgres", { NIMBUS_DB_CONNECTIONS: "60" });
  });
  afterAll(async () => stack?.stop());

  it("launch calls beyond what the server runs at once wait their turn, show on the admin's view, and all complete", async () => {
    const admin = await signedInClient(stack.server.url);
    expect(await admin.client.hosts.launchAdmission.query()).toEqual({ enabled: true, targetDelayMs: 5, limit: 8, running: 0, waiting: 0 });

    const { projectId } = (await admin.client.auth.whoami.query())!;
    const [flavors, images, networks] = await Promise.all([
      admin.client.catalog.flavors.query(),
      admin.client.catalog.images.query(),
      admin.client.catalog.networks.query(),
    ]);
    const idempotencyKey = randomUUID();
    const input = { name: "held", count: 1, imageId: images[0]!.id, flavorId: flavors[0]!.id, networkId: networks[0]!.id, idempotencyKey };

    // The key's row, inserted and not committed: a launch with the key waits on it inside its
    // transaction, holding its place in what the server runs at once.
    let release!: () => void;
    let held!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const inserted = new Promise<void>((resolve) => (held = resolve));
    const holding = stack.server.services.db
      .transaction(async (tx) => {
        await tx.insert(schema.launchRequests).values({ projectId, idempotencyKey, reservationId: "r-held", instanceIds: [] });
        held();
        await released;
        tx.rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof TransactionRollbackError)) throw error;
      });
    await inserted;

    const CALLS = 40;
    const launches = Array.from({ length: CALLS }, () => admin.client.instances.launch.mutate(input));
    try {
      // Read as soon as every call has arrived (the limit grows by only one a window while
      // callers wait). A limit lowered meanwhile stops none already running: more may run.
      let seen = { running: 0, waiting: 0, limit: 0 };
      await waitFor("every launch call admitted or waiting", async () => {
        seen = await admin.client.hosts.launchAdmission.query();
        return seen.running + seen.waiting === CALLS;
      });
      expect(seen.running).toBeGreaterThanOrEqual(seen.limit);
      expect(seen.waiting).toBeGreaterThan(0);
    } finally {
      release();
      await holding;
    }
    const answers = await Promise.all(launches);
    // One launch recorded the instance; every other call got the same answer back.
    expect(new Set(answers.map((a) => a.instanceIds.join()))).toHaveProperty("size", 1);
    expect((await admin.client.instances.list.query()).filter((i) => i.name === "held")).toHaveLength(1);
    expect(await admin.client.hosts.launchAdmission.query()).toMatchObject({ running: 0, waiting: 0 });
  });

  it("says so when admission is off", async () => {
    const off = await startStack("pglite", { NIMBUS_LAUNCH_ADMISSION_DELAY_MS: "0" });
    try {
      const admin = await signedInClient(off.server.url);
      expect(await admin.client.hosts.launchAdmission.query()).toMatchObject({ enabled: false, running: 0, waiting: 0 });
    } finally {
      await off.stop();
    }
  });
});
