import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENROLL_PATH, IMAGE_DOWNLOAD_PATH } from "@nimbus/core/protocol/http";
import { addUser, AGENT_SECRET, PERSONA_PASSWORD, protocolPeer, signedInClient, startStack, TRPCClientError, type Stack } from "./harness";

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

/** PUT of an image's bits as the console sends them; the answer's status and JSON body. */
async function putFile(baseUrl: string, imageId: string, cookie: string, body: Buffer) {
  const response = await fetch(`${baseUrl}/api/images/${imageId}/file`, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream", cookie },
    body: new Uint8Array(body),
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
}

describe("images: only the owners and the hosts that need them (real PostgreSQL)", () => {
  let stack: Stack;
  let url: string;
  let admin: Client;
  let alice: Client;
  let aliceCookie: string;

  beforeAll(async () => {
    stack = await startStack("postgres", { NIMBUS_IMAGE_MAX_BYTES: String(64 * MiB) });
    url = stack.server.url;
    await addUser(stack, { name: "alice", project: "demo", role: "member" });
    admin = (await signedInClient(url)).client;
    const session = await signedInClient(url, "alice", PERSONA_PASSWORD);
    alice = session.client;
    aliceCookie = session.cookie()!;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** An active raw image of alice's: 1 MiB of one byte. */
  async function aliceImage(name: string, options: { kind?: "kernel" | "ramdisk"; kernelId?: string; ramdiskId?: string } = {}) {
    const image = await alice.images.create.mutate({ name, ...options });
    expect((await putFile(url, image.id, aliceCookie, Buffer.alloc(MiB, name.length))).status).toBe(200);
    return image;
  }

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

  describe("agent access", () => {
    it("refuses the shared secret for a hostname an admin revoked, until it is enrolled again", async () => {
      const enrol = async () => {
        const { token } = await admin.agents.createJoinToken.mutate({ hostname: "node-r" });
        const response = await fetch(`${url}${ENROLL_PATH}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ joinToken: token, hostname: "node-r" }),
        });
        expect(response.status).toBe(200);
      };
      await enrol();
      await admin.agents.revoke.mutate({ hostname: "node-r" });

      await expect(protocolPeer(url, "node-r")).rejects.toThrow("invalid agent credential");
      // DNS names are one name whatever their case.
      await expect(protocolPeer(url, "NODE-R")).rejects.toThrow("invalid agent credential");
      const image = await aliceImage("for-node-r");
      const asRevoked = await fetch(`${url}${IMAGE_DOWNLOAD_PATH(image.id)}`, {
        headers: { "x-nimbus-hostname": "node-r", "x-nimbus-agent-secret": AGENT_SECRET },
      });
      expect(asRevoked.status).toBe(401);
      expect((await admin.hosts.list.query()).some((h) => h.hostname.toLowerCase() === "node-r")).toBe(false);

      // Any other hostname still joins with the secret, and node-r does once an admin enrols it again.
      const other = await protocolPeer(url, "node-s");
      other.disconnect();
      await enrol();
      const again = await protocolPeer(url, "node-r");
      again.disconnect();
    });
  });
});
