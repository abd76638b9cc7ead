import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedInClient, startStack, TRPCClientError, type Stack } from "./harness";

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
