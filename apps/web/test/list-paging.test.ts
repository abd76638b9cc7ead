import { schema } from "@nimbus/db";
import { sql } from "@nimbus/db/orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, PERSONA_PASSWORD, signedInClient, startStack, TRPCClientError, type Stack } from "./harness";

/**
 * Keyset paging of the instance list on real PostgreSQL: a few hundred instances seeded in two
 * projects, with names, creation times and states that tie, paged through with each sort and
 * filter a few rows at a time. Every row comes exactly once, in the order one unpaged ORDER BY
 * gives, forwards and back, and never another project's.
 */
const SEEDED = 240;
const OTHERS = 60;
const PAGE = 7;

type Client = Awaited<ReturnType<typeof signedInClient>>["client"];
type PageInput = Parameters<Client["instances"]["page"]["query"]>[0];

let stack: Stack;
let member: Client;
let admin: Client;
let outsider: Client;
let demoId: string;
let otherId: string;
let flavorIds: string[];
let hostnames: string[];

/** Follows Next from the first page to the last; then Previous back to the first, checking it retraces them. */
async function pageThrough(client: Client, input: PageInput) {
  const pages: string[][] = [];
  let answer = await client.instances.page.query({ ...input, limit: PAGE });
  expect(answer.prev).toBeNull();
  pages.push(answer.items.map((i) => i.id));
  while (answer.next) {
    answer = await client.instances.page.query({ ...input, limit: PAGE, cursor: answer.next });
    expect(answer.items.length).toBeGreaterThan(0);
    pages.push(answer.items.map((i) => i.id));
  }
  // Back again: each Previous gives the page before, the same rows.
  for (let n = pages.length - 2; n >= 0; n--) {
    answer = await client.instances.page.query({ ...input, limit: PAGE, cursor: answer.prev! });
    expect(answer.items.map((i) => i.id)).toEqual(pages[n]);
  }
  expect(answer.prev).toBeNull();
  return pages.flat();
}

/** The ids in one unpaged statement's order: what the pages must add up to. */
async function ordered(where: ReturnType<typeof sql>, orderBy: ReturnType<typeof sql>): Promise<string[]> {
  const rows = await stack.server.database.db.execute(
    sql`select i.id from ${schema.instances} i where ${where} and i.vm_state <> 'deleted' order by ${orderBy}`,
  );
  return (rows as unknown as { id: string }[]).map((r) => r.id);
}

beforeAll(async () => {
  stack = await startStack("postgres");
  await addUser(stack, { name: "pager", project: "demo", role: "member" });
  await addUser(stack, { name: "stranger", project: "elsewhere", role: "member" });
  member = (await signedInClient(stack.server.url, "pager", PERSONA_PASSWORD)).client;
  outsider = (await signedInClient(stack.server.url, "stranger", PERSONA_PASSWORD)).client;
  admin = (await signedInClient(stack.server.url)).client;
  const db = stack.server.database.db;
  const projects = await db.select().from(schema.projects);
  demoId = projects.find((p) => p.name === "demo")!.id;
  otherId = projects.find((p) => p.name === "elsewhere")!.id;
  const [user] = await db.select().from(schema.users).limit(1);
  flavorIds = (await db.select().from(schema.flavors)).map((f) => f.id);
  const [image] = await db.select().from(schema.images).limit(1);
  const [network] = await db.select().from(schema.networks).limit(1);
  const [subnet] = await db.select().from(schema.subnets).where(sql`${schema.subnets.networkId} = ${network!.id}`);
  hostnames = ["page-a", "page-b", "page-c"];
  await db.insert(schema.computeHosts).values(
    hostnames.map((hostname) => ({
      hostname,
      hypervisorType: "test",
      hypervisorUri: "test:///default",
      vcpusTotal: 8,
      memoryMbTotal: 8192,
      diskGbTotal: 100,
    })),
  );
  // Names repeat every 40 (ties on name), three share each creation time (ties on created, told
  // apart by launch index), states cycle (ties on status); the last OTHERS are another project's.
  await db.execute(sql`
    with seeded as (
      select g, gen_random_uuid() as id,
        case when g > ${SEEDED} then ${otherId}::uuid else ${demoId}::uuid end as project_id,
        (${`{${flavorIds.join(",")}}`}::uuid[])[1 + g % ${flavorIds.length}] as flavor_id,
        (select id from compute_hosts where hostname = (array['page-a','page-b','page-c'])[1 + g % 3]) as host_id,
        (array['active','stopped','error','paused','active'])[1 + g % 5]::vm_state as vm_state,
        timestamptz '2026-12-01 10:00:00.123456+00' + (g / 3) * interval '1.000001 second' as created_at,
        '10.0.0.' || (2 + g % 250) as ip
      from generate_series(1, ${SEEDED + OTHERS}) g
    ), made as (
      insert into instances (id, name, project_id, user_id, flavor_id, image_id, network_id, host_id, vcpus, memory_mb, root_gb,
        vm_state, reservation_id, launch_index, fixed_ip, created_at)
      select id, 'vm-' || lpad((g % 40)::text, 2, '0'), project_id, ${user!.id}::uuid, flavor_id, ${image!.id}::uuid, ${network!.id}::uuid, host_id,
        1, 512, 1, vm_state, 'r-' || (g / 3), g % 3, ip, created_at
      from seeded
      returning id
    )
    insert into ports (network_id, subnet_id, project_id, instance_id, mac_address, ip_address)
    select ${network!.id}::uuid, ${subnet!.id}::uuid, s.project_id, s.id, 'fa:16:3f:00:' || lpad(to_hex(s.g >> 8), 2, '0') || ':' || lpad(to_hex(s.g & 255), 2, '0'),
      '10.0.' || (1 + s.g / 250) || '.' || (2 + s.g % 250)
    from seeded s`);
});
afterAll(async () => stack?.stop());

describe("instance list paging", () => {
  const demo = () => sql`i.project_id = ${demoId}::uuid`;
  const sorts = [
    { sort: "created", direction: "desc", order: () => sql`i.created_at desc, (-i.launch_index) desc, i.id desc` },
    { sort: "created", direction: "asc", order: () => sql`i.created_at, (-i.launch_index), i.id` },
    { sort: "name", direction: "asc", order: () => sql`i.name, i.id` },
    { sort: "name", direction: "desc", order: () => sql`i.name desc, i.id desc` },
    { sort: "status", direction: "asc", order: () => sql`i.vm_state, i.id` },
    { sort: "status", direction: "desc", order: () => sql`i.vm_state desc, i.id desc` },
  ] as const;

  for (const { sort, direction, order } of sorts) {
    it(`pages through the project's instances by ${sort} ${direction}: every row once, in order, none of another project's`, async () => {
      const ids = await pageThrough(member, { sort, direction });
      const expected = await ordered(demo(), order());
      expect(expected).toHaveLength(SEEDED);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expected);
    });
  }

  it("pages the default list newest first, those created together in launch order", async () => {
    const ids = await pageThrough(member, {});
    expect(ids).toEqual(await ordered(demo(), sorts[0].order()));
    const { items } = await member.instances.page.query({ limit: 30 });
    const together = items.filter((i, n) => n > 0 && i.createdAt.getTime() === items[n - 1]!.createdAt.getTime());
    expect(together.length).toBeGreaterThan(5);
    for (let n = 1; n < items.length; n++) {
      if (items[n]!.createdAt.getTime() === items[n - 1]!.createdAt.getTime()) expect(items[n]!.launchIndex).toBe(items[n - 1]!.launchIndex + 1);
    }
  });

  it("pages each filter, sorted by name and by creation, over exactly the rows it matches", async () => {
    const filters: { input: PageInput; where: () => ReturnType<typeof sql>; admin?: boolean }[] = [
      { input: { name: "vm-1" }, where: () => sql`i.name ~ 'vm-1'` },
      { input: { vmStates: ["stopped", "error"] }, where: () => sql`i.vm_state in ('stopped', 'error')` },
      { input: { flavorId: flavorIds[1]! }, where: () => sql`i.flavor_id = ${flavorIds[1]!}::uuid` },
      {
        input: { ip: "^10\\.0\\.1\\.1" },
        where: () => sql`exists (select 1 from ports p where p.instance_id = i.id and p.ip_address ~ '^10\\.0\\.1\\.1')`,
      },
      {
        input: { host: "page-b", projectId: demoId },
        where: () => sql`i.host_id = (select id from compute_hosts where hostname = 'page-b')`,
        admin: true,
      },
    ];
    for (const { input, where, admin: asAdmin } of filters) {
      for (const { sort, direction, order } of [sorts[0], sorts[2]]) {
        const ids = await pageThrough(asAdmin ? admin : member, { ...input, sort, direction });
        const expected = await ordered(sql`${demo()} and ${where()}`, order());
        expect(expected.length, JSON.stringify(input)).toBeGreaterThan(PAGE);
        expect(ids, JSON.stringify(input)).toEqual(expected);
      }
    }
  });

  it("shows another project nothing, and the operator every project's only when asked", async () => {
    expect((await outsider.instances.page.query({ limit: 50 })).items.every((i) => i.projectId === otherId)).toBe(true);
    const all = await pageThrough(admin, { allProjects: true, sort: "name", direction: "asc" });
    expect(all).toEqual(await ordered(sql`i.project_id in (${demoId}::uuid, ${otherId}::uuid)`, sorts[2].order()));
    // A member cannot ask for every project's.
    await expect(member.instances.page.query({ allProjects: true })).rejects.toThrow("Only cloud administrators may do that.");
  });

  it("a cursor is checked: one made for another sort, or one not given out, is a clear bad request", async () => {
    const first = await member.instances.page.query({ sort: "name", limit: PAGE });
    const wrongSort = member.instances.page.query({ sort: "status", limit: PAGE, cursor: first.next! });
    await expect(wrongSort).rejects.toThrow("The page cursor belongs to another sort order: start again from the first page.");
    const forged = member.instances.page.query({ sort: "name", limit: PAGE, cursor: "bm90LWEtY3Vyc29y" });
    await expect(forged).rejects.toThrow("The page cursor is not valid: start again from the first page.");
    const error = await forged.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as { data?: { code?: string } }).data?.code).toBe("BAD_REQUEST");
    // Another project's cursor pages nothing of theirs: the bound is a position, the scope is the caller's.
    const theirs = await outsider.instances.page.query({ sort: "name", limit: PAGE, cursor: first.next! });
    expect(theirs.items.every((i) => i.projectId === otherId)).toBe(true);
  });
});

describe("host inventory paging", () => {
  it("pages hosts by free RAM and by name, and sums the inventory in SQL", async () => {
    const byName = await admin.hosts.page.query({ sort: "name", limit: 2 });
    expect(byName.items.map((h) => h.hostname)).toEqual(["page-a", "page-b"]);
    const rest = await admin.hosts.page.query({ sort: "name", limit: 2, cursor: byName.next! });
    expect(rest.items.map((h) => h.hostname)).toEqual(["page-c"]);
    expect(rest.next).toBeNull();
    // page-c has the most instances (of the 80 on each), none use placement here: free RAM ties, ids break them.
    const byRam = await admin.hosts.page.query({ sort: "freeRam", direction: "desc", limit: 10 });
    expect(byRam.items.map((h) => h.hostname).sort()).toEqual(hostnames);
    const summary = await admin.hosts.summary.query({});
    expect(summary).toMatchObject({ hosts: 3, up: 0, down: 3, disabled: 0, instances: SEEDED + OTHERS });
    expect(summary.memoryMb.capacity).toBe(3 * 8192);
    expect(summary.ramUsage.reduce((n, b) => n + b.hosts, 0)).toBe(3);
    expect((await admin.hosts.summary.query({ state: "up" })).hosts).toBe(0);
  });
});
