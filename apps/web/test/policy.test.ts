import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { hashPassword, POLICY } from "@nimbus/core/identity";
import { appRouter } from "../src/server/trpc/router";
import { apiClient, signedInClient, startStack, type Stack } from "./harness";

describe("policy", () => {
  it("every tRPC procedure has exactly one rule in the policy table", () => {
    const procedures = Object.keys(appRouter._def.procedures).sort();
    const rules = Object.keys(POLICY).filter((k) => !k.startsWith("socket:"));
    expect(procedures).toEqual(rules.sort());
    for (const [path, procedure] of Object.entries(appRouter._def.procedures)) {
      expect((procedure as unknown as { _def: { meta?: { policy?: string } } })._def.meta?.policy, path).toBe(path);
    }
  });

  describe("personas", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack("pglite");
      const { db } = stack.server.database;
      const passwordHash = await hashPassword("persona-password");
      const [other] = await db.insert(schema.projects).values({ name: "other" }).returning();
      const demo = await db.query.projects.findFirst({ where: (p, { eq }) => eq(p.name, "demo") });
      const users = await db
        .insert(schema.users)
        .values([
          { name: "reader", passwordHash, defaultProjectId: demo!.id },
          { name: "member", passwordHash, defaultProjectId: demo!.id },
          { name: "outsider", passwordHash, defaultProjectId: other!.id },
        ])
        .returning();
      await db.insert(schema.roleAssignments).values([
        { userId: users[0]!.id, projectId: demo!.id, role: "reader" },
        { userId: users[1]!.id, projectId: demo!.id, role: "member" },
        { userId: users[2]!.id, projectId: other!.id, role: "member" },
      ]);
    });
    afterAll(async () => stack?.stop());

    async function launchAs(name: string) {
      const { client } = await signedInClient(stack.server.url, name, "persona-password");
      const [flavors, images, networks] = await Promise.all([client.catalog.flavors.query(), client.catalog.images.query(), client.catalog.networks.query()]);
      return client.instances.launch.mutate({ name: "p", count: 1, imageId: images[0]!.id, flavorId: flavors[0]!.id, networkId: networks[0]!.id });
    }

    it("anonymous callers are refused everything but sign-in and whoami", async () => {
      const { client } = apiClient(stack.server.url);
      expect(await client.auth.whoami.query()).toBeNull();
      await expect(client.catalog.flavors.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
      await expect(client.hosts.list.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    });

    it("a reader can look but not launch; a member can launch; only admins see hosts", async () => {
      await expect(launchAs("reader")).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
      const { instanceIds } = await launchAs("member");
      expect(instanceIds).toHaveLength(1);
      const reader = await signedInClient(stack.server.url, "reader", "persona-password");
      expect((await reader.client.instances.list.query()).map((i) => i.id)).toEqual(instanceIds);
      await expect(reader.client.hosts.list.query()).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    });

    it("another project's instance answers NOT_FOUND, never FORBIDDEN", async () => {
      const { instanceIds } = await launchAs("member");
      const outsider = await signedInClient(stack.server.url, "outsider", "persona-password");
      expect(await outsider.client.instances.list.query()).toEqual([]);
      await expect(outsider.client.instances.get.query({ id: instanceIds[0]! })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
      await expect(outsider.client.instances.delete.mutate({ id: instanceIds[0]! })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    });
  });
});
