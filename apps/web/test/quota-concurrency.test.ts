import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "@nimbus/db/client";
import { freshDatabase, signedInClient, startStack, TRPCClientError, type Stack } from "./harness";

/** Quota check and insert are one atomic step: parallel launches never exceed the limit. */
describe("quota under concurrency (real PostgreSQL)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack("postgres");
  });
  afterAll(async () => stack?.stop());

  it("50 parallel launches against an instances quota of 10 leave exactly 10 instances", async () => {
    const { client } = await signedInClient(stack.server.url);
    const [flavors, images, networks] = await Promise.all([
      client.catalog.flavors.query(),
      client.catalog.images.query(),
      client.catalog.networks.query(),
    ]);
    const input = { count: 1, imageId: images[0]!.id, flavorId: flavors.find((f) => f.name === "m1.tiny")!.id, networkId: networks[0]!.id };

    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => client.instances.launch.mutate({ ...input, name: `par-${i}` })));
    const accepted = results.filter((r) => r.status === "fulfilled");
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const error of refused) {
      expect(error).toBeInstanceOf(TRPCClientError);
      expect((error as Error).message).toBe("Quota exceeded for instances: requested 1, already used 10 of 10.");
    }
    expect(await client.instances.list.query()).toHaveLength(10);
    expect((await client.quota.usage.query()).instances).toEqual({ used: 10, limit: 10 });
  });

  it("deleting instances frees their quota: parallel launches then take exactly what was freed", async () => {
    const { client } = await signedInClient(stack.server.url);
    const [flavors, images, networks] = await Promise.all([
      client.catalog.flavors.query(),
      client.catalog.images.query(),
      client.catalog.networks.query(),
    ]);
    const input = { count: 1, imageId: images[0]!.id, flavorId: flavors.find((f) => f.name === "m1.tiny")!.id, networkId: networks[0]!.id };
    const mine = await client.instances.list.query();
    expect(mine).toHaveLength(10);
    await Promise.all(mine.slice(0, 3).map((i) => client.instances.delete.mutate({ id: i.id })));
    expect((await client.quota.usage.query()).instances).toEqual({ used: 7, limit: 10 });

    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => client.instances.launch.mutate({ ...input, name: `again-${i}` })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    expect((await client.quota.usage.query()).instances).toEqual({ used: 10, limit: 10 });
  });

  it("multi-create is all-or-nothing against quota", async () => {
    const { client } = await signedInClient(stack.server.url);
    const [flavors, images, networks] = await Promise.all([
      client.catalog.flavors.query(),
      client.catalog.images.query(),
      client.catalog.networks.query(),
    ]);
    const before = (await client.instances.list.query()).length;
    await expect(
      client.instances.launch.mutate({ name: "batch", count: 3, imageId: images[0]!.id, flavorId: flavors[0]!.id, networkId: networks[0]!.id }),
    ).rejects.toThrow(/Quota exceeded for instances: requested 3/);
    expect(await client.instances.list.query()).toHaveLength(before);
  });
});

/**
 * The usage counters (quota_usages) are kept by the database with the instances: whatever runs
 * at once, committed or rolled back, they end equal to a count of the rows (Nova's
 * quota_usages drifted; these must not).
 */
describe("quota usage counters under concurrency (real PostgreSQL)", () => {
  it("equal a count of the instances after 16 connections insert, delete, resize, move and roll back at once", async () => {
    const database = await freshDatabase();
    const handle = await openDatabase({ url: database.url });
    const sql = postgres(database.url, { max: 16, onnotice: () => {} });
    try {
      const projects = await sql<{ id: string }[]>`insert into projects (name) values ('counted-a'), ('counted-b') returning id`;
      const [user] = await sql<{ id: string }[]>`insert into users (name, password_hash) values ('counter', 'x') returning id`;
      const [flavor] = await sql<{ id: string }[]>`insert into flavors (name, vcpus, memory_mb, root_gb) values ('counted', 1, 512, 1) returning id`;
      const [a, b] = [projects[0]!.id, projects[1]!.id];
      const done = { insert: 0, softDelete: 0, resize: 0, move: 0, hardDelete: 0, stop: 0, rolledBack: 0 };
      /** One live instance of `project`, locked, that no other connection holds. */
      const pick = (tx: postgres.TransactionSql, project: string) =>
        tx<{ id: string }[]>`select id from instances where project_id = ${project} and vm_state <> 'deleted'
          order by random() limit 1 for update skip locked`;
      const worker = async (w: number) => {
        for (let n = 0; n < 30; n++) {
          const project = (w + n) % 2 === 0 ? a : b;
          const other = project === a ? b : a;
          const kind = (w * 7 + n * 3) % 6;
          const rollBack = (w + n) % 5 === 0;
          await sql
            .begin(async (tx) => {
              if (kind <= 1) {
                await tx`insert into instances (name, project_id, user_id, flavor_id, vcpus, memory_mb, root_gb, reservation_id)
                  select 'c-' || g, ${project}, ${user!.id}, ${flavor!.id}, 1 + g, 512 * g, 1, 'r-counted'
                  from generate_series(1, ${1 + (n % 3)}) g`;
              } else {
                const [row] = await pick(tx, project);
                if (row) {
                  if (kind === 2) await tx`update instances set vm_state = 'deleted', deleted_at = now() where id = ${row.id}`;
                  if (kind === 3) await tx`update instances set vcpus = vcpus + 2, memory_mb = memory_mb * 2 where id = ${row.id}`;
                  if (kind === 4) await tx`update instances set project_id = ${other} where id = ${row.id}`;
                  if (kind === 5) {
                    // Half of these only change what does not count (stopped); half remove the row outright.
                    if (n % 2 === 0) await tx`update instances set vm_state = 'stopped' where id = ${row.id}`;
                    else await tx`delete from instances where id = ${row.id}`;
                  }
                }
              }
              if (rollBack) throw new RollBack();
            })
            .then(
              () => {
                const name = (["insert", "insert", "softDelete", "resize", "move", n % 2 === 0 ? "stop" : "hardDelete"] as const)[kind]!;
                done[name]++;
              },
              (error: unknown) => {
                if (!(error instanceof RollBack)) throw error;
                done.rolledBack++;
              },
            );
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));

      // Every kind of change ran (else the comparison below proves less than it says).
      for (const [kind, count] of Object.entries(done)) expect(count, kind).toBeGreaterThan(0);
      const counted = await sql<{ project_id: string; instances: number; cores: number; ram: number }[]>`
        select project_id, count(*)::int as instances, sum(vcpus)::int as cores, sum(memory_mb)::int as ram
        from instances where vm_state <> 'deleted' group by project_id order by project_id`;
      const counters = await sql<{ project_id: string; instances: number; cores: number; ram: number }[]>`
        select project_id, instances, cores, ram from quota_usages where instances <> 0 or cores <> 0 or ram <> 0 order by project_id`;
      expect(counted.length).toBe(2);
      expect(counters).toEqual(counted);
    } finally {
      await sql.end();
      await handle.close();
      await database.drop();
    }
  });
});

class RollBack extends Error {}
