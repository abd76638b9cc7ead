import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedInClient, startStack, type Stack } from "../harness";
import { openstackCli } from "./cli";

describe("Keystone v3 through the stock openstack CLI", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack("postgres");
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("issues a project-scoped token whose catalog lists every service on this server", async () => {
    const cli = openstackCli(stack.server.url);
    const token = await cli.json<{ id: string; project_id: string; user_id: string; expires: string }>(["token", "issue"]);
    expect(token.id).toMatch(/^nimbus_/);
    expect(new Date(token.expires).getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    const catalog = await cli.json<{ Name: string; Type: string; Endpoints: unknown }[]>(["catalog", "list"]);
    expect(catalog.map((s) => s.Type).sort()).toEqual(["block-storage", "compute", "identity", "image", "network", "volumev3"]);
    expect(JSON.stringify(catalog)).toContain(`${stack.server.url}/compute/v2.1`);
  }, 60_000);

  it("lists projects and users for an admin", async () => {
    const cli = openstackCli(stack.server.url);
    const projects = await cli.json<{ Name: string }[]>(["project", "list"]);
    expect(projects.map((p) => p.Name)).toEqual(expect.arrayContaining(["admin", "demo"]));
    const users = await cli.json<{ Name: string }[]>(["user", "list"]);
    expect(users.map((u) => u.Name)).toContain("admin");
  }, 60_000);

  it("refuses a wrong password with Keystone's 401, and a member the user list with 403", async () => {
    const wrong = await openstackCli(stack.server.url, { password: "not-the-password" }).run(["token", "issue"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/401/);

    const { client } = await signedInClient(stack.server.url);
    const projects = await client.projects.list.query();
    const demo = projects.find((p) => p.name === "demo")!;
    await client.users.create.mutate({ name: "cli-member", password: "cli-member-pass-1", projectId: demo.id, role: "member" });
    const member = openstackCli(stack.server.url, { user: "cli-member", password: "cli-member-pass-1", project: "demo" });
    const token = await member.json<{ project_id: string }>(["token", "issue"]);
    expect(token.project_id).toBe(demo.id);
    const refused = await member.run(["user", "list"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/403|administrators/);
    // A project the member has no role in cannot be scoped to.
    const elsewhere = await openstackCli(stack.server.url, { user: "cli-member", password: "cli-member-pass-1", project: "admin" }).run([
      "token",
      "issue",
    ]);
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr).toMatch(/401/);
  }, 90_000);

  it("revokes a token with `token revoke`: it no longer works", async () => {
    const cli = openstackCli(stack.server.url);
    const { id } = await cli.json<{ id: string }>(["token", "issue"]);
    await cli.ok(["token", "revoke", id]);
    const reuse = await fetch(`${stack.server.url}/identity/v3/auth/catalog`, { headers: { "x-auth-token": id } });
    expect(reuse.status).toBe(401);
    expect(await reuse.json()).toMatchObject({ error: { code: 401, title: "Unauthorized" } });
  }, 60_000);
});
