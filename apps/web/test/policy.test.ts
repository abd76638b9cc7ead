import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POLICY, type Rule } from "@nimbus/core/policy";
import { appRouter } from "../src/server/trpc/router";
import { addUser, ADMIN_PASSWORD, PERSONA_PASSWORD, signedInClient, startStack, type Stack } from "./harness";

type Persona = "anonymous" | "reader" | "member" | "otherMember" | "admin";
const PERSONAS: Persona[] = ["anonymous", "reader", "member", "otherMember", "admin"];

/** Who each rule lets in, written out by hand: the table the code must honour. */
const ALLOWED: Record<Exclude<Rule, "agent">, Persona[]> = {
  public: ["anonymous", "reader", "member", "otherMember", "admin"],
  authenticated: ["reader", "member", "otherMember", "admin"],
  // Every persona here calls with a session cookie; API tokens are refused (security-credentials.test.ts).
  session: ["reader", "member", "otherMember", "admin"],
  "project:reader": ["reader", "member", "otherMember", "admin"],
  "project:member": ["member", "otherMember", "admin"],
  "project:admin": ["admin"],
  cloud_admin: ["admin"],
};

const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: "query" | "mutation"; meta?: { policy?: string } } }>,
);

describe("policy", () => {
  it("every tRPC procedure has exactly one rule in the policy table, and is guarded by it", () => {
    const rules = Object.keys(POLICY).filter((k) => !k.startsWith("socket:") && !k.startsWith("http:"));
    expect(procedures.map(([path]) => path).sort()).toEqual(rules.sort());
    for (const [path, procedure] of procedures) expect(procedure._def.meta?.policy, path).toBe(path);
  });

  describe("every procedure × every persona", () => {
    let stack: Stack;
    const cookies = new Map<Persona, string | null>();
    beforeAll(async () => {
      stack = await startStack("pglite");
      await addUser(stack, { name: "reader", project: "demo", role: "reader" });
      await addUser(stack, { name: "member", project: "demo", role: "member" });
      await addUser(stack, { name: "outsider", project: "other", role: "member" });
      cookies.set("anonymous", null);
      for (const [persona, name, password] of [
        ["reader", "reader", PERSONA_PASSWORD],
        ["member", "member", PERSONA_PASSWORD],
        ["otherMember", "outsider", PERSONA_PASSWORD],
        ["admin", "admin", ADMIN_PASSWORD],
      ] as const) {
        cookies.set(persona, (await signedInClient(stack.server.url, name, password)).cookie());
      }
    });
    afterAll(async () => stack?.stop());

    /** Calls a procedure over HTTP with an empty input: authorization runs before input checks. */
    async function call(path: string, type: "query" | "mutation", cookie: string | null): Promise<number> {
      const headers: Record<string, string> = cookie ? { cookie } : {};
      const input = encodeURIComponent(JSON.stringify({ json: {} }));
      const response =
        type === "query"
          ? await fetch(`${stack.server.url}/api/trpc/${path}?input=${input}`, { headers })
          : await fetch(`${stack.server.url}/api/trpc/${path}`, {
              method: "POST",
              headers: { ...headers, "content-type": "application/json" },
              body: JSON.stringify({ json: {} }),
            });
      return response.status;
    }

    for (const [path, procedure] of procedures) {
      const rule = POLICY[path as keyof typeof POLICY] as Exclude<Rule, "agent">;
      it(`${path} (${rule})`, async () => {
        for (const persona of PERSONAS) {
          // Signing out would end the shared session; use a throwaway one for it.
          const cookie =
            path === "auth.signOut" && persona !== "anonymous"
              ? (
                  await signedInClient(
                    stack.server.url,
                    persona === "admin" ? "admin" : persona === "otherMember" ? "outsider" : persona,
                    persona === "admin" ? ADMIN_PASSWORD : PERSONA_PASSWORD,
                  )
                ).cookie()
              : cookies.get(persona)!;
          const status = await call(path, procedure._def.type, cookie);
          const allowed = ALLOWED[rule].includes(persona);
          if (allowed) expect([401, 403], `${persona} should be allowed ${path}, got ${status}`).not.toContain(status);
          else expect(status, `${persona} should be refused ${path}`).toBe(persona === "anonymous" ? 401 : 403);
        }
      });
    }

    it("another project's objects answer NOT_FOUND, never FORBIDDEN, for every resource type", async () => {
      const member = (await signedInClient(stack.server.url, "member", PERSONA_PASSWORD)).client;
      const outsider = (await signedInClient(stack.server.url, "outsider", PERSONA_PASSWORD)).client;
      const [flavors, images, networks] = await Promise.all([
        member.catalog.flavors.query(),
        member.catalog.images.query(),
        member.catalog.networks.query(),
      ]);
      const { instanceIds } = await member.instances.launch.mutate({
        name: "p",
        count: 1,
        imageId: images[0]!.id,
        flavorId: flavors[0]!.id,
        networkId: networks[0]!.id,
      });
      const group = await member.serverGroups.create.mutate({ name: "g", policy: "affinity" });
      const token = await member.tokens.create.mutate({ name: "t" });

      expect(await outsider.instances.list.query()).toEqual([]);
      expect(await outsider.serverGroups.list.query()).toEqual([]);
      expect(await outsider.tokens.list.query()).toEqual([]);
      const notFound = { data: { code: "NOT_FOUND" } };
      await expect(outsider.instances.get.query({ id: instanceIds[0]! })).rejects.toMatchObject(notFound);
      await expect(outsider.instances.delete.mutate({ id: instanceIds[0]! })).rejects.toMatchObject(notFound);
      await expect(outsider.serverGroups.delete.mutate({ id: group.id })).rejects.toMatchObject(notFound);
      await expect(outsider.tokens.revoke.mutate({ id: token.id })).rejects.toMatchObject(notFound);
      await expect(
        outsider.instances.launch.mutate({
          name: "x",
          count: 1,
          imageId: images[0]!.id,
          flavorId: flavors[0]!.id,
          networkId: networks[0]!.id,
          serverGroupId: group.id,
        }),
      ).rejects.toMatchObject(notFound);
    });
  });
});
