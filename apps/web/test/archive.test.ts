import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeUsage } from "@nimbus/core/quota";
import { rowsOf } from "@nimbus/db";
import { sql } from "@nimbus/db/orm";
import { POSTGRES_ADMIN_URL, repoRoot, signedInClient, startStack, type Stack } from "./harness";

const run = promisify(execFile);

/**
 * The archive of deleted instances (nova-manage db archive_deleted_rows) on real PostgreSQL:
 * only deleted instances past the age the cloud is done with move to shadow_instances, with their
 * actions and events; live instances and their rows stay as they were; batches stay within
 * their size; a second run finds nothing; quotas do not move; admins still read what moved.
 */
describe("archive of deleted instances (real PostgreSQL)", () => {
  let stack: Stack;
  let ids: { project: string; user: string; flavor: string; network: string; subnet: string };
  const db = () => stack.server.database.db;
  const query = async <Row>(statement: ReturnType<typeof sql>) => rowsOf<Row>(await db().execute(statement));

  /** An instance as the cloud would have left it, with a create action and its two events. */
  async function instance(
    name: string,
    { state, deletedDaysAgo, createdDaysAgo = 60 }: { state: string; deletedDaysAgo?: number; createdDaysAgo?: number },
  ) {
    const [row] = await query<{ id: string }>(sql`
      insert into instances (name, project_id, user_id, flavor_id, vcpus, memory_mb, root_gb, vm_state, reservation_id, created_at, deleted_at, fault)
      values (${name}, ${ids.project}::uuid, ${ids.user}::uuid, ${ids.flavor}::uuid, 2, 1024, 1, ${state}::vm_state, 'r-archive',
        now() - ${createdDaysAgo}::int * interval '1 day',
        ${deletedDaysAgo === undefined ? null : sql`now() - ${deletedDaysAgo}::int * interval '1 day'`},
        ${state === "deleted" ? JSON.stringify({ code: "500", message: `${name} failed once`, createdAt: new Date().toISOString() }) : null}::jsonb)
      returning id`);
    await db().execute(sql`
      with action as (
        insert into instance_actions (instance_id, action, request_id, project_id) values (${row!.id}::uuid, 'create', ${`req-${name}`}, ${ids.project}::uuid)
        returning id, instance_id)
      insert into instance_action_events (action_id, instance_id, event, result)
      select action.id, action.instance_id, e, 'Success' from action, unnest(array['scheduling', 'spawning']) e`);
    return row!.id;
  }

  const rowsOfInstance = async (id: string) => {
    const [row] = await query<{ instances: number; actions: number; events: number }>(sql`
      select (select count(*) from instances where id = ${id}::uuid)::int as instances,
        (select count(*) from instance_actions where instance_id = ${id}::uuid)::int as actions,
        (select count(*) from instance_action_events where instance_id = ${id}::uuid)::int as events`);
    return row!;
  };

  beforeAll(async () => {
    stack = await startStack("postgres");
    const [row] = await query<typeof ids>(sql`
      select (select id from projects where name = 'demo') as project, (select id from users where name = 'admin') as "user",
        (select id from flavors where name = 'm1.small') as flavor, n.id as network, s.id as subnet
      from networks n join subnets s on s.network_id = n.id limit 1`);
    ids = row!;
  });
  afterAll(async () => stack?.stop());

  it("moves only old deleted instances the cloud is done with, in bounded batches, once; admins still read them", async () => {
    const admin = await signedInClient(stack.server.url);
    const old = await Promise.all(Array.from({ length: 5 }, (_, i) => instance(`gone-${i}`, { state: "deleted", deletedDaysAgo: 40 })));
    const recent = await instance("gone-lately", { state: "deleted", deletedDaysAgo: 1 });
    // Deleted long ago, but its port was never released: not done with yet.
    const bound = await instance("gone-bound", { state: "deleted", deletedDaysAgo: 40 });
    await db().execute(sql`
      insert into ports (network_id, subnet_id, project_id, instance_id, mac_address, ip_address)
      values (${ids.network}::uuid, ${ids.subnet}::uuid, ${ids.project}::uuid, ${bound}::uuid, 'fa:16:3e:aa:00:01', '10.250.0.9')`);
    // Live instances older than any cutoff, one in ERROR: never touched.
    const live = [
      await instance("alive", { state: "active", createdDaysAgo: 400 }),
      await instance("broken", { state: "error", createdDaysAgo: 400 }),
    ];
    const usageBefore = await computeUsage(db(), ids.project);
    expect(usageBefore).toMatchObject({ instances: 2, cores: 4, ram: 2048 });
    const liveBefore = await Promise.all(live.map(rowsOfInstance));

    const counts = await admin.client.archive.run.mutate({ olderThanDays: 30, batchSize: 2 });
    expect(counts).toEqual({ instances: 5, actions: 5, events: 10, batches: [2, 2, 1] });

    for (const id of old) expect(await rowsOfInstance(id)).toEqual({ instances: 0, actions: 0, events: 0 });
    for (const id of [recent, bound]) expect(await rowsOfInstance(id)).toEqual({ instances: 1, actions: 1, events: 2 });
    expect(await Promise.all(live.map(rowsOfInstance))).toEqual(liveBefore);
    expect(liveBefore.every((r) => r.instances === 1 && r.events === 2)).toBe(true);
    expect(await computeUsage(db(), ids.project)).toEqual(usageBefore);

    // Admins read what was archived: the instance as it was (its fault too) and its action log.
    const archived = await admin.client.archive.list.query({ limit: 3 });
    expect(archived.instances).toHaveLength(3);
    const rest = await admin.client.archive.list.query({ limit: 3, marker: archived.next! });
    expect(rest.next).toBeNull();
    const all = [...archived.instances, ...rest.instances];
    expect(all.map((a) => a.id).sort()).toEqual([...old].sort());
    const first = all.find((a) => a.name === "gone-0")!;
    expect(first.instance).toMatchObject({ name: "gone-0", vm_state: "deleted", vcpus: 2, fault: { message: "gone-0 failed once" } });
    expect(first.actions).toMatchObject([{ action: "create", request_id: "req-gone-0", events: [{ event: "scheduling" }, { event: "spawning" }] }]);

    // Run again: nothing more is old enough.
    expect(await admin.client.archive.run.mutate({ olderThanDays: 30, batchSize: 2 })).toEqual({ instances: 0, actions: 0, events: 0, batches: [] });

    // Only cloud admins archive or read the archive.
    const project = (await admin.client.projects.list.query()).find((p) => p.name === "demo")!;
    await admin.client.users.create.mutate({ name: "archive-member", password: "archive-member-pass", projectId: project.id, role: "member" });
    const member = await signedInClient(stack.server.url, "archive-member", "archive-member-pass");
    await expect(member.client.archive.run.mutate({ olderThanDays: 0 })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(member.client.archive.list.query({})).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
  });

  it("npm run archive prints what it moved, with the age given on its command line", async () => {
    const lately = await instance("gone-yesterday", { state: "deleted", deletedDaysAgo: 1 });
    const [{ name } = { name: "" }] = await query<{ name: string }>(sql`select current_database() as name`);
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    const { stdout } = await run("npm", ["run", "archive", "-w", "apps/web", "--", "--older-than-days", "0.5", "--batch-size", "10"], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", DATABASE_URL: url.toString(), NIMBUS_DATA_DIR: path.join(stack.dataDir, "cli") },
    });
    // The one deleted yesterday and the earlier test's recent one; not the one whose port is bound.
    expect(stdout).toContain("archived 2 deleted instances (deleted more than 0.5 days ago) with 2 actions and 4 events, in 1 batches of at most 10");
    expect(await rowsOfInstance(lately)).toEqual({ instances: 0, actions: 0, events: 0 });
  });
});
