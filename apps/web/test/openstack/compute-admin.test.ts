import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, PERSONA_PASSWORD, signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "../harness";
import { openstackCli, type Cli } from "./cli";

/**
 * Nova's non-server APIs through the stock CLI (python-openstackclient 6.0, and novaclient's
 * `nova limits`, which reads the same limits OSC's `limits show` does): flavors, key pairs,
 * server groups, availability zones, quotas and limits, hypervisors, compute services and
 * aggregates, as a cloud admin and as a project member, on real PostgreSQL with two real agents.
 *
 * The CLI asks for the lower of its own and the server's microversions (openstacksdk: flavors
 * 2.61, key pairs 2.10, server groups 2.64, services 2.69, aggregates 2.81; novaclient stays at
 * 2.1), so what it shows is asserted at the version the server advertises.
 */

const run = promisify(execFile);

type Flavor = { ID: string; Name: string; RAM: number; "Is Public": boolean };
type FlavorShow = {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  "os-flavor-access:is_public": boolean;
  properties: Record<string, string>;
};

describe("Nova's admin and project APIs through the stock openstack CLI", () => {
  let stack: Stack;
  const agents: AgentProcess[] = [];
  let admin: Cli;
  let member: Cli;
  let adminApi: Awaited<ReturnType<typeof signedInClient>>;
  let memberApi: Awaited<ReturnType<typeof signedInClient>>;
  let demoId: string;
  /** The highest compute microversion the server advertises, as [major, minor]. */
  let serverMax: [number, number];
  /** Whether the CLI's openstacksdk calls run at `version` or above (they ask for min(resource max, server max)). */
  const sdkAtLeast = (resourceMax: string, version: string) => {
    const [rMajor, rMinor] = resourceMax.split(".").map(Number) as [number, number];
    const [vMajor, vMinor] = version.split(".").map(Number) as [number, number];
    const asked: [number, number] = rMajor * 1000 + rMinor <= serverMax[0] * 1000 + serverMax[1] ? [rMajor, rMinor] : serverMax;
    return asked[0] * 1000 + asked[1] >= vMajor * 1000 + vMinor;
  };
  const serverOffers = (version: string) => sdkAtLeast("2.999", version);

  beforeAll(async () => {
    stack = await startStack("postgres");
    agents.push(startAgent(stack.server.url, { hostname: "cmp-a" }), startAgent(stack.server.url, { hostname: "cmp-b" }));
    ({ projectId: demoId } = await addUser(stack, { name: "cli-member", project: "demo", role: "member" }));
    admin = openstackCli(stack.server.url);
    member = openstackCli(stack.server.url, { user: "cli-member", password: PERSONA_PASSWORD, project: "demo" });
    adminApi = await signedInClient(stack.server.url);
    memberApi = await signedInClient(stack.server.url, "cli-member", PERSONA_PASSWORD);
    await waitFor("both agents' hosts to register and be up", async () => {
      const hosts = await adminApi.client.hosts.list.query();
      return ["cmp-a", "cmp-b"].every((name) => hosts.some((h) => h.hostname === name && h.state === "up"));
    });
    const doc = (await (await fetch(`${stack.server.url}/compute/v2.1`)).json()) as { version: { version: string } };
    serverMax = doc.version.version.split(".").map(Number) as [number, number];
  }, 90_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await stack?.stop();
  });

  /** A refused CLI call: non-zero exit and the status in what it printed. */
  async function refused(cli: Cli, args: string[], status: RegExp) {
    const result = await cli.run(args);
    expect(result.code, `openstack ${args.join(" ")} should fail`).not.toBe(0);
    expect(`${result.stderr}${result.stdout}`).toMatch(status);
    return `${result.stderr}${result.stdout}`;
  }

  /** Launches one instance as the member and waits for ACTIVE. */
  async function launch(name: string, flavorId: string) {
    const [images, networks] = await Promise.all([memberApi.client.catalog.images.query(), memberApi.client.catalog.networks.query()]);
    const { instanceIds } = await memberApi.client.instances.launch.mutate({
      name,
      count: 1,
      imageId: images[0]!.id,
      flavorId,
      networkId: networks[0]!.id,
    });
    const id = instanceIds[0]!;
    await waitFor(`${name} to become ACTIVE`, async () => (await memberApi.client.instances.get.query({ id })).instance.status === "ACTIVE", 60_000);
    return id;
  }

  it("lists and shows flavors by name and id, creates a private one with properties, offers it to a project, and deletes it while an instance keeps it", async () => {
    const listed = await admin.json<Flavor[]>(["flavor", "list"]);
    expect(listed.map((f) => f.Name)).toEqual(expect.arrayContaining(["m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"]));
    const tiny = listed.find((f) => f.Name === "m1.tiny")!;
    expect(tiny).toMatchObject({ RAM: 512, "Is Public": true });
    const byName = await member.json<FlavorShow>(["flavor", "show", "m1.tiny"]);
    const byId = await member.json<FlavorShow>(["flavor", "show", tiny.ID]);
    expect(byId).toEqual(byName);
    expect(byName).toMatchObject({ id: tiny.ID, ram: 512, vcpus: 1, disk: 1 });

    const created = await admin.json<FlavorShow>([
      "flavor",
      "create",
      "--ram",
      "1024",
      "--disk",
      "1",
      "--vcpus",
      "2",
      "--property",
      "hw:cpu_policy=shared",
      "--private",
      "--id",
      "auto",
      "cli.private",
    ]);
    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(created).toMatchObject({ name: "cli.private", ram: 1024, vcpus: 2, disk: 1, "os-flavor-access:is_public": false });
    expect(created.properties).toEqual({ "hw:cpu_policy": "shared" });
    // The default list is the public flavors (and those offered to the admin's project); --all and --private show it.
    expect((await admin.json<Flavor[]>(["flavor", "list"])).map((f) => f.Name)).not.toContain("cli.private");
    expect((await admin.json<Flavor[]>(["flavor", "list", "--all"])).map((f) => f.Name)).toContain("cli.private");
    expect((await admin.json<Flavor[]>(["flavor", "list", "--private"])).map((f) => f.Name)).toEqual(["cli.private"]);
    // A member sees no private flavor that is not offered to their project, by name or by id.
    expect((await member.json<Flavor[]>(["flavor", "list", "--all"])).map((f) => f.Name)).not.toContain("cli.private");
    await refused(member, ["flavor", "show", "cli.private"], /No Flavor found/);
    await refused(member, ["flavor", "show", created.id], /No Flavor found/);

    await admin.ok(["flavor", "set", "--property", "extra=1", "cli.private"]);
    expect((await admin.json<FlavorShow>(["flavor", "show", "cli.private"])).properties).toEqual({ "hw:cpu_policy": "shared", extra: "1" });
    await admin.ok(["flavor", "set", "--project", "demo", "cli.private"]);
    expect((await admin.json<{ access_project_ids: string[] }>(["flavor", "show", "cli.private"])).access_project_ids).toEqual([demoId]);
    expect((await member.json<Flavor[]>(["flavor", "list"])).map((f) => f.Name)).toContain("cli.private");
    expect((await member.json<FlavorShow>(["flavor", "show", "cli.private"])).properties).toEqual({ "hw:cpu_policy": "shared", extra: "1" });

    // The project may launch it; deleting the flavor (as Nova allows) leaves the instance running with its size and name.
    const instanceId = await launch("on-private", created.id);
    await admin.ok(["flavor", "delete", "cli.private"]);
    await refused(admin, ["flavor", "show", created.id], /No Flavor found/);
    expect((await member.json<Flavor[]>(["flavor", "list"])).map((f) => f.Name)).not.toContain("cli.private");
    const after = (await memberApi.client.instances.get.query({ id: instanceId })).instance;
    expect(after).toMatchObject({ status: "ACTIVE", flavorName: "cli.private", vcpus: 2, memoryMb: 1024 });
    const [images, networks] = await Promise.all([memberApi.client.catalog.images.query(), memberApi.client.catalog.networks.query()]);
    await expect(
      memberApi.client.instances.launch.mutate({ name: "again", count: 1, imageId: images[0]!.id, flavorId: created.id, networkId: networks[0]!.id }),
    ).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    // Its name is free again; the audit trail has both changes.
    const again = await admin.json<FlavorShow>(["flavor", "create", "--ram", "256", "--vcpus", "1", "cli.private"]);
    expect(again.id).not.toBe(created.id);
    await admin.ok(["flavor", "delete", again.id]);
    const audit = await adminApi.client.audit.list.query({ limit: 200 });
    expect(audit.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(["flavor.create", "flavor.set_properties", "flavor.add_access", "flavor.delete"]),
    );
    await memberApi.client.instances.delete.mutate({ id: instanceId });
  }, 180_000);

  it("creates key pairs (the private key printed once, or an imported public key), lists, shows and deletes them", async () => {
    const generated = await member.ok(["keypair", "create", "cli-gen"]);
    expect(generated).toContain("-----BEGIN OPENSSH PRIVATE KEY-----");
    const dir = mkdtempSync(path.join(tmpdir(), "nimbus-osc-key-"));
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "cli@test", "-f", path.join(dir, "id")]);
    const imported = await member.json<{ name: string; fingerprint: string }>([
      "keypair",
      "create",
      "--public-key",
      path.join(dir, "id.pub"),
      "cli-imp",
    ]);
    const { stdout: fingerprint } = await run("ssh-keygen", ["-l", "-f", path.join(dir, "id.pub")]);
    expect(imported.name).toBe("cli-imp");
    expect(fingerprint).toContain(imported.fingerprint);

    const list = await member.json<{ Name: string; Fingerprint: string; Type?: string }[]>(["keypair", "list"]);
    expect(list.map((k) => k.Name).sort()).toEqual(["cli-gen", "cli-imp"]);
    if (sdkAtLeast("2.10", "2.2")) expect(list.every((k) => k.Type === "ssh")).toBe(true);
    const shown = await member.json<{ name: string; fingerprint: string; user_id: string }>(["keypair", "show", "cli-imp"]);
    expect(shown).toMatchObject({ name: "cli-imp", fingerprint: imported.fingerprint });
    expect((await member.ok(["keypair", "show", "--public-key", "cli-imp"])).trim()).toBe(readFileSync(path.join(dir, "id.pub"), "utf8").trim());
    // Key pairs are the user's own: the admin has none of them.
    expect(await admin.json<unknown[]>(["keypair", "list"])).toEqual([]);
    await refused(member, ["keypair", "create", "cli-gen"], /409|already/);

    await member.ok(["keypair", "delete", "cli-gen"]);
    expect((await member.json<{ Name: string }[]>(["keypair", "list"])).map((k) => k.Name)).toEqual(["cli-imp"]);
    await refused(member, ["keypair", "show", "cli-gen"], /not found|No Keypair/i);
    await member.ok(["keypair", "delete", "cli-imp"]);
  }, 120_000);

  it("creates server groups of each policy, lists, shows and deletes them, within the project's quota", async () => {
    const modern = sdkAtLeast("2.64", "2.64");
    const anti = await member.json<{ id: string; name: string; policy?: string; policies?: string[]; members: string[] }>([
      "server",
      "group",
      "create",
      "--policy",
      "anti-affinity",
      "cli-anti",
    ]);
    expect(modern ? anti.policy : anti.policies).toEqual(modern ? "anti-affinity" : ["anti-affinity"]);
    expect(anti.members).toEqual([]);
    const affinity = await member.json<{ id: string }>(["server", "group", "create", "--policy", "affinity", "cli-aff"]);
    const soft = ["server", "group", "create", "--policy", "soft-anti-affinity", "cli-soft"];
    if (sdkAtLeast("2.64", "2.15")) await member.ok(soft);
    else await refused(member, soft, /2\.15 or greater is required/);

    const list = await member.json<{ ID: string; Name: string }[]>(["server", "group", "list"]);
    expect(list.map((g) => g.Name).sort()).toEqual(sdkAtLeast("2.64", "2.15") ? ["cli-aff", "cli-anti", "cli-soft"] : ["cli-aff", "cli-anti"]);
    const shown = await member.json<{ id: string; name: string; project_id: string | null }>(["server", "group", "show", "cli-anti"]);
    expect(shown).toMatchObject({ id: anti.id, name: "cli-anti" });
    if (sdkAtLeast("2.64", "2.13")) expect(shown.project_id).toBe(demoId);
    // Another project's group is not found (OSC 6.0 then fails on the None it finds; Nova's answer is the 404).
    await refused(admin, ["server", "group", "show", anti.id], /./);
    const { id: adminToken } = await admin.json<{ id: string }>(["token", "issue"]);
    const other = await fetch(`${stack.server.url}/compute/v2.1/os-server-groups/${anti.id}`, { headers: { "x-auth-token": adminToken } });
    expect(other.status).toBe(404);

    // The server_groups quota refuses the next one with Nova's 403.
    const used = list.length;
    await admin.ok(["quota", "set", "--server-groups", String(used), "demo"]);
    await refused(member, ["server", "group", "create", "--policy", "affinity", "cli-over"], /403|[Qq]uota/);
    await admin.ok(["quota", "set", "--server-groups", "10", "demo"]);

    await member.ok(["server", "group", "delete", "cli-anti", "cli-aff"]);
    await refused(member, ["server", "group", "delete", affinity.id], /not found|failed to delete/i);
    if (sdkAtLeast("2.64", "2.15")) await member.ok(["server", "group", "delete", "cli-soft"]);
    expect(await member.json<unknown[]>(["server", "group", "list"])).toEqual([]);
  }, 120_000);

  it("creates an aggregate with a zone, adds and removes a host, and the zone shows in the availability zone list", async () => {
    const created = await admin.json<{ id: number; name: string; availability_zone: string }>([
      "aggregate",
      "create",
      "--zone",
      "az-cli",
      "rack-cli",
    ]);
    expect(created).toMatchObject({ name: "rack-cli", availability_zone: "az-cli" });
    expect(Number.isInteger(created.id)).toBe(true);
    const added = await admin.json<{ hosts: string[] }>(["aggregate", "add", "host", "rack-cli", "cmp-b"]);
    expect(added.hosts).toEqual(["cmp-b"]);
    await refused(admin, ["aggregate", "add", "host", "rack-cli", "no-such-host"], /404|could not be found/);
    const listed = await admin.json<{ ID: number; Name: string; "Availability Zone": string; Hosts?: string[] }[]>(["aggregate", "list", "--long"]);
    expect(listed).toEqual([expect.objectContaining({ ID: created.id, Name: "rack-cli", "Availability Zone": "az-cli", Hosts: ["cmp-b"] })]);
    expect(await admin.json<{ hosts: string[]; availability_zone: string }>(["aggregate", "show", "rack-cli"])).toMatchObject({
      hosts: ["cmp-b"],
      availability_zone: "az-cli",
    });
    // The console's host inventory and the scheduler's zones follow.
    const hosts = await adminApi.client.hosts.list.query();
    expect(hosts.find((h) => h.hostname === "cmp-b")!.availabilityZone).toBe("az-cli");

    const zones = await member.json<{ "Zone Name": string; "Zone Status": string }[]>(["availability", "zone", "list", "--compute"]);
    expect(zones).toEqual(
      expect.arrayContaining([
        { "Zone Name": "az-cli", "Zone Status": "available" },
        { "Zone Name": "nova", "Zone Status": "available" },
      ]),
    );
    // --long: an admin sees each zone's hosts; a member (refused the detail) still gets the zones, without hosts.
    const long = await admin.json<{ "Zone Name": string; "Host Name": string; "Service Name": string }[]>([
      "availability",
      "zone",
      "list",
      "--compute",
      "--long",
    ]);
    expect(long.map((z) => [z["Zone Name"], z["Host Name"], z["Service Name"]]).sort()).toEqual([
      ["az-cli", "cmp-b", "nova-compute"],
      ["nova", "cmp-a", "nova-compute"],
    ]);
    const memberLong = await member.json<{ "Host Name": string }[]>(["availability", "zone", "list", "--compute", "--long"]);
    expect(memberLong.every((z) => z["Host Name"] === "")).toBe(true);

    // As Nova: an aggregate with hosts is not deleted.
    await refused(admin, ["aggregate", "delete", "rack-cli"], /400|remove them first/);
    await admin.ok(["aggregate", "remove", "host", "rack-cli", "cmp-b"]);
    await refused(admin, ["aggregate", "remove", "host", "rack-cli", "cmp-b"], /404|Cannot remove host/);
    await admin.ok(["aggregate", "delete", "rack-cli"]);
    expect(await admin.json<unknown[]>(["aggregate", "list"])).toEqual([]);
    expect((await member.json<{ "Zone Name": string }[]>(["availability", "zone", "list", "--compute"])).map((z) => z["Zone Name"])).toEqual([
      "nova",
    ]);
    const audit = (await adminApi.client.audit.list.query({ limit: 200 })).map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(["aggregate.create", "aggregate.add_host", "aggregate.remove_host", "aggregate.delete"]));
  }, 120_000);

  it("shows a project's quota with usage, sets it as an admin (refusing a limit under the usage unless forced), and reports the limits", async () => {
    const flavor = (await member.json<FlavorShow>(["flavor", "show", "m1.tiny"])).id;
    const instanceId = await launch("quota-user", flavor);
    type Detail = { Resource: string; "In Use": number; Reserved: number; Limit: number }[];
    const detail = await admin.json<Detail>(["quota", "list", "--compute", "--detail", "--project", "demo"]);
    const row = (name: string) => detail.find((r) => r.Resource === name);
    expect(row("instances")).toEqual({ Resource: "instances", "In Use": 1, Reserved: 0, Limit: 10 });
    expect(row("cores")).toMatchObject({ "In Use": 1, Limit: 20 });
    expect(row("ram")).toMatchObject({ "In Use": 512, Limit: 51200 });
    expect(detail.map((r) => r.Resource).sort()).toEqual(["cores", "instances", "key_pairs", "ram", "server_groups"]);

    await admin.ok(["quota", "set", "--instances", "4", "--cores", "8", "--ram", "4096", "demo"]);
    const listed = await admin.json<{ "Project ID": string; Instances: number; Cores: number; Ram: number }[]>(["quota", "list", "--compute"]);
    expect(listed.find((q) => q["Project ID"] === demoId)).toMatchObject({ Instances: 4, Cores: 8, Ram: 4096 });
    // The stock commands that read Nova, Cinder and Neutron together: the member's own quota and limits.
    const shown = await member.json<Record<string, unknown>>(["quota", "show"]);
    expect(shown).toMatchObject({ instances: 4, cores: 8, ram: 4096 });
    expect(shown).toHaveProperty("volumes");
    expect(shown).toHaveProperty("networks");
    const absolute = await member.json<{ Name: string; Value: number }[]>(["limits", "show", "--absolute"]);
    const limit = (name: string) => absolute.find((l) => l.Name === name)?.Value;
    expect([limit("maxTotalInstances"), limit("totalInstancesUsed"), limit("maxTotalCores"), limit("maxTotalRAMSize")]).toEqual([4, 1, 8, 4096]);
    expect(limit("maxTotalVolumes")).toBeGreaterThan(0);
    // novaclient's own limits table (the same Nova call).
    const limits = await novaCli(member, ["limits"]);
    expect(limits).toMatch(/\|\s*Instances\s*\|\s*1\s*\|\s*4\s*\|/);
    expect(limits).toMatch(/\|\s*Cores\s*\|\s*1\s*\|\s*8\s*\|/);
    expect(limits).toMatch(/\|\s*RAM\s*\|\s*512\s*\|\s*4096\s*\|/);
    // A limit under what is in use is refused, as Nova does without --force.
    const under = await refused(admin, ["quota", "set", "--instances", "0", "demo"], /400/);
    expect(under).toMatch(/already used 1/);
    // OSC's --force also goes to Neutron's quotas; novaclient's own CLI sends it to Nova alone.
    await novaCli(admin, ["quota-update", "--instances", "0", "--force", demoId]);
    expect((await adminApi.client.quotas.get.query({ projectId: demoId })).limits.instances).toBe(0);
    await admin.ok(["quota", "set", "--instances", "10", "--cores", "20", "--ram", "51200", "demo"]);
    // Nimbus limits no more than it shows: a quota it does not have is a 400 naming it.
    expect(await refused(admin, ["quota", "set", "--injected-files", "3", "demo"], /400/)).toMatch(/no injected_files quota/);
    await memberApi.client.instances.delete.mutate({ id: instanceId });
  }, 180_000);

  it("lists and shows hypervisors from the hosts and placement usage", async () => {
    const flavor = (await member.json<FlavorShow>(["flavor", "show", "m1.small"])).id;
    const instanceId = await launch("hv-user", flavor);
    const hosts = await adminApi.client.hosts.list.query();
    const placed = hosts.find((h) => h.instanceCount > 0)!;
    type Hv = {
      ID: number | string;
      "Hypervisor Hostname": string;
      "Hypervisor Type": string;
      State: string;
      "vCPUs Used": number;
      vCPUs: number;
      "Memory MB Used": number;
      "Memory MB": number;
    };
    const list = await admin.json<Hv[]>(["hypervisor", "list", "--long"]);
    expect(list.map((h) => h["Hypervisor Hostname"]).sort()).toEqual(["cmp-a", "cmp-b"]);
    const row = list.find((h) => h["Hypervisor Hostname"] === placed.hostname)!;
    // novaclient asks for 2.1: integer ids.
    expect(typeof row.ID).toBe("number");
    expect(row).toMatchObject({
      "Hypervisor Type": "test",
      State: "up",
      vCPUs: placed.vcpus.total,
      "vCPUs Used": 1,
      "Memory MB": placed.memoryMb.total,
      "Memory MB Used": 2048,
    });

    type HvShow = {
      id: number;
      hypervisor_hostname: string;
      running_vms: number;
      local_gb_used: number;
      service_host: string;
      aggregates: string[];
      status: string;
    };
    const byName = await admin.json<HvShow>(["hypervisor", "show", placed.hostname]);
    expect(byName).toMatchObject({
      hypervisor_hostname: placed.hostname,
      running_vms: 1,
      local_gb_used: 20,
      service_host: placed.hostname,
      status: "enabled",
    });
    const byId = await admin.json<HvShow>(["hypervisor", "show", String(row.ID)]);
    expect(byId.hypervisor_hostname).toBe(placed.hostname);
    if (serverOffers("2.53")) {
      const uuids = await admin.json<Hv[]>(["--os-compute-api-version", "2.53", "hypervisor", "list"]);
      expect(uuids.map((h) => h.ID).sort()).toEqual(hosts.map((h) => h.id).sort());
    }
    await memberApi.client.instances.delete.mutate({ id: instanceId });
  }, 180_000);

  it("lists compute services and disables one with a reason, which the console's hosts and the audit trail show, then enables it", async () => {
    type Service = {
      ID: number | string;
      Binary: string;
      Host: string;
      Zone: string;
      Status: string;
      State: string;
      "Disabled Reason"?: string | null;
    };
    const services = await admin.json<Service[]>(["compute", "service", "list"]);
    expect(services.map((s) => [s.Binary, s.Host, s.Zone, s.Status, s.State]).sort()).toEqual([
      ["nova-compute", "cmp-a", "nova", "enabled", "up"],
      ["nova-compute", "cmp-b", "nova", "enabled", "up"],
    ]);
    const hosts = await adminApi.client.hosts.list.query();
    const ids = services.map((s) => s.ID).sort();
    // From 2.53 a service is named by its host's id; before, by a number.
    if (sdkAtLeast("2.69", "2.53")) expect(ids).toEqual(hosts.map((h) => h.id).sort());
    else expect(ids.every((id) => typeof id === "number")).toBe(true);

    await admin.ok(["compute", "service", "set", "--disable", "--disable-reason", "rack maintenance", "cmp-b", "nova-compute"]);
    const listed = await admin.json<Service[]>(["compute", "service", "list", "--long", "--host", "cmp-b"]);
    expect(listed).toEqual([expect.objectContaining({ Host: "cmp-b", Status: "disabled", "Disabled Reason": "rack maintenance" })]);
    const host = (await adminApi.client.hosts.list.query()).find((h) => h.hostname === "cmp-b")!;
    expect(host).toMatchObject({ enabled: false, disabledReason: "rack maintenance" });
    const audit = await adminApi.client.audit.list.query({ action: "host.disable" });
    expect(audit[0]).toMatchObject({ action: "host.disable", targetId: "cmp-b", actorName: "admin" });
    // A disabled host's zone has no enabled host left to offer, the other one still has.
    expect((await admin.json<{ "Host Name": string }[]>(["availability", "zone", "list", "--compute", "--long"])).map((z) => z["Host Name"])).toEqual(
      ["cmp-a"],
    );

    await admin.ok(["compute", "service", "set", "--enable", "cmp-b", "nova-compute"]);
    expect((await adminApi.client.hosts.list.query()).find((h) => h.hostname === "cmp-b")).toMatchObject({ enabled: true, disabledReason: null });
    expect((await adminApi.client.audit.list.query({ action: "host.enable" }))[0]).toMatchObject({ targetId: "cmp-b" });
    await refused(admin, ["compute", "service", "set", "--enable", "no-such-host", "nova-compute"], /not found|failed to set/i);
  }, 120_000);

  it("refuses a member every admin call with 403, and answers with Nova's error bodies", async () => {
    for (const args of [
      ["hypervisor", "list"],
      ["hypervisor", "show", "cmp-a"],
      ["compute", "service", "list"],
      ["aggregate", "list"],
      ["aggregate", "create", "rack-x"],
      ["flavor", "create", "--ram", "64", "--vcpus", "1", "f-x"],
      ["flavor", "delete", "m1.tiny"],
      ["flavor", "set", "--property", "a=b", "m1.tiny"],
      ["quota", "set", "--instances", "50", "demo"],
      ["quota", "list", "--compute", "--detail", "--project", "admin"],
    ]) {
      const out = await refused(member, args, /403|Forbidden|administrators/);
      expect(out, args.join(" ")).not.toMatch(/Traceback/);
    }
    // OSC reports a refused service change without the status; nothing changed.
    await refused(member, ["compute", "service", "set", "--disable", "--disable-reason", "x", "cmp-a", "nova-compute"], /403|failed to set/);
    expect((await adminApi.client.hosts.list.query()).every((h) => h.enabled)).toBe(true);
    expect(await adminApi.client.aggregates.list.query()).toEqual([]);

    const token = async (cli: Cli) => (await cli.json<{ id: string }>(["token", "issue"])).id;
    const [memberToken, adminToken] = await Promise.all([token(member), token(admin)]);
    const call = async (method: string, url: string, authToken: string, body?: unknown, version = "2.1") => {
      const response = await fetch(`${stack.server.url}/compute/v2.1${url}`, {
        method,
        headers: {
          "x-auth-token": authToken,
          "openstack-api-version": `compute ${version}`,
          ...(body ? { "content-type": "application/json" } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, body: (await response.json()) as Record<string, { code: number; message: string }> };
    };
    expect(await call("GET", "/os-hypervisors", memberToken)).toEqual({
      status: 403,
      body: { forbidden: { code: 403, message: expect.any(String) } },
    });
    expect(await call("GET", "/flavors/7d3f1a52-0000-4000-8000-000000000000", memberToken)).toMatchObject({
      status: 404,
      body: { itemNotFound: { code: 404 } },
    });
    expect(await call("GET", "/flavors/m1.tiny", memberToken)).toMatchObject({ status: 404, body: { itemNotFound: { code: 404 } } });
    const badFlavor = await call("POST", "/flavors", adminToken, { flavor: { name: "bad", ram: 0, vcpus: 1, disk: 1 } });
    expect(badFlavor).toMatchObject({ status: 400, body: { badRequest: { code: 400 } } });
    expect(badFlavor.body.badRequest!.message).toMatch(/ram/);
    expect(await call("POST", "/flavors", adminToken, { flavor: { name: "m1.tiny", ram: 64, vcpus: 1, disk: 1 } })).toMatchObject({
      status: 409,
      body: { conflictingRequest: { code: 409 } },
    });
    expect(await call("GET", "/os-aggregates/not-a-number", adminToken)).toMatchObject({ status: 400, body: { badRequest: { code: 400 } } });
    expect(await call("GET", "/os-quota-sets/not-a-project", adminToken)).toMatchObject({ status: 400, body: { badRequest: { code: 400 } } });
  }, 120_000);

  it("answers each microversion the server offers with that version's shapes", async () => {
    const { id: adminToken } = await admin.json<{ id: string }>(["token", "issue"]);
    const get = async (url: string, version: string) => {
      const response = await fetch(`${stack.server.url}/compute/v2.1${url}`, {
        headers: { "x-auth-token": adminToken, "openstack-api-version": `compute ${version}` },
      });
      expect(response.status, `${url} at ${version}`).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    const hosts = await adminApi.client.hosts.list.query();
    const tinyId = (await adminApi.client.catalog.flavors.query()).find((f) => f.name === "m1.tiny")!.id;
    const versions = ["2.1", "2.2", "2.11", "2.15", "2.28", "2.53", "2.55", "2.61", "2.64", "2.75", "2.88"].filter(serverOffers);
    expect(versions[0]).toBe("2.1");
    for (const v of versions) {
      const at = (min: string) => sdkAtLeast(v, min);
      const { services } = (await get("/os-services", v)) as { services: { id: unknown; forced_down?: boolean }[] };
      expect(services.map((s) => (at("2.53") ? s.id : typeof s.id)).sort(), v).toEqual(
        at("2.53") ? hosts.map((h) => h.id).sort() : ["number", "number"],
      );
      expect(services.every((s) => (at("2.11") ? s.forced_down === false : !("forced_down" in s)))).toBe(true);
      const { hypervisors } = (await get("/os-hypervisors/detail", v)) as { hypervisors: Record<string, unknown>[] };
      for (const h of hypervisors) {
        expect("vcpus" in h, v).toBe(!at("2.88"));
        expect("uptime" in h, v).toBe(at("2.88"));
        if (!at("2.88")) expect(typeof h.cpu_info, v).toBe(at("2.28") ? "object" : "string");
      }
      const { flavor } = (await get(`/flavors/${tinyId}`, v)) as { flavor: Record<string, unknown> };
      expect(flavor.swap, v).toBe(at("2.75") ? 0 : "");
      expect("description" in flavor, v).toBe(at("2.55"));
      expect("extra_specs" in flavor, v).toBe(at("2.61"));
      const sg = await fetch(`${stack.server.url}/compute/v2.1/os-server-groups`, {
        method: "POST",
        headers: { "x-auth-token": adminToken, "openstack-api-version": `compute ${v}`, "content-type": "application/json" },
        body: JSON.stringify({ server_group: at("2.64") ? { name: `sg-${v}`, policy: "affinity" } : { name: `sg-${v}`, policies: ["affinity"] } }),
      });
      const group = ((await sg.json()) as { server_group: Record<string, unknown> }).server_group;
      expect(sg.status, v).toBe(200);
      expect(at("2.64") ? group.policy : group.policies, v).toEqual(at("2.64") ? "affinity" : ["affinity"]);
      expect("project_id" in group, v).toBe(at("2.13"));
      await fetch(`${stack.server.url}/compute/v2.1/os-server-groups/${String(group.id)}`, {
        method: "DELETE",
        headers: { "x-auth-token": adminToken },
      });
    }
    // From 2.75 an unknown query parameter is refused.
    if (serverOffers("2.75")) {
      const response = await fetch(`${stack.server.url}/compute/v2.1/os-services?bogus=1`, {
        headers: { "x-auth-token": adminToken, "openstack-api-version": "compute 2.75" },
      });
      expect(response.status).toBe(400);
    }
  }, 120_000);
});

/** novaclient's own CLI (`nova`), with the same credentials as an openstack CLI. */
async function novaCli(cli: Cli, args: string[]): Promise<string> {
  const { stdout } = await run("nova", args, { env: { ...cli.env, NODE_ENV: "test" }, timeout: 60_000 });
  return stdout;
}
