import { schema } from "@nimbus/db";
import { sql } from "@nimbus/db/orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, PERSONA_PASSWORD, startStack, type Stack } from "../harness";
import { openstackCli, type Cli } from "./cli";

/**
 * The OpenStack lists page in SQL and link their next pages as each service does; the stock
 * openstack CLI follows them (its --limit is only a most-to-show), so a list longer than a page
 * still lists every row, once. Each service's links are also followed raw with a small limit:
 * Glance's next, Cinder's volumes_links, Neutron's next and
 * previous (page_reverse). Another project's marker is refused as each service refuses it.
 */
const ROWS = 9;
/** More images than Glance's default page of 25, so a plain `image list` must follow `next`. */
const IMAGES = 30;

let stack: Stack;
let member: Cli;
let demoId: string;
let otherId: string;
const tokens = new Map<Cli, string>();

async function raw(cli: Cli, url: string, headers: Record<string, string> = {}) {
  const id = tokens.get(cli) ?? (await cli.json<{ id: string }>(["token", "issue"])).id;
  tokens.set(cli, id);
  const response = await fetch(url.startsWith("http") ? url : `${stack.server.url}${url}`, { headers: { "x-auth-token": id, ...headers } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  stack = await startStack("postgres");
  ({ projectId: demoId } = await addUser(stack, { name: "lister", project: "demo", role: "member" }));
  ({ projectId: otherId } = await addUser(stack, { name: "other", project: "elsewhere", role: "member" }));
  member = openstackCli(stack.server.url, { user: "lister", password: PERSONA_PASSWORD, project: "demo" });
  const db = stack.server.database.db;
  const users = await db.select().from(schema.users);
  const listerId = users.find((u) => u.name === "lister")!.id;
  // Names tie in pairs; the other project's rows must never show.
  for (const [projectId, prefix] of [
    [demoId, "d"],
    [otherId, "o"],
  ] as const) {
    await db.execute(sql`insert into images (name, status, visibility, owner_project_id, disk_format)
      select ${prefix} || '-img-' || (g / 2), 'active', 'private', ${projectId}::uuid, 'qcow2' from generate_series(1, ${IMAGES}) g`);
    await db.execute(sql`insert into volumes (project_id, name, size_gb)
      select ${projectId}::uuid, ${prefix} || '-vol-' || (g / 2), 1 from generate_series(1, ${ROWS}) g`);
    await db.execute(sql`insert into networks (name, project_id)
      select ${prefix} || '-net-' || (g / 2), ${projectId}::uuid from generate_series(1, ${ROWS}) g`);
  }
  await db.execute(sql`insert into key_pairs (user_id, name, public_key, fingerprint)
    select ${listerId}::uuid, 'key-' || g, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO5ZdaJk9ayOfkq0x7GaRlOCM5s5oHLLfTqGnNLvTrxQ', 'SHA256:x'
    from generate_series(1, ${ROWS}) g`);
}, 60_000);
afterAll(async () => stack?.stop());

/** Follows a list's next links from `url` (each service's own shape), the rows of every page in order. */
async function follow(
  url: string,
  collection: string,
  nextOf: (body: Record<string, unknown>) => string | undefined,
  headers: Record<string, string> = {},
) {
  const rows: { id?: string; name: string }[] = [];
  let pages = 0;
  for (let at: string | undefined = url; at; pages++) {
    const page = await raw(member, at, headers);
    expect(page.status).toBe(200);
    rows.push(...(page.body[collection] as { id?: string; name: string }[]));
    at = nextOf(page.body);
  }
  return { rows, pages };
}
const linked = (key: string) => (body: Record<string, unknown>) =>
  ((body[key] ?? []) as { rel: string; href: string }[]).find((l) => l.rel === "next")?.href;

describe("OpenStack lists follow their pages", () => {
  it("openstack image list lists every image the project sees past Glance's page of 25, each once; next links page by 4", async () => {
    const rows = await member.json<{ ID: string; Name: string }[]>(["image", "list"]);
    expect(rows.filter((r) => r.Name.startsWith("d-img-"))).toHaveLength(IMAGES);
    expect(rows.length).toBeGreaterThan(25);
    expect(new Set(rows.map((r) => r.ID)).size).toBe(rows.length);
    expect(rows.some((r) => r.Name.startsWith("o-img-"))).toBe(false);
    // Glance's `next` is a path under the image endpoint.
    const { rows: paged, pages } = await follow("/image/v2/images?limit=4&sort_key=name&sort_dir=asc", "images", (body) =>
      typeof body.next === "string" ? `/image${body.next}` : undefined,
    );
    expect(pages).toBe(Math.ceil(rows.length / 4));
    expect(paged.map((i) => i.id).sort()).toEqual(rows.map((r) => r.ID).sort());
    const names = paged.map((i) => i.name);
    expect(names).toEqual([...names].sort());
  });

  it("Cinder's volumes_links page every volume of the project once; volume list --marker starts after it", async () => {
    const rows = await member.json<{ ID: string; Name: string }[]>(["volume", "list"]);
    expect(rows).toHaveLength(ROWS);
    // Cinder's default order (newest first; these were made together, so by id) a page of 4 at a time, as the CLI shows it.
    const { rows: paged, pages } = await follow(`/volume/v3/${demoId}/volumes?limit=4`, "volumes", linked("volumes_links"));
    expect(pages).toBe(Math.ceil(ROWS / 4));
    expect(paged.map((v) => v.id)).toEqual(rows.map((r) => r.ID));
    const after = await member.json<{ ID: string }[]>(["volume", "list", "--marker", paged[3]!.id!, "--limit", "2"]);
    expect(after.map((r) => r.ID)).toEqual([paged[4]!.id, paged[5]!.id]);
  });

  it("openstack keypair list lists every key pair of the user, by name, read in SQL", async () => {
    // Nimbus's Nova is at 2.1, where os-keypairs has no pages (limit and marker come at 2.35).
    const rows = await member.json<{ Name: string }[]>(["keypair", "list"]);
    expect(rows.map((r) => r.Name)).toEqual(Array.from({ length: ROWS }, (_, g) => `key-${g + 1}`).sort());
  });

  it("openstack network list lists every network the project sees, each once; Neutron links next and previous pages", async () => {
    const rows = await member.json<{ ID: string; Name: string }[]>(["network", "list"]);
    expect(rows.filter((r) => r.Name.startsWith("d-net-"))).toHaveLength(ROWS);
    expect(rows.some((r) => r.Name.startsWith("o-net-"))).toBe(false);
    // Follow networks_links by hand, three a page: every network once, in name order.
    const seen: { id: string; name: string }[] = [];
    let url: string | undefined = "/network/v2.0/networks?limit=3&sort_key=name&sort_dir=asc";
    let last: Record<string, unknown> = {};
    while (url) {
      const page = await raw(member, url);
      expect(page.status).toBe(200);
      last = page.body;
      seen.push(...(page.body.networks as { id: string; name: string }[]));
      const links = (page.body.networks_links ?? []) as { rel: string; href: string }[];
      url = links.find((l) => l.rel === "next")?.href;
    }
    expect(seen.map((n) => n.id).sort()).toEqual(rows.map((r) => r.ID).sort());
    const names = seen.map((n) => n.name);
    expect(names).toEqual([...names].sort());
    // The last page links back: page_reverse gives the page before its first network.
    const previous = ((last.networks_links ?? []) as { rel: string; href: string }[]).find((l) => l.rel === "previous");
    expect(previous?.href).toContain("page_reverse=True");
    const back = await raw(member, previous!.href);
    const firstOfLast = (last.networks as { id: string }[])[0]!.id;
    const before = seen
      .slice(
        0,
        seen.findIndex((n) => n.id === firstOfLast),
      )
      .slice(-3);
    expect((back.body.networks as { id: string }[]).map((n) => n.id)).toEqual(before.map((n) => n.id));
  });

  it("refuses another project's network as a marker (Neutron's 400), and still answers filters SQL cannot say", async () => {
    const [theirs] = (await stack.server.database.db.execute(
      sql`select id from networks where project_id = ${otherId}::uuid limit 1`,
    )) as unknown as { id: string }[];
    const refused = await raw(member, `/network/v2.0/networks?marker=${theirs!.id}`);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain("marker");
    // mtu is not one of the SQL filters: the list is scanned a page at a time and filtered in memory.
    const byMtu = await raw(member, "/network/v2.0/networks?mtu=1450&name=d-net-1");
    expect((byMtu.body.networks as { name: string }[]).map((n) => n.name)).toEqual(["d-net-1", "d-net-1"]);
  });
});
