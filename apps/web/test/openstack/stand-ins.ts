import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { listFlavors, listImages, listNetworks } from "@nimbus/core/catalog";
import type { CoreContext } from "@nimbus/core/context";
import { resolveApiToken } from "@nimbus/core/identity";
import { listSecurityGroups } from "@nimbus/core/network";
import type { Stack } from "../harness";

/**
 * The lookups the stock CLI makes of other services before and after a servers call, for a
 * servers test that must not wait for those services' own routes: `server create` finds its
 * image in Glance, its flavor in Nova's flavors API and its network and security groups in
 * Neutron, and every server command discovers Glance's version first. A proxy in front of the
 * server forwards every call and answers from these stand-ins only where the server itself has
 * no route (its "The resource could not be found" 404), each from the same core verb the real
 * route uses, as the caller's token allows. Once the real routes exist it only forwards.
 */

type Reply = { status: number; body: unknown } | null;
type StandIn = (ctx: CoreContext, path: string, query: URLSearchParams, base: string) => Promise<Reply> | Reply;

const ROUTE_MISSING = "The resource could not be found: ";

const flavorView = (f: Awaited<ReturnType<typeof listFlavors>>[number], base: string) => ({
  id: f.id,
  name: f.name,
  ram: f.memoryMb,
  vcpus: f.vcpus,
  disk: f.rootGb,
  "OS-FLV-EXT-DATA:ephemeral": f.ephemeralGb,
  swap: f.swapMb || "",
  rxtx_factor: 1,
  "os-flavor-access:is_public": f.isPublic,
  "OS-FLV-DISABLED:disabled": f.disabled,
  links: [{ rel: "self", href: `${base}/compute/v2.1/flavors/${f.id}` }],
});
const imageView = (i: Awaited<ReturnType<typeof listImages>>[number]) => ({
  id: i.id,
  name: i.name,
  status: i.status,
  visibility: i.visibility,
  disk_format: i.diskFormat,
  container_format: "bare",
  min_disk: i.minDiskGb,
  min_ram: i.minRamMb,
  tags: [],
});
const networkView = (n: Awaited<ReturnType<typeof listNetworks>>[number]) => ({
  id: n.id,
  name: n.name,
  status: "ACTIVE",
  admin_state_up: true,
  shared: n.shared,
  subnets: [],
  project_id: n.projectId,
});

const STAND_INS: StandIn[] = [
  (_ctx, path, _query, base) =>
    /^\/image\/?$/.test(path)
      ? { status: 300, body: { versions: [{ id: "v2.9", status: "CURRENT", links: [{ rel: "self", href: `${base}/image/v2/` }] }] } }
      : null,
  (_ctx, path, _query, base) =>
    /^\/network\/?$/.test(path)
      ? { status: 200, body: { versions: [{ id: "v2.0", status: "CURRENT", links: [{ rel: "self", href: `${base}/network/v2.0/` }] }] } }
      : null,
  async (ctx, path, query) => {
    if (!path.startsWith("/image/v2/images")) return null;
    const images = (await listImages({ ctx })).map(imageView);
    const id = path.match(/^\/image\/v2\/images\/([^/]+)$/)?.[1];
    if (id) {
      const image = images.find((i) => i.id === id);
      return image ? { status: 200, body: image } : { status: 404, body: { message: `No image found with ID ${id}` } };
    }
    const name = query.get("name");
    return { status: 200, body: { images: images.filter((i) => name === null || i.name === name) } };
  },
  async (ctx, path, query, base) => {
    const match = path.match(/^\/compute\/v2\.1\/flavors(?:\/([^/]+))?$/);
    if (!match) return null;
    const flavors = (await listFlavors({ ctx })).map((f) => flavorView(f, base));
    const id = match[1];
    if (id && id !== "detail") {
      const flavor = flavors.find((f) => f.id === id);
      return flavor
        ? { status: 200, body: { flavor } }
        : { status: 404, body: { itemNotFound: { code: 404, message: `Flavor ${id} could not be found.` } } };
    }
    const name = query.get("name");
    return { status: 200, body: { flavors: flavors.filter((f) => name === null || f.name === name) } };
  },
  async (ctx, path, query) => {
    const match = path.match(/^\/network\/v2\.0\/(networks|security-groups)(?:\/([^/]+))?$/);
    if (!match) return null;
    const [, kind, id] = match;
    const items =
      kind === "networks"
        ? (await listNetworks({ ctx })).map(networkView)
        : (await listSecurityGroups({ ctx })).map((g) => ({
            id: g.id,
            name: g.name,
            description: g.description,
            project_id: ctx.principal!.projectId,
          }));
    const singular = kind === "networks" ? "network" : "security_group";
    const plural = kind === "networks" ? "networks" : "security_groups";
    if (id) {
      const item = items.find((i) => i.id === id);
      return item
        ? { status: 200, body: { [singular]: item } }
        : { status: 404, body: { NeutronError: { type: "NotFound", message: `${id} not found`, detail: "" } } };
    }
    const name = query.get("name");
    return { status: 200, body: { [plural]: items.filter((i) => name === null || i.name === name) } };
  },
];

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    out.on("error", reject);
    out.end(body);
  });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, headers: IncomingHttpHeaders, body: Buffer): void {
  const { "transfer-encoding": _t, connection: _c, "content-length": _l, "keep-alive": _k, ...rest } = headers;
  res.writeHead(status, { ...rest, "content-length": String(body.length) }).end(body);
}

/** A proxy to the stack's server with the stand-ins behind it; point the CLI at its `url`. */
export async function withStandIns(stack: Stack): Promise<{ url: string; used: Set<string>; close(): Promise<void> }> {
  const target = new URL(stack.server.url);
  const used = new Set<string>();
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const answer = await forward(target, req, body);
      if (answer.status === 404 && answer.body.toString("utf8").includes(ROUTE_MISSING)) {
        const url = new URL(req.url ?? "/", "http://x");
        const token = req.headers["x-auth-token"];
        const standing = typeof token === "string" ? await resolveApiToken(stack.server.services.db, token) : null;
        const ctx: CoreContext = { ...stack.server.services, principal: standing?.principal ?? null, requestId: "req-stand-in", remoteAddress: null };
        const base = `http://${req.headers.host}`;
        for (const standIn of STAND_INS) {
          const reply = await standIn(ctx, url.pathname, url.searchParams, base);
          if (!reply) continue;
          used.add(`${req.method} ${url.pathname.replace(/[0-9a-f-]{36}/g, "{id}")}`);
          return send(res, reply.status, { "content-type": "application/json" }, Buffer.from(JSON.stringify(reply.body)));
        }
      }
      send(res, answer.status, answer.headers, answer.body);
    })().catch((error: unknown) => {
      res.writeHead(502, { "content-type": "text/plain" }).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    used,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
