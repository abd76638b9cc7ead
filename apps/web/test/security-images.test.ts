import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, PERSONA_PASSWORD, signedInClient, startStack, TRPCClientError, type Stack } from "./harness";

/**
 * Issue 21, "Images: only the owners and the hosts that need them", against a real server on
 * real PostgreSQL: host-scoped image download, member consent, image quotas (also while an
 * upload streams), the image-to-volume launch counted once, and a revoked hostname refused with
 * the shared secret.
 */

type Client = Awaited<ReturnType<typeof signedInClient>>["client"];

const MiB = 1024 * 1024;

/** What a refused call carried: tRPC code, domain code, message. */
async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof TRPCClientError)) throw new Error(`expected a refusal, got ${error === null ? "success" : String(error)}`);
  const data = error.data as { code: string; nimbus: { code: string } | null; fieldErrors: Record<string, string[]> | null };
  return { code: data.code, nimbusCode: data.nimbus?.code ?? null, message: error.message, fieldErrors: data.fieldErrors ?? {} };
}

describe("images: only the owners and the hosts that need them (real PostgreSQL)", () => {
  let stack: Stack;
  let url: string;
  let admin: Client;

  beforeAll(async () => {
    stack = await startStack("postgres", { NIMBUS_IMAGE_MAX_BYTES: String(64 * MiB) });
    url = stack.server.url;
    admin = (await signedInClient(url)).client;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** A session of a new user with `role` in `project` (created if needed), and the project's id. */
  async function persona(name: string, project: string, role: "reader" | "member" = "member") {
    const { projectId } = await addUser(stack, { name, project, role });
    const session = await signedInClient(url, name, PERSONA_PASSWORD);
    return { client: session.client, cookie: session.cookie()!, projectId };
  }

  async function launchContext(client: Client) {
    const [flavors, networks] = await Promise.all([client.catalog.flavors.query(), client.catalog.networks.query()]);
    return { flavorId: flavors.find((f) => f.name === "m1.tiny")!.id, networkId: networks[0]!.id };
  }

  describe("volumes made at launch", () => {
    it("counts an image-to-volume root once against the volumes quota", async () => {
      const { client: erin, projectId } = await persona("erin", "one-volume");
      await admin.quotas.set.mutate({ projectId, limits: { volumes: 1, gigabytes: 10 } });
      const imageId = (await erin.catalog.images.query())[0]!.id;
      const bootSource = { type: "image-to-volume" as const, sizeGb: 1, deleteOnTermination: true };
      const launched = await erin.instances.launch.mutate({ name: "on-volume", count: 1, imageId, ...(await launchContext(erin)), bootSource });
      expect(launched.instanceIds).toHaveLength(1);
      expect((await erin.quota.usage.query()).volumes).toEqual({ limit: 1, used: 1 });

      const second = await refusal(erin.instances.launch.mutate({ name: "second", count: 1, imageId, ...(await launchContext(erin)), bootSource }));
      expect(second.message).toBe("Quota exceeded for volumes: requested 1, already used 1 of 1.");
      // Two at once, each with its root volume: two more volumes and GB, no more.
      await admin.quotas.set.mutate({ projectId, limits: { volumes: 3, gigabytes: 3 } });
      const pair = await erin.instances.launch.mutate({ name: "pair", count: 2, imageId, ...(await launchContext(erin)), bootSource });
      expect(pair.instanceIds).toHaveLength(2);
      expect(await erin.quota.usage.query()).toMatchObject({ volumes: { limit: 3, used: 3 }, gigabytes: { limit: 3, used: 3 } });
    });
  });
});
