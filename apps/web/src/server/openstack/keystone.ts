import { MAX_LIST_LIMIT } from "@nimbus/core/validation";
import { z } from "zod";
import {
  DEFAULT_DOMAIN,
  issueKeystoneToken,
  keystoneDomainRef,
  listProjects,
  listUserPage,
  myProjects,
  revokeKeystoneToken,
  validateKeystoneToken,
  type IssueTokenInput,
} from "@nimbus/core/identity";
import type { Principal, Role } from "@nimbus/core/policy";
import type { IdentitySettings } from "@nimbus/core/settings";
import { serviceCatalog, stableId } from "./catalog";
import { badRequest, isoMicros, OsRefusal, principalOf, type OsCall, type OsReply, type OsService } from "./service";
import { parseWire } from "./wire";

/** Keystone v3: tokens (password and token methods), the catalog, projects and users. */

const STATUS_TITLE: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Request Entity Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Keystone's error body: `{"error": {"code", "message", "title"}}`. */
export const keystoneError = (status: number, _code: string, message: string) => ({
  error: { code: status, message, title: STATUS_TITLE[status] ?? "Error" },
});

const UPDATED = "2026-12-01T00:00:00Z";

function versionDocument(baseUrl: string) {
  return {
    id: "v3.14",
    status: "stable",
    updated: UPDATED,
    links: [{ rel: "self", href: `${baseUrl}/identity/v3/` }],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.identity-v3+json" }],
  };
}

const IMPLIED: Record<Role, Role[]> = { admin: ["admin", "member", "reader"], member: ["member", "reader"], reader: ["reader"] };
const roleRef = (name: Role) => ({ id: stableId(`role:${name}`), name });
const domain = { id: DEFAULT_DOMAIN.id, name: DEFAULT_DOMAIN.name };

/** The body of a token (issue and validate alike). */
function tokenBody(call: OsCall, token: { principal: Principal; methods: string[]; issuedAt: Date; expiresAt: Date }, withCatalog: boolean) {
  const { principal } = token;
  return {
    token: {
      methods: token.methods,
      user: { id: principal.userId, name: principal.userName, domain, password_expires_at: null },
      audit_ids: [stableId(`audit:${principal.userId}:${token.issuedAt.getTime()}`).slice(0, 22)],
      issued_at: isoMicros(token.issuedAt),
      expires_at: isoMicros(token.expiresAt),
      project: { id: principal.projectId, name: principal.projectName, domain },
      is_domain: false,
      roles: IMPLIED[principal.role].map(roleRef),
      ...(withCatalog ? { catalog: serviceCatalog(call.baseUrl, principal.projectId) } : {}),
    },
  };
}

const nameOrId = z.union([
  z.object({ id: z.string().min(1).max(64), domain: keystoneDomainRef.optional() }).strict(),
  z.object({ name: z.string().min(1).max(255), domain: keystoneDomainRef.optional() }).strict(),
]);

const authBody = z.object({
  auth: z.object({
    identity: z.object({
      methods: z
        .array(z.enum(["password", "token", "application_credential"]))
        .min(1)
        .max(2),
      password: z
        .object({
          user: z
            .object({
              id: z.string().max(64).optional(),
              name: z.string().max(255).optional(),
              domain: keystoneDomainRef.optional(),
              password: z.string().min(1).max(1024),
            })
            .strict(),
        })
        .optional(),
      token: z.object({ id: z.string().min(1).max(512) }).optional(),
    }),
    scope: z
      .union([
        z.literal("unscoped"),
        z.object({ project: nameOrId }).strict(),
        z.object({ domain: keystoneDomainRef }).strict(),
        z.object({ system: z.unknown() }).strict(),
      ])
      .optional(),
  }),
});

function issueInput(body: z.infer<typeof authBody>, headerToken: string | null): IssueTokenInput {
  const { identity, scope } = body.auth;
  const method = identity.methods[0]!;
  if (method === "application_credential")
    throw new OsRefusal(401, "Unauthenticated", "Use a password or a token (the application_credential method is not offered).");
  if (scope && scope !== "unscoped" && !("project" in scope)) {
    throw new OsRefusal(401, "Unauthenticated", "Nimbus scopes tokens to projects only (no domain or system scope).");
  }
  const project =
    scope && scope !== "unscoped" && "project" in scope ? ("id" in scope.project ? { id: scope.project.id } : { name: scope.project.name }) : null;
  if (project && "id" in project && !z.uuid().safeParse(project.id).success)
    throw new OsRefusal(401, "Unauthenticated", "Invalid user name, password or project.");
  if (method === "password") {
    const user = identity.password?.user;
    if (!user) throw badRequest("auth.identity.password.user is required for the password method.");
    const ref = user.id !== undefined ? { id: user.id } : user.name !== undefined ? { name: user.name } : null;
    if (!ref) throw badRequest("auth.identity.password.user needs an id or a name.");
    if ("id" in ref && !z.uuid().safeParse(ref.id).success) throw new OsRefusal(401, "Unauthenticated", "Invalid user name or password.");
    return { credential: { method: "password", user: ref, password: user.password }, project };
  }
  const token = identity.token?.id ?? headerToken;
  if (!token) throw badRequest("auth.identity.token.id is required for the token method.");
  return { credential: { method: "token", token }, project };
}

function subjectToken(call: OsCall): string {
  const subject = call.req.headers["x-subject-token"];
  if (typeof subject !== "string" || subject === "") throw new OsRefusal(404, "NotFound", "Give the token to check in X-Subject-Token.");
  return subject;
}

const projectView = (p: { id: string; name: string; description?: string; enabled?: boolean }, baseUrl: string) => ({
  id: p.id,
  name: p.name,
  description: p.description ?? "",
  enabled: p.enabled ?? true,
  domain_id: DEFAULT_DOMAIN.id,
  parent_id: DEFAULT_DOMAIN.id,
  is_domain: false,
  tags: [],
  options: {},
  links: { self: `${baseUrl}/identity/v3/projects/${p.id}` },
});

const userView = (u: { id: string; name: string; email?: string | null; enabled: boolean }, defaultProjectId: string | null, baseUrl: string) => ({
  id: u.id,
  name: u.name,
  domain_id: DEFAULT_DOMAIN.id,
  enabled: u.enabled,
  ...(u.email ? { email: u.email } : {}),
  ...(defaultProjectId ? { default_project_id: defaultProjectId } : {}),
  password_expires_at: null,
  options: {},
  links: { self: `${baseUrl}/identity/v3/users/${u.id}` },
});

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A user by id, or by name (as clients look one up), read in SQL. */
async function findUser(call: OsCall, idOrName: string) {
  const byId = UUID_TEXT.test(idOrName) ? (await listUserPage({ ctx: call.ctx, input: { id: idOrName, limit: 1 } })).items[0] : undefined;
  return byId ?? (idOrName.length <= 255 ? (await listUserPage({ ctx: call.ctx, input: { name: idOrName, limit: 1 } })).items[0] : undefined);
}
const collectionLinks = (call: OsCall, path: string) => ({ self: `${call.baseUrl}/identity/v3/${path}`, previous: null, next: null });

/** Only the user themself, or a cloud admin, reads a user's own resources. */
function selfOrAdmin(call: OsCall): Principal {
  const principal = principalOf(call);
  if (principal.userId !== call.params.userId && !principal.isAdmin) {
    throw new OsRefusal(403, "Forbidden", "You are not authorized to perform the requested action: identity:get_user.");
  }
  return principal;
}

export function keystoneService(settings: IdentitySettings): OsService {
  const ok = (body: unknown, status = 200): OsReply => ({ status, body });
  return {
    prefix: "identity",
    errorBody: keystoneError,
    routes: [
      {
        method: "GET",
        path: "",
        anonymous: true,
        handle: (call) => ok({ versions: { values: [versionDocument(call.baseUrl)] } }, 300),
      },
      { method: "GET", path: "/v3", anonymous: true, handle: (call) => ok({ version: versionDocument(call.baseUrl) }) },
      {
        method: "POST",
        path: "/v3/auth/tokens",
        anonymous: true,
        async handle(call) {
          const body = parseWire(authBody, call.body, "auth");
          const input = issueInput(body, call.authToken);
          // The token method acts for the token's holder; a password is anyone's to try.
          const issued = await issueKeystoneToken({ ctx: { ...call.ctx, principal: null }, input, settings });
          const withCatalog = !call.query.has("nocatalog");
          return {
            status: 201,
            headers: { "x-subject-token": issued.token },
            body: tokenBody(call, { ...issued, methods: [issued.method] }, withCatalog),
          };
        },
      },
      {
        method: "GET",
        path: "/v3/auth/tokens",
        async handle(call) {
          const token = await validateKeystoneToken({ ctx: call.ctx, input: { token: subjectToken(call) } });
          return {
            status: 200,
            headers: { "x-subject-token": subjectToken(call) },
            body: tokenBody(call, { ...token, methods: ["password"] }, !call.query.has("nocatalog")),
          };
        },
      },
      {
        method: "DELETE",
        path: "/v3/auth/tokens",
        async handle(call) {
          await revokeKeystoneToken({ ctx: call.ctx, input: { token: subjectToken(call) } });
          return { status: 204 };
        },
      },
      {
        method: "GET",
        path: "/v3/auth/catalog",
        handle: (call) => ok({ catalog: serviceCatalog(call.baseUrl, principalOf(call).projectId), links: collectionLinks(call, "auth/catalog") }),
      },
      {
        method: "GET",
        path: "/v3/auth/projects",
        async handle(call) {
          const projects = await myProjects({ ctx: call.ctx });
          return ok({ projects: projects.map((p) => projectView(p, call.baseUrl)), links: collectionLinks(call, "auth/projects") });
        },
      },
      {
        method: "GET",
        path: "/v3/auth/domains",
        handle: (call) => ok({ domains: [], links: collectionLinks(call, "auth/domains") }),
      },
      {
        method: "GET",
        path: "/v3/projects",
        async handle(call) {
          const name = call.query.get("name");
          const projects = (await listProjects({ ctx: call.ctx })).filter((p) => name === null || p.name === name);
          return ok({ projects: projects.map((p) => projectView(p, call.baseUrl)), links: collectionLinks(call, "projects") });
        },
      },
      {
        method: "GET",
        path: "/v3/projects/:projectId",
        async handle(call) {
          const principal = principalOf(call);
          const id = call.params.projectId!;
          const visible = principal.isAdmin ? await listProjects({ ctx: call.ctx }) : await myProjects({ ctx: call.ctx });
          const project = visible.find((p) => p.id === id || p.name === id);
          if (!project) throw new OsRefusal(404, "NotFound", `Could not find project: ${id.slice(0, 64)}.`);
          return ok({ project: projectView(project, call.baseUrl) });
        },
      },
      {
        method: "GET",
        path: "/v3/users",
        async handle(call) {
          // Keystone has no pages: a list longer than its list_limit (Nimbus: 1000) is cut, and says so with `truncated`.
          const name = call.query.get("name");
          const page = await listUserPage({ ctx: call.ctx, input: { limit: MAX_LIST_LIMIT, ...(name !== null && { name }) } });
          return ok({
            users: page.items.map((u) => userView(u, u.roles[0]?.projectId ?? null, call.baseUrl)),
            links: collectionLinks(call, "users"),
            ...(page.next !== null && { truncated: true }),
          });
        },
      },
      {
        method: "GET",
        path: "/v3/users/:userId",
        async handle(call) {
          const principal = selfOrAdmin(call);
          if (!principal.isAdmin) {
            return ok({ user: userView({ id: principal.userId, name: principal.userName, enabled: true }, principal.projectId, call.baseUrl) });
          }
          const user = await findUser(call, call.params.userId!);
          if (!user) throw new OsRefusal(404, "NotFound", `Could not find user: ${call.params.userId!.slice(0, 64)}.`);
          return ok({ user: userView(user, user.roles[0]?.projectId ?? null, call.baseUrl) });
        },
      },
      {
        method: "GET",
        path: "/v3/users/:userId/projects",
        async handle(call) {
          const principal = selfOrAdmin(call);
          if (principal.userId === call.params.userId) {
            const projects = await myProjects({ ctx: call.ctx });
            return ok({ projects: projects.map((p) => projectView(p, call.baseUrl)), links: collectionLinks(call, "users/projects") });
          }
          const user = UUID_TEXT.test(call.params.userId!) ? await findUser(call, call.params.userId!) : undefined;
          if (!user) throw new OsRefusal(404, "NotFound", `Could not find user: ${call.params.userId!.slice(0, 64)}.`);
          const projects = user.roles.map((r) => ({ id: r.projectId, name: r.projectName }));
          return ok({ projects: projects.map((p) => projectView(p, call.baseUrl)), links: collectionLinks(call, "users/projects") });
        },
      },
      {
        method: "GET",
        path: "/v3/domains",
        handle: (call) => ok({ domains: [domainView(call)], links: collectionLinks(call, "domains") }),
      },
      {
        method: "GET",
        path: "/v3/domains/:domainId",
        handle(call) {
          principalOf(call);
          const id = call.params.domainId!;
          if (id !== DEFAULT_DOMAIN.id && id !== DEFAULT_DOMAIN.name)
            throw new OsRefusal(404, "NotFound", `Could not find domain: ${id.slice(0, 64)}.`);
          return ok({ domain: domainView(call) });
        },
      },
      {
        method: "GET",
        path: "/v3/roles",
        handle(call) {
          principalOf(call);
          return ok({
            roles: (["admin", "member", "reader"] as const).map((name) => ({ ...roleRef(name), domain_id: null, description: null, options: {} })),
          });
        },
      },
    ],
  };
}

const domainView = (call: OsCall) => ({
  ...domain,
  description: "The one domain: every Nimbus user and project is in it.",
  enabled: true,
  tags: [],
  options: {},
  links: { self: `${call.baseUrl}/identity/v3/domains/${DEFAULT_DOMAIN.id}` },
});
