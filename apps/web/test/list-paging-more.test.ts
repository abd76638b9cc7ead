import { schema } from "@nimbus/db";
import { sql } from "@nimbus/db/orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, PERSONA_PASSWORD, signedInClient, startStack, type Stack } from "./harness";

/**
 * Keyset paging of the other lists on real PostgreSQL (images, volumes, networks, ports, key
 * pairs, users): rows seeded in two projects with names and creation times that tie, paged a few
 * at a time with each sort. Every row the caller may see comes exactly once, in the order one
 * unpaged ORDER BY gives, forwards and back; filters narrow in SQL; another project's marker is
 * refused and its cursor pages nothing of theirs.
 */
const PAGE = 7;

type Client = Awaited<ReturnType<typeof signedInClient>>["client"];
interface PageAnswer {
  items: { id: string }[];
  next: string | null;
  prev: string | null;
}

let stack: Stack;
let member: Client;
let outsider: Client;
let admin: Client;
let demoId: string;
let otherId: string;
let pagerId: string;
let demoNetworkId: string;

/** Follows Next from the first page to the last, then Previous back to the first, checking it retraces them. */
async function pageThrough(fetch: (cursor: string | undefined) => Promise<PageAnswer>): Promise<string[]> {
  const pages: string[][] = [];
  let answer = await fetch(undefined);
  expect(answer.prev).toBeNull();
  pages.push(answer.items.map((i) => i.id));
  while (answer.next) {
    answer = await fetch(answer.next);
    expect(answer.items.length).toBeGreaterThan(0);
    pages.push(answer.items.map((i) => i.id));
  }
  for (let n = pages.length - 2; n >= 0; n--) {
    answer = await fetch(answer.prev!);
    expect(answer.items.map((i) => i.id)).toEqual(pages[n]);
  }
  expect(answer.prev).toBeNull();
  const ids = pages.flat();
  expect(new Set(ids).size).toBe(ids.length);
  return ids;
}

/** The ids one unpaged statement gives, in its order. */
async function ordered(query: ReturnType<typeof sql>): Promise<string[]> {
  const rows = await stack.server.database.db.execute(query);
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
  const users = await db.select().from(schema.users);
  pagerId = users.find((u) => u.name === "pager")!.id;
  const strangerId = users.find((u) => u.name === "stranger")!.id;
  const at = (g: string) => sql.raw(`timestamptz '2026-12-01 10:00:00.123456+00' + (${g} / 3) * interval '1.000001 second'`);
  // Names repeat (ties on name, told apart by creation, then id); three rows share each creation time.
  await db.execute(sql`
    insert into images (name, status, visibility, owner_project_id, disk_format, created_at)
    select 'img-' || lpad((g % 15)::text, 2, '0'),
      (array['active','active','queued','killed'])[1 + g % 4]::image_status,
      case when g <= 90 then 'private' when g <= 100 then 'public' else 'shared' end::image_visibility,
      case when g <= 80 then ${demoId}::uuid else ${otherId}::uuid end, 'qcow2', ${at("g")}
    from generate_series(1, 120) g`);
  // Of elsewhere's shared images, demo accepted half; a pending share shows nowhere.
  await db.execute(sql`
    insert into image_members (image_id, project_id, status)
    select id, ${demoId}::uuid, case when row_number() over (order by id) % 2 = 0 then 'accepted' else 'pending' end::image_member_status
    from images where visibility = 'shared'`);
  await db.execute(sql`
    insert into volumes (project_id, name, size_gb, status, created_at)
    select case when g <= 60 then ${demoId}::uuid else ${otherId}::uuid end, 'vol-' || lpad((g % 12)::text, 2, '0'), 1,
      (array['available','in-use','error'])[1 + g % 3]::volume_status, ${at("g")}
    from generate_series(1, 80) g`);
  await db.execute(sql`
    insert into networks (name, project_id, shared, created_at)
    select 'net-' || lpad((g % 10)::text, 2, '0'), case when g <= 40 then ${demoId}::uuid else ${otherId}::uuid end, g > 50, ${at("g")}
    from generate_series(1, 55) g`);
  [demoNetworkId] = (await ordered(sql`select id from networks where project_id = ${demoId}::uuid order by created_at limit 1`)) as [string];
  const [subnet] = await db
    .insert(schema.subnets)
    .values({
      networkId: demoNetworkId,
      projectId: demoId,
      name: "pages",
      cidr: "10.9.0.0/16",
      allocationPools: [{ start: "10.9.0.2", end: "10.9.255.254" }],
    })
    .returning();
  await db.execute(sql`
    insert into ports (network_id, subnet_id, project_id, mac_address, ip_address, status, created_at)
    select ${demoNetworkId}::uuid, ${subnet!.id}::uuid, case when g <= 60 then ${demoId}::uuid else ${otherId}::uuid end,
      'fa:16:3f:09:' || lpad(to_hex(g >> 8), 2, '0') || ':' || lpad(to_hex(g & 255), 2, '0'),
      '10.9.' || (g % 4) || '.' || (2 + g), (array['DOWN','ACTIVE'])[1 + g % 2]::port_status, ${at("g")}
    from generate_series(1, 80) g`);
  await db.execute(sql`
    insert into key_pairs (user_id, name, public_key, fingerprint, created_at)
    select case when g <= 30 then ${pagerId}::uuid else ${strangerId}::uuid end, 'key-' || lpad(g::text, 3, '0'), 'ssh-ed25519 AAAA', 'SHA256:x', ${at("g")}
    from generate_series(1, 40) g`);
  await db.execute(sql`
    insert into users (name, password_hash, enabled, created_at)
    select 'user-' || lpad(g::text, 3, '0'), 'x', g % 5 <> 0, ${at("g")}
    from generate_series(1, 45) g`);
});
afterAll(async () => stack?.stop());

/** What a project lists of images: visible (own, public, accepted shares), not deleted, active unless its own. */
const imagesOfDemo = () => sql`(visibility = 'public' or owner_project_id = ${demoId}::uuid or (visibility = 'shared' and exists
  (select 1 from image_members m where m.image_id = images.id and m.project_id = ${demoId}::uuid and m.status = 'accepted')))
  and status <> 'deleted' and (status = 'active' or owner_project_id = ${demoId}::uuid)`;

describe("image list paging", () => {
  const sorts = [
    { sortKey: "name", sortDir: "asc", order: "name, created_at, id" },
    { sortKey: "name", sortDir: "desc", order: "name desc, created_at desc, id desc" },
    { sortKey: "created_at", sortDir: "desc", order: "created_at desc, id desc" },
    { sortKey: "created_at", sortDir: "asc", order: "created_at, id" },
  ] as const;
  for (const { sortKey, sortDir, order } of sorts) {
    it(`pages a project's images by ${sortKey} ${sortDir}: its own, public and accepted shares, each once, in order`, async () => {
      const ids = await pageThrough((cursor) => member.images.page.query({ sortKey, sortDir, limit: PAGE, cursor }));
      const expected = await ordered(sql`select id from images where ${imagesOfDemo()} order by ${sql.raw(order)}`);
      expect(expected.length).toBeGreaterThan(80);
      expect(ids).toEqual(expected);
    });
  }

  it("filters by name text and status in SQL, paging over exactly the rows they match", async () => {
    const ids = await pageThrough((cursor) => member.images.page.query({ nameContains: "IMG-1", status: "active", limit: PAGE, cursor }));
    const expected = await ordered(
      sql`select id from images where ${imagesOfDemo()} and name ilike '%img-1%' and status = 'active' order by name, created_at, id`,
    );
    expect(expected.length).toBeGreaterThan(PAGE);
    expect(ids).toEqual(expected);
    // LIKE's wildcards are plain characters in a filter.
    expect((await member.images.page.query({ nameContains: "img_%" })).items).toEqual([]);
  });

  it("refuses a marker the project cannot see, as Glance does, and another project's cursor pages only its own view", async () => {
    const [hidden] = await ordered(sql`select id from images where owner_project_id = ${otherId}::uuid and visibility = 'private' limit 1`);
    await expect(member.images.page.query({ marker: hidden })).rejects.toThrow(`Invalid marker: image ${hidden} could not be found.`);
    const first = await member.images.page.query({ limit: PAGE });
    const theirs = await outsider.images.page.query({ limit: 50, cursor: first.next! });
    expect(theirs.items.every((i) => i.ownerProjectId === otherId || i.visibility === "public")).toBe(true);
  });
});

describe("volume list paging", () => {
  it("pages the project's volumes by name and by creation; an admin's all-projects list pages every project's", async () => {
    for (const { sortKey, sortDir, order } of [
      { sortKey: "name", sortDir: "asc", order: "name, created_at, id" },
      { sortKey: "created_at", sortDir: "desc", order: "created_at desc, id desc" },
    ] as const) {
      const ids = await pageThrough((cursor) => member.volumes.page.query({ sortKey, sortDir, limit: PAGE, cursor }));
      expect(ids).toEqual(await ordered(sql`select id from volumes where project_id = ${demoId}::uuid order by ${sql.raw(order)}`));
    }
    const all = await pageThrough((cursor) => admin.volumes.page.query({ allProjects: true, limit: 11, cursor }));
    expect(all).toEqual(await ordered(sql`select id from volumes order by name, created_at, id`));
    await expect(member.volumes.page.query({ allProjects: true })).rejects.toThrow("Only cloud administrators may do that.");
  });

  it("filters by status and name text in SQL; another project's volume as marker is refused", async () => {
    const ids = await pageThrough((cursor) => member.volumes.page.query({ status: "in-use", nameContains: "vol-0", limit: 3, cursor }));
    expect(ids).toEqual(
      await ordered(
        sql`select id from volumes where project_id = ${demoId}::uuid and status = 'in-use' and name like 'vol-0%' order by name, created_at, id`,
      ),
    );
    const [theirs] = await ordered(sql`select id from volumes where project_id = ${otherId}::uuid limit 1`);
    await expect(member.volumes.page.query({ marker: theirs })).rejects.toThrow(`Invalid marker: volume ${theirs} could not be found.`);
  });
});

describe("network and port list paging", () => {
  it("pages the networks a project sees (its own, shared and external) by name, each once", async () => {
    const ids = await pageThrough((cursor) => member.networks.page.query({ limit: PAGE, cursor }));
    const expected = await ordered(
      sql`select id from networks where shared or router_external or project_id = ${demoId}::uuid order by name, created_at, id`,
    );
    expect(expected.length).toBeGreaterThan(40);
    expect(ids).toEqual(expected);
    const [hidden] = await ordered(sql`select id from networks where project_id = ${otherId}::uuid and not shared limit 1`);
    await expect(member.networks.page.query({ marker: hidden })).rejects.toThrow(`Invalid marker: network ${hidden} is not in this list.`);
  });

  it("pages the project's ports by creation, address and status, and filters by network and status", async () => {
    for (const { sort, order } of [
      { sort: "created_at", order: "created_at, id" },
      { sort: "ip_address", order: "ip_address, id" },
      { sort: "status", order: "status, id" },
    ] as const) {
      const ids = await pageThrough((cursor) => member.ports.page.query({ sort, networkId: demoNetworkId, limit: PAGE, cursor }));
      expect(ids).toEqual(
        await ordered(
          sql`select id from ports where project_id = ${demoId}::uuid and network_id = ${demoNetworkId}::uuid order by ${sql.raw(order)}`,
        ),
      );
    }
    const active = await pageThrough((cursor) => member.ports.page.query({ status: "ACTIVE", limit: PAGE, cursor }));
    expect(active).toEqual(await ordered(sql`select id from ports where project_id = ${demoId}::uuid and status = 'ACTIVE' order by created_at, id`));
    const [theirs] = await ordered(sql`select id from ports where project_id = ${otherId}::uuid limit 1`);
    await expect(member.ports.page.query({ marker: theirs })).rejects.toThrow(`Invalid marker: port ${theirs} is not in this list.`);
  });
});

describe("key pair and user list paging", () => {
  it("pages the caller's own key pairs by name (Nova's marker is a name) and never another user's", async () => {
    const ids = await pageThrough((cursor) => member.keyPairs.page.query({ limit: PAGE, cursor }));
    expect(ids).toEqual(await ordered(sql`select id from key_pairs where user_id = ${pagerId}::uuid order by name, id`));
    const after = await member.keyPairs.page.query({ marker: "key-010", limit: 3 });
    expect(after.items.map((k) => k.name)).toEqual(["key-011", "key-012", "key-013"]);
    await expect(member.keyPairs.page.query({ marker: "key-035" })).rejects.toThrow("marker [key-035] not found");
  });

  it("pages the cloud's users by name and by creation for admins, filtered in SQL, and to no one else", async () => {
    const byName = await pageThrough((cursor) => admin.users.page.query({ limit: PAGE, cursor }));
    expect(byName).toEqual(await ordered(sql`select id from users order by name, id`));
    const byCreation = await pageThrough((cursor) => admin.users.page.query({ sort: "created_at", direction: "desc", limit: PAGE, cursor }));
    expect(byCreation).toEqual(await ordered(sql`select id from users order by created_at desc, id desc`));
    const disabled = await pageThrough((cursor) => admin.users.page.query({ nameContains: "user-", enabled: false, limit: 3, cursor }));
    expect(disabled).toEqual(await ordered(sql`select id from users where name like 'user-%' and not enabled order by name, id`));
    expect(disabled.length).toBe(9);
    await expect(member.users.page.query({})).rejects.toThrow("Only cloud administrators may do that.");
  });
});
