import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "@nimbus/db";
import { eq } from "@nimbus/db/orm";
import {
  addUser,
  PERSONA_PASSWORD,
  protocolPeer,
  reportSender,
  signedInClient,
  startAgent,
  startStack,
  waitFor,
  type AgentProcess,
  type Stack,
} from "../harness";
import { openstackCli, type Cli } from "./cli";

/**
 * Nova's servers API through the stock `openstack` CLI (python-openstackclient 6.0 at its
 * default microversion, 2.1), against a real PostgreSQL and a real compute agent on libvirt's
 * test driver. The CLI also looks up images, flavors, networks and security groups in Glance,
 * Nova's flavors and Neutron before it creates a server (the other test files cover those).
 */

type ServerShow = Record<string, unknown> & { id: string; name: string; status: string };
type ListRow = { ID: string; Name: string; Status: string; Networks: Record<string, string[]> | string };

/** The JSON the CLI prints after `--wait`'s progress line(s). */
const jsonAfterProgress = <T>(stdout: string): T => JSON.parse(stdout.slice(stdout.indexOf("{"))) as T;

describe("Nova servers through the stock openstack CLI", () => {
  let stack: Stack;
  let agent: AgentProcess;
  /** The server the CLI is pointed at. */
  let proxy: { url: string };
  let admin: Awaited<ReturnType<typeof signedInClient>>["client"];
  let adminCli: Cli;
  let alice: Cli;
  let bob: Cli;
  let rita: Cli;
  const ids = { image: "", tiny: "", small: "", network: "", demo: "", other: "", aliceUser: "", group: "" };
  let userDataFile = "";
  const tokens = new Map<Cli, string>();

  /** A raw call to the compute API with the CLI user's token (what the CLI cannot show: headers, links, status codes). */
  async function nova(cli: Cli, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
    let token = tokens.get(cli);
    if (!token) {
      token = (await cli.json<{ id: string }>(["token", "issue"])).id;
      tokens.set(cli, token);
    }
    const response = await fetch(url.startsWith("http") ? url : `${proxy.url}/compute/v2.1${url}`, {
      method,
      headers: { "x-auth-token": token, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: the test reads Nova's answers field by field, as a client does
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as Record<string, any> };
  }

  const launchBody = (name: string, extra: Record<string, unknown> = {}) => ({
    server: { name, imageRef: ids.image, flavorRef: ids.tiny, networks: [{ uuid: ids.network }], ...extra },
  });

  beforeAll(async () => {
    stack = await startStack("postgres");
    agent = startAgent(stack.server.url, { hostname: "nova-cli-1" });
    proxy = { url: stack.server.url };
    admin = (await signedInClient(stack.server.url)).client;
    const aliceUser = await addUser(stack, { name: "alice", project: "demo", role: "member" });
    await addUser(stack, { name: "rita", project: "demo", role: "reader" });
    const bobUser = await addUser(stack, { name: "bob", project: "other", role: "member" });
    ids.demo = aliceUser.projectId;
    ids.other = bobUser.projectId;
    ids.aliceUser = aliceUser.userId;
    adminCli = openstackCli(proxy.url);
    alice = openstackCli(proxy.url, { user: "alice", password: PERSONA_PASSWORD, project: "demo" });
    bob = openstackCli(proxy.url, { user: "bob", password: PERSONA_PASSWORD, project: "other" });
    rita = openstackCli(proxy.url, { user: "rita", password: PERSONA_PASSWORD, project: "demo" });
    const [flavors, images, networks] = await Promise.all([
      admin.catalog.flavors.query(),
      admin.catalog.images.query(),
      admin.catalog.networks.query(),
    ]);
    ids.tiny = flavors.find((f) => f.name === "m1.tiny")!.id;
    ids.small = flavors.find((f) => f.name === "m1.small")!.id;
    ids.image = images[0]!.id;
    ids.network = networks.find((n) => n.name === "shared-net")!.id;
    // Room for every launch below: the quota refusal is tested on another project.
    await admin.quotas.set.mutate({ projectId: ids.demo, limits: { instances: -1, cores: -1, ram: -1 } });
    const aliceConsole = (await signedInClient(stack.server.url, "alice", PERSONA_PASSWORD)).client;
    await aliceConsole.keyPairs.create.mutate({ name: "alice-key" });
    await aliceConsole.securityGroups.create.mutate({ name: "web" });
    ids.group = (await aliceConsole.serverGroups.create.mutate({ name: "spread", policy: "anti-affinity" })).id;
    userDataFile = path.join(mkdtempSync(path.join(tmpdir(), "nova-servers-")), "user-data.yaml");
    writeFileSync(userDataFile, "#cloud-config\nruncmd:\n  - echo hello from nova\n");
    await waitFor("the agent's host to be up", async () =>
      (await admin.hosts.list.query()).some((h) => h.hostname === agent.hostname && h.state === "up"),
    );
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
  });

  let web1: ServerShow;
  let fromVolumeId = "";

  it("server create with image, flavor, network, key, security group, user data and a group hint ends ACTIVE with --wait", async () => {
    const out = await alice.ok([
      "server",
      "create",
      "--image",
      ids.image,
      "--flavor",
      ids.tiny,
      "--network",
      ids.network,
      "--key-name",
      "alice-key",
      "--security-group",
      "web",
      "--user-data",
      userDataFile,
      "--hint",
      `group=${ids.group}`,
      "--wait",
      "-f",
      "json",
      "web-1",
    ]);
    web1 = jsonAfterProgress<ServerShow>(out);
    expect(web1).toMatchObject({
      name: "web-1",
      status: "ACTIVE",
      key_name: "alice-key",
      progress: 100,
      "OS-EXT-STS:vm_state": "active",
      "OS-EXT-STS:task_state": null,
      // Nova's number (RUNNING); the table format prints "Running".
      "OS-EXT-STS:power_state": 1,
      "OS-EXT-AZ:availability_zone": "nova",
      project_id: ids.demo,
      user_id: ids.aliceUser,
      security_groups: [{ name: "web" }],
    });
    expect(web1.addresses).toMatchObject({ "shared-net": [expect.stringMatching(/^10\.0\.0\.\d+$/)] });
    expect(web1.hostId).toMatch(/^[0-9a-f]{56}$/);
    // A member sees no host names (Nova's extended server attributes are for admins).
    expect(Object.keys(web1).filter((k) => k.startsWith("OS-EXT-SRV-ATTR"))).toEqual([]);
    // What the guest gets: the user data as given, the key, and the group's membership.
    const row = await stack.server.database.db.query.instances.findFirst({ where: eq(schema.instances.id, web1.id) });
    expect(Buffer.from(row!.userData!, "base64").toString("utf8")).toBe("#cloud-config\nruncmd:\n  - echo hello from nova\n");
    expect(row!.keyData).toMatch(/^ssh-/);
    const groups = await (await signedInClient(stack.server.url, "alice", PERSONA_PASSWORD)).client.serverGroups.list.query();
    expect(groups.find((g) => g.id === ids.group)!.members.map((m) => m.id)).toEqual([web1.id]);
  }, 90_000);

  it("server show: Nova's fields and links for a member, and the host for an admin", async () => {
    const shown = await alice.json<ServerShow>(["server", "show", "web-1"]);
    expect(shown).toMatchObject({ id: web1.id, status: "ACTIVE", config_drive: "True", properties: {} });
    const raw = await nova(alice, "GET", `/servers/${web1.id}`);
    expect(raw.status).toBe(200);
    expect(raw.headers.get("x-openstack-request-id")).toMatch(/^req-/);
    expect(raw.body.server).toMatchObject({
      id: web1.id,
      tenant_id: ids.demo,
      flavor: { id: ids.tiny, links: [{ rel: "bookmark", href: `${proxy.url}/compute/flavors/${ids.tiny}` }] },
      image: { id: ids.image },
      links: [
        { rel: "self", href: `${proxy.url}/compute/v2.1/servers/${web1.id}` },
        { rel: "bookmark", href: `${proxy.url}/compute/servers/${web1.id}` },
      ],
      "OS-DCF:diskConfig": "MANUAL",
      "os-extended-volumes:volumes_attached": [],
      metadata: {},
    });
    const [address] = raw.body.server.addresses["shared-net"];
    expect(address).toMatchObject({
      version: 4,
      "OS-EXT-IPS:type": "fixed",
      "OS-EXT-IPS-MAC:mac_addr": expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
    });
    expect(raw.body.server.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(raw.body.server["OS-SRV-USG:launched_at"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(raw.body.server.fault).toBeUndefined();

    // An admin of another project sees it by id, with its host (Nova's OS-EXT-SRV-ATTR).
    const asAdmin = await adminCli.json<ServerShow>(["server", "show", web1.id]);
    expect(asAdmin).toMatchObject({
      "OS-EXT-SRV-ATTR:host": agent.hostname,
      "OS-EXT-SRV-ATTR:hypervisor_hostname": agent.hostname,
      "OS-EXT-SRV-ATTR:instance_name": `nimbus-${web1.id}`,
    });
  }, 60_000);

  it("server create --boot-from-volume boots from a new volume made from the image: no image on the server, the volume attached", async () => {
    const out = await alice.ok([
      "server",
      "create",
      "--image",
      ids.image,
      "--boot-from-volume",
      "1",
      "--flavor",
      ids.tiny,
      "--network",
      ids.network,
      "--wait",
      "-f",
      "json",
      "from-volume",
    ]);
    const server = jsonAfterProgress<ServerShow & { volumes_attached: unknown }>(out);
    fromVolumeId = server.id;
    expect(server).toMatchObject({ status: "ACTIVE", image: "N/A (booted from volume)" });
    const raw = await nova(alice, "GET", `/servers/${server.id}`);
    expect(raw.body.server.image).toBe("");
    const [volume] = raw.body.server["os-extended-volumes:volumes_attached"];
    const detail = await (await signedInClient(stack.server.url, "alice", PERSONA_PASSWORD)).client.instances.get.query({ id: server.id });
    expect(detail.volumes).toEqual([expect.objectContaining({ id: volume.id, bootIndex: 0, sizeGb: 1, deleteOnTermination: false })]);
    // The test driver's host has room for a handful of servers: this one makes way for the rest.
    expect((await nova(alice, "DELETE", `/servers/${server.id}`)).status).toBe(204);
  }, 90_000);

  it("server create --min/--max launches a reservation named as Nova names it, and return_reservation_id answers with it", async () => {
    await alice.ok(["server", "create", "--image", ids.image, "--flavor", ids.tiny, "--network", ids.network, "--min", "2", "--max", "2", "multi"]);
    const multi = await alice.json<ListRow[]>(["server", "list", "--name", "^multi-"]);
    expect(multi.map((s) => s.Name).sort()).toEqual(["multi-1", "multi-2"]);

    const reserved = await nova(alice, "POST", "/servers", launchBody("page", { min_count: 2, max_count: 2, return_reservation_id: true }));
    expect(reserved.status).toBe(202);
    expect(Object.keys(reserved.body)).toEqual(["reservation_id"]);
    const listed = await nova(alice, "GET", `/servers?reservation_id=${reserved.body.reservation_id}`);
    expect(listed.body.servers.map((s: { name: string }) => s.name).sort()).toEqual(["page-1", "page-2"]);
  }, 60_000);

  it("server list: --long, --name, --status, and --all-projects for admins only", async () => {
    const [mine, long, none, errored, active, adminOwn, everywhere, refused] = await Promise.all([
      alice.json<ListRow[]>(["server", "list"]),
      alice.json<Record<string, unknown>[]>(["server", "list", "--long", "--name", "^web-1$"]),
      alice.json<ListRow[]>(["server", "list", "--name", "nothing-like-this"]),
      alice.json<ListRow[]>(["server", "list", "--status", "ERROR"]),
      alice.json<ListRow[]>(["server", "list", "--status", "ACTIVE"]),
      adminCli.json<ListRow[]>(["server", "list"]),
      adminCli.json<Record<string, unknown>[]>(["server", "list", "--all-projects", "--long", "--name", "^web-1$"]),
      alice.run(["server", "list", "--all-projects"]),
    ]);
    expect(mine.map((s) => s.Name)).toEqual(expect.arrayContaining(["web-1", "multi-1", "multi-2", "page-1", "page-2"]));
    expect(mine.find((s) => s.Name === "web-1")).toMatchObject({
      Status: "ACTIVE",
      Networks: { "shared-net": [expect.stringMatching(/^10\.0\.0\./)] },
    });
    // A member's long list has no host (Nova's extended attributes are for admins).
    expect(long).toEqual([
      expect.objectContaining({ Name: "web-1", Status: "ACTIVE", "Power State": 1, "Availability Zone": "nova", "Flavor ID": ids.tiny, Host: "" }),
    ]);
    expect(none).toEqual([]);
    expect(errored.map((s) => s.Name)).not.toContain("web-1");
    expect(active.map((s) => s.Name)).toContain("web-1");
    expect(adminOwn.map((s) => s.ID)).not.toContain(web1.id);
    expect(everywhere).toEqual([expect.objectContaining({ ID: web1.id, Host: agent.hostname })]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/HTTP 403/);
  }, 90_000);

  it("pages with limit and marker, servers_links next, and changes-since", async () => {
    const all = (await nova(alice, "GET", "/servers")).body.servers.map((s: { id: string }) => s.id) as string[];
    expect(all.length).toBeGreaterThanOrEqual(5);
    // Follow the next links two at a time: the same servers in the same order, each once.
    const paged: string[] = [];
    let next: string | undefined = "/servers/detail?limit=2";
    while (next) {
      const page = await nova(alice, "GET", next);
      expect(page.body.servers.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.servers.map((s: { id: string }) => s.id));
      next = page.body.servers_links?.find((l: { rel: string }) => l.rel === "next")?.href;
      if (next) expect(next).toMatch(/[?&]limit=2(&|$)/);
    }
    expect(paged).toEqual(all);
    const cliPage = await alice.json<ListRow[]>(["server", "list", "--limit", "1", "--marker", all[0]!]);
    expect(cliPage.map((s) => s.ID)).toEqual([all[1]]);
    const badMarker = await nova(alice, "GET", `/servers?marker=${randomUUID()}`);
    expect(badMarker.status).toBe(400);
    expect(badMarker.body.badRequest.message).toMatch(/^marker \[.+\] not found$/);

    // sort_key and sort_dir go through the console's own keyset query: by name each way, paged by marker.
    const ids = async (query: string) => ((await nova(alice, "GET", `/servers?${query}`)).body.servers as { id: string }[]).map((s) => s.id);
    const byName = await ids("sort_key=display_name&sort_dir=asc");
    expect([...byName].sort()).toEqual([...all].sort());
    expect(await ids("sort_key=display_name&sort_dir=desc")).toEqual([...byName].reverse());
    const pagedByName: string[] = [];
    let nextByName: string | undefined = "/servers?sort_key=display_name&sort_dir=asc&limit=2";
    while (nextByName) {
      const page = await nova(alice, "GET", nextByName);
      pagedByName.push(...page.body.servers.map((s: { id: string }) => s.id));
      nextByName = page.body.servers_links?.find((l: { rel: string }) => l.rel === "next")?.href;
    }
    expect(pagedByName).toEqual(byName);
    expect(await ids("sort_key=created_at&sort_dir=asc")).toEqual([...all].reverse());
    const badSort = await nova(alice, "GET", "/servers?sort_key=flavor_id");
    expect(badSort.status).toBe(400);
    expect(badSort.body.badRequest.message).toMatch(/^Invalid sort_key flavor_id/);

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await nova(alice, "GET", `/servers?changes-since=${future}`)).body.servers).toEqual([]);
    // Since an hour ago: every server, the deleted one too (Nova lists deleted servers to a changes-since).
    const past = new Date(Date.now() - 3_600_000).toISOString();
    const since = (await nova(alice, "GET", `/servers/detail?changes-since=${past}`)).body.servers as ServerShow[];
    expect(since.map((s) => s.id).sort()).toEqual([...all, fromVolumeId].sort());
    expect(since.find((s) => s.id === fromVolumeId)).toMatchObject({ status: "DELETED", "OS-EXT-STS:vm_state": "deleted" });
    expect((await nova(alice, "GET", "/servers?changes-since=yesterday")).body.badRequest.message).toBe("Invalid filter field: changes-since.");
  }, 60_000);

  it("server event list and show: the create action from the instance action log, with its events", async () => {
    const events = await alice.json<{ "Request ID": string; "Server ID": string; Action: string; "Start Time": string }[]>([
      "server",
      "event",
      "list",
      "web-1",
    ]);
    expect(events).toEqual([expect.objectContaining({ "Server ID": web1.id, Action: "create", "Request ID": expect.stringMatching(/^req-/) })]);
    const shown = await alice.json<{ action: string; events: { event: string; result: string }[] }>([
      "server",
      "event",
      "show",
      "web-1",
      events[0]!["Request ID"],
    ]);
    expect(shown.action).toBe("create");
    expect(shown.events.map((e) => e.event)).toEqual(["scheduling", "networking", "block_device_mapping", "spawning", "active"]);
    expect(shown.events.every((e) => e.result === "Success")).toBe(true);
    const missing = await alice.run(["server", "event", "show", "web-1", "req-00000000-0000-4000-8000-000000000000"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/not found.*HTTP 404/);
  }, 60_000);

  it("console log show --lines: the newest lines of the stored serial console, control characters removed", async () => {
    // The test driver runs no guest: the console is written as an agent would store it.
    await stack.server.database.db.insert(schema.instanceConsoleChunks).values([
      { instanceId: web1.id, offset: 0, data: "one\ntwo\n" },
      { instanceId: web1.id, offset: 8, data: "three\u0007\nfour" },
    ]);
    expect(await alice.ok(["console", "log", "show", "web-1", "--lines", "2"])).toBe("three\nfour\n");
    expect(await alice.ok(["console", "log", "show", "web-1"])).toBe("one\ntwo\nthree\nfour\n");
  }, 60_000);

  it("refuses in Nova's words: fields, types, sizes, flavors, networks, microversions", async () => {
    const refusal = async (body: unknown) => {
      const answer = await nova(alice, "POST", "/servers", body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      return answer.body.badRequest.message as string;
    };
    expect(await refusal({ server: { ...launchBody("x").server, bogus: 1 } })).toMatch(/'bogus' unexpected/);
    expect(await refusal({ server: { ...launchBody("x").server, flavorRef: true } })).toMatch(/server\.flavorRef/);
    expect(await refusal(launchBody("x", { max_count: 1000 }))).toMatch(/server\.max_count.*at most 10/);
    expect(await refusal(launchBody("x", { min_count: "abc" }))).toMatch(/server\.min_count/);
    expect(await refusal(launchBody("x".repeat(300)))).toMatch(/server\.name/);
    expect(await refusal(launchBody("x", { flavorRef: randomUUID() }))).toMatch(/^Flavor [0-9a-f-]{36} could not be found\.$/);
    expect(await refusal(launchBody("x", { key_name: "no-such-key" }))).toBe("Invalid key_name provided.");
    expect(await refusal(launchBody("x", { networks: [{ uuid: ids.network }, { uuid: ids.network }] }))).toMatch(/one network.*2 were given/);
    // `networks: "auto"` is microversion 2.37's; at 2.1 the list is the only form.
    expect(await refusal(launchBody("x", { networks: "auto" }))).toMatch(/server\.networks/);
    expect(await refusal(launchBody("x", { adminPass: "secret" }))).toMatch(/guest passwords/);
    expect((await nova(alice, "GET", "/servers", undefined, { "OpenStack-API-Version": "compute 2.37" })).status).toBe(406);
    expect((await nova(alice, "GET", "/servers/not-a-uuid")).body).toEqual({
      itemNotFound: { code: 404, message: "Instance not-a-uuid could not be found." },
    });
  }, 60_000);

  it("a reader may not create (403); another project's server is not found (404); a project over quota is refused (403)", async () => {
    const [reader, readerList, show, bobList, aliceShow] = await Promise.all([
      rita.run(["server", "create", "--image", ids.image, "--flavor", ids.tiny, "--network", ids.network, "nope"]),
      rita.json<ListRow[]>(["server", "list"]),
      bob.run(["server", "show", web1.id]),
      bob.json<ListRow[]>(["server", "list"]),
      alice.json<ServerShow>(["server", "show", web1.id]),
    ]);
    expect(reader.code).not.toBe(0);
    expect(reader.stderr).toMatch(/HTTP 403/);
    // The reader still sees the project's servers.
    expect(readerList.map((s) => s.ID)).toContain(web1.id);

    for (const [method, url] of [
      ["GET", `/servers/${web1.id}`],
      ["DELETE", `/servers/${web1.id}`],
      ["GET", `/servers/${web1.id}/os-instance-actions`],
      ["POST", `/servers/${web1.id}/action`],
    ] as const) {
      const answer = await nova(bob, method, url, method === "POST" ? { "os-getConsoleOutput": {} } : undefined);
      expect(answer.status, `${method} ${url}`).toBe(404);
      expect(answer.body.itemNotFound.message).toBe(`Instance ${web1.id} could not be found.`);
    }
    expect(show.code).not.toBe(0);
    expect(show.stderr).toMatch(/No server with a name or ID/);
    expect(bobList.map((s) => s.ID)).not.toContain(web1.id);
    expect(aliceShow.status).toBe("ACTIVE");
    expect((await nova(alice, "GET", `/servers/${web1.id}`)).status).toBe(200);

    await admin.quotas.set.mutate({ projectId: ids.other, limits: { instances: 0 } });
    const over = await nova(bob, "POST", "/servers", launchBody("too-many"));
    expect(over.status).toBe(403);
    expect(over.body.forbidden.message).toMatch(/^Quota exceeded for instances/);
    const cli = await bob.run(["server", "create", "--image", ids.image, "--flavor", ids.tiny, "--network", ids.network, "too-many"]);
    expect(cli.stderr).toMatch(/Quota exceeded for instances.*HTTP 403/);
  }, 90_000);

  it("a POST /servers retried with the same X-OpenStack-Request-ID claims once", async () => {
    const header = { "X-OpenStack-Request-ID": `req-${randomUUID()}` };
    const first = await nova(alice, "POST", "/servers", launchBody("retried"), header);
    const again = await nova(alice, "POST", "/servers", launchBody("retried"), header);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.server.id).toBe(first.body.server.id);
    expect((await nova(alice, "GET", "/servers?name=^retried$")).body.servers).toHaveLength(1);
    expect((await nova(alice, "DELETE", `/servers/${first.body.server.id}`)).status).toBe(204);
  }, 60_000);

  it("with no network asked for, the one network the project can use (Nova's answer at 2.1), and 409 once there are two", async () => {
    const { server } = launchBody("unnetworked");
    const { networks: _, ...withoutNetworks } = server;
    const launched = await nova(alice, "POST", "/servers", { server: withoutNetworks });
    expect(launched.status).toBe(202);
    const detail = await admin.instances.allProjects.query({ name: "^unnetworked$" });
    expect(detail.map((i) => i.networkName)).toEqual(["shared-net"]);
    expect((await nova(alice, "DELETE", `/servers/${launched.body.server.id}`)).status).toBe(204);
    const aliceConsole = (await signedInClient(stack.server.url, "alice", PERSONA_PASSWORD)).client;
    await aliceConsole.networks.create.mutate({ name: "alice-net" });
    const ambiguous = await nova(alice, "POST", "/servers", { server: { ...withoutNetworks, networks: [] } });
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body.conflictingRequest.message).toBe("Multiple possible networks found, use a Network ID to be more specific.");
  }, 60_000);

  it("a launch no host can take ends ERROR, and server show gives the console's plain-words fault (details for admins)", async () => {
    const [huge] = await stack.server.database.db
      .insert(schema.flavors)
      .values({ name: "m1.huge", vcpus: 1, memoryMb: 262_144, rootGb: 1 })
      .returning();
    const out = await alice.run(["server", "create", "--image", ids.image, "--flavor", huge!.id, "--network", ids.network, "--wait", "nowhere"]);
    expect(out.stdout).toMatch(/Error creating server/);
    const shown = await alice.json<ServerShow & { fault: { code: number; message: string; created: string; details?: string } }>([
      "server",
      "show",
      "nowhere",
    ]);
    expect(shown.status).toBe("ERROR");
    const console = await (await signedInClient(stack.server.url, "alice", PERSONA_PASSWORD)).client.instances.get.query({ id: shown.id });
    expect(shown.fault).toEqual({ code: 500, message: console.instance.fault!.message, created: expect.stringMatching(/Z$/) });
    expect(shown.fault.message).toMatch(/^No valid host was found\. .*lacked RAM/);
    const asAdmin = await adminCli.json<{ fault: { details?: string } }>(["server", "show", shown.id]);
    expect(asAdmin.fault.details).toBe("NoValidHost");
    // The failed build's event says why, to whoever may read the action log.
    const [event] = await alice.json<{ "Request ID": string }[]>(["server", "event", "list", shown.id]);
    const action = await alice.json<{ events: { event: string; result: string; traceback: string | null }[] }>([
      "server",
      "event",
      "show",
      shown.id,
      event!["Request ID"],
    ]);
    expect(action.events.find((e) => e.result === "Error")?.traceback).toMatch(/No valid host/);
  }, 90_000);

  it("server delete --wait: gone from show and list, and listed as DELETED since a time before", async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    await alice.ok(["server", "delete", "--wait", "multi-1"]);
    const show = await alice.run(["server", "show", "multi-1"]);
    expect(show.stderr).toMatch(/No server with a name or ID of 'multi-1'/);
    expect((await alice.json<ListRow[]>(["server", "list"])).map((s) => s.Name)).not.toContain("multi-1");
    const changed = await nova(alice, "GET", `/servers/detail?changes-since=${before}`);
    expect(changed.body.servers).toContainEqual(expect.objectContaining({ name: "multi-1", status: "DELETED", "OS-EXT-STS:vm_state": "deleted" }));
    expect(changed.body.servers.map((s: { name: string }) => s.name)).not.toContain("web-1");
  }, 60_000);

  it("--wait shows Nova's progress while the server builds, BUILD to ACTIVE", async () => {
    // A host the test paces: it reports each build phase when the CLI has shown the one before.
    const paced: Socket = await protocolPeer(stack.server.url, "paced-1", { heartbeat: true });
    const sender = reportSender(paced);
    const spawned = new Promise<{ instanceId: string; commandId: string }>((resolve) =>
      paced.on("instance.spawn", (command: { commandId: string; instance: { id: string } }, ack: (r: unknown) => void) => {
        ack({ ok: true });
        resolve({ instanceId: command.instance.id, commandId: command.commandId });
      }),
    );
    const report = async (seq: number, phase: string) => {
      const { instanceId, commandId } = await spawned;
      const powerState = phase === "active" ? "running" : "nostate";
      expect(await sender.report({ instanceId, commandId, seq, phase, powerState, at: new Date().toISOString() })).toEqual({ ok: true });
    };
    try {
      // Forced onto the paced host (zone:host, an admin's hint).
      const child = spawn(
        "openstack",
        [
          "server",
          "create",
          "--image",
          ids.image,
          "--flavor",
          ids.tiny,
          "--network",
          ids.network,
          "--availability-zone",
          "nova:paced-1",
          "--wait",
          "-f",
          "json",
          "paced",
        ],
        { env: { NODE_ENV: "test", ...adminCli.env } },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      await report(0, "networking");
      await waitFor("the CLI to show 30% (networking)", () => stdout.includes("Progress: 30"), 30_000);
      await report(1, "spawning");
      await waitFor("the CLI to show 75% (spawning)", () => stdout.includes("Progress: 75"), 30_000);
      await report(2, "active");
      expect(await exited, stderr).toBe(0);
      expect(stdout).toMatch(/Progress: 30\r?.*Progress: 75/s);
      expect(jsonAfterProgress<ServerShow>(stdout)).toMatchObject({
        name: "paced",
        status: "ACTIVE",
        progress: 100,
        "OS-EXT-SRV-ATTR:host": "paced-1",
      });
    } finally {
      paced.close();
    }
  }, 90_000);

  it("server stop, start, reboot, pause, unpause, suspend and resume run the console's actions; a start while ACTIVE is a 409 in plain words", async () => {
    const statusOf = async () => (await alice.json<ServerShow>(["server", "show", "web-1"])).status;
    const settles = (status: string) => waitFor(`web-1 ${status}`, async () => (await statusOf()) === status, 30_000);
    await settles("ACTIVE");
    const started = await alice.run(["server", "start", "web-1"]);
    expect(started.code).not.toBe(0);
    expect(started.stderr).toMatch(/already running \(ACTIVE\): nothing to start.*HTTP 409/s);
    // A reader may look but not act.
    expect((await rita.run(["server", "stop", "web-1"])).stderr).toMatch(/HTTP 403/);
    for (const [command, status] of [
      [["server", "stop"], "SHUTOFF"],
      [["server", "start"], "ACTIVE"],
      [["server", "reboot", "--hard"], "ACTIVE"],
      [["server", "pause"], "PAUSED"],
      [["server", "unpause"], "ACTIVE"],
      [["server", "suspend"], "SUSPENDED"],
      [["server", "resume"], "ACTIVE"],
    ] as const) {
      await alice.ok([...command, "web-1"]);
      await settles(status);
    }
    // Each is in the instance action log, as Nova's os-instance-actions lists them.
    const events = await alice.json<{ Action: string }[]>(["server", "event", "list", "web-1"]);
    expect(events.map((e) => e.Action)).toEqual(expect.arrayContaining(["stop", "start", "reboot", "pause", "unpause", "suspend", "resume"]));
    // The graphical console's URL (os-getVNCConsole): a simulated host has no screen, and says so.
    const consoleUrl = await alice.run(["console", "url", "show", "web-1"]);
    expect(consoleUrl.code).not.toBe(0);
    expect(consoleUrl.stderr).toMatch(/simulated/);
    // Another project's server is not found, whatever the action.
    expect((await bob.run(["server", "stop", (await alice.json<ServerShow>(["server", "show", "web-1"])).id])).stderr).toMatch(/404|No server/);
  }, 180_000);
});
