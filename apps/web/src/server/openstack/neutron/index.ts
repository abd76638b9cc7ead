import type { OsCall, OsService } from "../service";
import { itemReply } from "./collections";
import { neutronErrorBody, neutronRoutes, type NeutronRoute } from "./faults";
import { networkRoutes } from "./networks";
import { portRoutes } from "./ports";
import { quotaRoutes } from "./quotas";
import { routerRoutes } from "./routers";
import { securityGroupRoutes } from "./security-groups";
import { subnetRoutes } from "./subnets";

/**
 * Neutron v2.0 under `/network` (the catalog lists `<base>/network`; openstacksdk and
 * neutronclient append `/v2.0` themselves): networks, subnets, ports, security groups and
 * their rules, and quotas, each route calling the core verb the console's procedure calls.
 */

/** Neutron's type for an error the framework answers (no route, wrong method, body too large, ...). */
function typeOf(status: number): string {
  switch (status) {
    case 400:
      return "HTTPBadRequest";
    case 403:
      return "HTTPForbidden";
    case 404:
      return "HTTPNotFound";
    case 405:
      return "HTTPMethodNotAllowed";
    case 406:
      return "HTTPNotAcceptable";
    case 408:
      return "HTTPRequestTimeout";
    case 409:
      return "HTTPConflict";
    case 413:
      return "HTTPRequestEntityTooLarge";
    case 429:
      return "HTTPTooManyRequests";
    case 503:
      return "HTTPServiceUnavailable";
    default:
      return "HTTPInternalServerError";
  }
}

/** What the root and `/v2.0` list: the one version, and its collections. */
const COLLECTIONS = [
  ["network", "networks"],
  ["subnet", "subnets"],
  ["port", "ports"],
  ["security_group", "security-groups"],
  ["security_group_rule", "security-group-rules"],
  ["quota", "quotas"],
  ["router", "routers"],
  ["floatingip", "floatingips"],
] as const;

/** The API extensions whose attributes and behaviour Nimbus has. */
const EXTENSIONS = [
  { alias: "security-group", name: "security-group", description: "The security groups extension." },
  { alias: "quotas", name: "Quota management support", description: "Expose functions for quotas management per project" },
  { alias: "quota_details", name: "Quota details management support", description: "Expose functions for quotas usage statistics per project" },
  { alias: "binding", name: "Port Binding", description: "Expose port bindings of a virtual port to external application" },
  { alias: "port-security", name: "Port Security", description: "Provides port security" },
  { alias: "provider", name: "Provider Network", description: "Expose mapping of virtual networks to physical networks" },
  {
    alias: "router",
    name: "Neutron L3 Router",
    description: "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.",
  },
  { alias: "external-net", name: "Neutron external network", description: "Adds external network attribute to network resource." },
  {
    alias: "ext-gw-mode",
    name: "Neutron L3 Configurable external gateway mode",
    description: "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway",
  },
  { alias: "network-mtu", name: "Network MTU", description: "Provides MTU attribute for a network resource." },
  { alias: "project-id", name: "project_id field enabled", description: "Extension that indicates that project_id field is enabled." },
  {
    alias: "standard-attr-timestamp",
    name: "Resource timestamps",
    description: "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.",
  },
].map((e) => ({ ...e, updated: "2016-01-01T10:00:00-00:00", links: [] }));

const versionLinks = (call: OsCall) => [{ rel: "self", href: `${call.baseUrl}/network/v2.0/` }];

const discoveryRoutes: NeutronRoute[] = [
  {
    method: "GET",
    path: "",
    anonymous: true,
    action: "get_versions",
    handle: (call) => ({ status: 200, body: { versions: [{ id: "v2.0", status: "CURRENT", links: versionLinks(call) }] } }),
  },
  {
    method: "GET",
    path: "/v2.0",
    action: "get_resources",
    handle: (call) => ({
      status: 200,
      body: {
        resources: COLLECTIONS.map(([name, collection]) => ({
          name,
          collection: collection.replaceAll("-", "_"),
          links: [{ rel: "self", href: `${call.baseUrl}/network/v2.0/${collection}` }],
        })),
      },
    }),
  },
  { method: "GET", path: "/v2.0/extensions", action: "get_extension", handle: () => ({ status: 200, body: { extensions: EXTENSIONS } }) },
  {
    method: "GET",
    path: "/v2.0/extensions/:alias",
    action: "get_extension",
    handle: (call) => {
      const extension = EXTENSIONS.find((e) => e.alias === call.params.alias);
      if (!extension) return { status: 404, body: neutronErrorBody("HTTPNotFound", `Extension with alias ${call.params.alias} does not exist`) };
      return itemReply(call, "extension", extension);
    },
  },
];

export function neutronService(): OsService {
  return {
    prefix: "network",
    errorBody: (status, _code, message) =>
      // keystonemiddleware answers a missing or bad token before Neutron sees the request.
      status === 401 ? { error: { code: 401, title: "Unauthorized", message } } : neutronErrorBody(typeOf(status), message),
    headers: ({ requestId }) => ({ "x-openstack-request-id": requestId }),
    routes: neutronRoutes([
      ...discoveryRoutes,
      ...networkRoutes,
      ...subnetRoutes,
      ...portRoutes,
      ...securityGroupRoutes,
      ...quotaRoutes,
      ...routerRoutes,
    ]),
  };
}
