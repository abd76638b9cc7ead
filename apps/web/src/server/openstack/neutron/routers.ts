import {
  addRouterInterface,
  createFloatingIp,
  createRouter,
  deleteFloatingIp,
  deleteRouter,
  getFloatingIp,
  getRouter,
  listFloatingIps,
  listRouters,
  removeRouterInterface,
  updateFloatingIp,
  updateRouter,
  type FloatingIpSummary,
  type RouterSummary,
} from "@nimbus/core/network";
import { z } from "zod";
import { isoSeconds, type OsCall } from "../service";
import { onlyEmpty, onlyValue, parseResource, uuidValue } from "./body";
import { collectionReply, isUuid, itemReply, type WireItem } from "./collections";
import { NeutronFault, notFoundFault, type NeutronRoute } from "./faults";
import { ownProjectOnly } from "./networks";

/**
 * Neutron's L3 API: routers (with `external_gateway_info`), `add_router_interface` /
 * `remove_router_interface`, and floating IPs, in Neutron v2.0's wire shapes, on the core verbs
 * the console calls. Routers here are legacy centralised (not distributed, not HA), without
 * static routes.
 */

export const ROUTER_ATTRIBUTES = [
  "id",
  "name",
  "description",
  "status",
  "admin_state_up",
  "tenant_id",
  "project_id",
  "external_gateway_info",
  "routes",
  "distributed",
  "ha",
  "availability_zone_hints",
  "availability_zones",
  "flavor_id",
  "tags",
  "created_at",
  "updated_at",
  "revision_number",
] as const;

export function routerWire(router: RouterSummary): WireItem {
  return {
    id: router.id,
    name: router.name,
    description: router.description,
    status: router.status,
    admin_state_up: true,
    tenant_id: router.projectId,
    project_id: router.projectId,
    external_gateway_info: router.externalGateway
      ? {
          network_id: router.externalGateway.networkId,
          enable_snat: router.externalGateway.enableSnat,
          external_fixed_ips: router.externalGateway.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
        }
      : null,
    routes: [],
    distributed: false,
    ha: false,
    availability_zone_hints: [],
    availability_zones: ["nova"],
    flavor_id: null,
    tags: [],
    created_at: isoSeconds(router.createdAt),
    updated_at: isoSeconds(router.updatedAt),
    revision_number: 1,
  };
}

/** `external_gateway_info` as sent: a network (and SNAT), `{}` or null to clear it. Fixed IPs are chosen by Nimbus. */
const gatewayInfo = z
  .union([
    z.strictObject({
      network_id: uuidValue("external network"),
      enable_snat: z.boolean("enable_snat is true or false.").optional(),
      external_fixed_ips: onlyEmpty("Nimbus picks the gateway's address on the external subnet"),
    }),
    z.strictObject({}),
    z.null(),
  ])
  .optional();

const routerCommon = {
  name: z.string("Give the router a name.").max(255).optional(),
  description: z.string().max(255).optional(),
  admin_state_up: onlyValue(true, "Nimbus routers are always up (admin_state_up true)"),
  external_gateway_info: gatewayInfo,
};

const createRouterBody = z.strictObject({
  ...routerCommon,
  distributed: onlyValue(false, "Nimbus routers run on one host (distributed false)"),
  ha: onlyValue(false, "Nimbus routers are not highly available (ha false)"),
  availability_zone_hints: onlyEmpty("Nimbus places routers itself"),
  project_id: z.string().optional(),
  tenant_id: z.string().optional(),
});

const updateRouterBody = z.strictObject({
  ...routerCommon,
  routes: onlyEmpty("Nimbus routers take no static routes"),
});

const interfaceBody = z
  .strictObject({ subnet_id: uuidValue("subnet").optional(), port_id: uuidValue("port").optional() })
  .refine((b) => (b.subnet_id === undefined) !== (b.port_id === undefined), "Either subnet_id or port_id must be specified");

function gatewayOf(info: z.output<typeof gatewayInfo>) {
  if (info === undefined) return undefined;
  if (info === null || !("network_id" in info)) return null;
  return { networkId: info.network_id, enableSnat: info.enable_snat ?? true };
}

function routerId(call: OsCall): string {
  const id = call.params.routerId!;
  if (!isUuid(id)) throw notFoundFault("Router", id);
  return id;
}

/** The body of add/remove_router_interface as Neutron answers it. */
function interfaceBodyIn(call: OsCall) {
  if (call.body === undefined || call.body === null || typeof call.body !== "object")
    throw new NeutronFault(400, "HTTPBadRequest", "Resource body required");
  const parsed = interfaceBody.safeParse(call.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === "unrecognized_keys")
      throw new NeutronFault(400, "HTTPBadRequest", `Unrecognized attribute(s) '${issue.keys.join(", ").slice(0, 128)}'`);
    throw new NeutronFault(400, "HTTPBadRequest", `Bad router request: ${issue.message}.`);
  }
  return parsed.data;
}

const interfaceReply = (info: { routerId: string; projectId: string; portId: string; subnetId: string; networkId: string }) => ({
  status: 200,
  body: {
    id: info.routerId,
    tenant_id: info.projectId,
    project_id: info.projectId,
    port_id: info.portId,
    subnet_id: info.subnetId,
    subnet_ids: [info.subnetId],
    network_id: info.networkId,
    tags: [],
  },
});

export const FLOATINGIP_ATTRIBUTES = [
  "id",
  "tenant_id",
  "project_id",
  "floating_network_id",
  "floating_ip_address",
  "fixed_ip_address",
  "port_id",
  "router_id",
  "status",
  "description",
  "dns_domain",
  "dns_name",
  "port_details",
  "qos_policy_id",
  "port_forwardings",
  "tags",
  "created_at",
  "updated_at",
  "revision_number",
] as const;

export function floatingIpWire(fip: FloatingIpSummary): WireItem {
  return {
    id: fip.id,
    tenant_id: fip.projectId,
    project_id: fip.projectId,
    floating_network_id: fip.floatingNetworkId,
    floating_ip_address: fip.floatingIpAddress,
    fixed_ip_address: fip.fixedIpAddress,
    port_id: fip.portId,
    router_id: fip.routerId,
    status: fip.status,
    description: fip.description,
    dns_domain: "",
    dns_name: "",
    port_details: null,
    qos_policy_id: null,
    port_forwardings: [],
    tags: [],
    created_at: isoSeconds(fip.createdAt),
    updated_at: isoSeconds(fip.updatedAt),
    revision_number: 1,
  };
}

const createFloatingIpBody = z.strictObject({
  floating_network_id: uuidValue("floating network"),
  port_id: uuidValue("port").nullable().optional(),
  fixed_ip_address: z.string().optional(),
  description: z.string().max(255).optional(),
  project_id: z.string().optional(),
  tenant_id: z.string().optional(),
});

const updateFloatingIpBody = z.strictObject({
  port_id: uuidValue("port").nullable().optional(),
  fixed_ip_address: z.string().nullable().optional(),
  description: z.string().max(255).optional(),
});

function floatingIpId(call: OsCall): string {
  const id = call.params.floatingIpId!;
  if (!isUuid(id)) throw notFoundFault("Floating IP", id);
  return id;
}

/** Core's Conflict on a route, answered with Neutron's own type for it. */
function conflictAs(kind: string): NeutronRoute["faults"] {
  const answer = (error: { message: string }) => new NeutronFault(409, kind, error.message);
  return { Conflict: answer };
}

/** PUT add_router_interface / remove_router_interface: one body, one reply, the verb and its conflict differ. */
function interfaceRoute(
  action: "add_router_interface" | "remove_router_interface",
  conflict: string,
  verb: typeof addRouterInterface | typeof removeRouterInterface,
): NeutronRoute {
  return {
    method: "PUT",
    path: `/v2.0/routers/:routerId/${action}`,
    action,
    faults: conflictAs(conflict),
    handle: async (call) => {
      const id = routerId(call);
      const body = interfaceBodyIn(call);
      return interfaceReply(await verb({ ctx: call.ctx, input: { id, subnetId: body.subnet_id, portId: body.port_id } }));
    },
  };
}

export const routerRoutes: NeutronRoute[] = [
  {
    method: "GET",
    path: "/v2.0/routers",
    action: "get_router",
    handle: async (call) => collectionReply(call, "routers", (await listRouters({ ctx: call.ctx })).map(routerWire), ROUTER_ATTRIBUTES),
  },
  {
    method: "GET",
    path: "/v2.0/routers/:routerId",
    action: "get_router",
    handle: async (call) => itemReply(call, "router", routerWire(await getRouter({ ctx: call.ctx, input: { id: routerId(call) } }))),
  },
  {
    method: "POST",
    path: "/v2.0/routers",
    action: "create_router",
    handle: async (call) => {
      const value = parseResource(createRouterBody, call.body, "router");
      ownProjectOnly(call, value);
      const gateway = gatewayOf(value.external_gateway_info);
      const router = await createRouter({
        ctx: call.ctx,
        input: { name: value.name ?? "", description: value.description ?? "", externalGateway: gateway ?? null },
      });
      return itemReply(call, "router", routerWire(router), 201);
    },
  },
  {
    method: "PUT",
    path: "/v2.0/routers/:routerId",
    action: "update_router",
    faults: conflictAs("RouterExternalGatewayInUseByFloatingIp"),
    handle: async (call) => {
      const id = routerId(call);
      const value = parseResource(updateRouterBody, call.body, "router");
      const gateway = gatewayOf(value.external_gateway_info);
      const router = await updateRouter({
        ctx: call.ctx,
        input: {
          id,
          ...(value.name === undefined ? {} : { name: value.name }),
          ...(value.description === undefined ? {} : { description: value.description }),
          ...(gateway === undefined ? {} : { externalGateway: gateway }),
        },
      });
      return itemReply(call, "router", routerWire(router));
    },
  },
  {
    method: "DELETE",
    path: "/v2.0/routers/:routerId",
    action: "delete_router",
    faults: conflictAs("RouterInUse"),
    handle: async (call) => {
      await deleteRouter({ ctx: call.ctx, input: { id: routerId(call) } });
      return { status: 204 };
    },
  },
  interfaceRoute("add_router_interface", "IpAddressInUse", addRouterInterface),
  interfaceRoute("remove_router_interface", "RouterInterfaceInUseByFloatingIP", removeRouterInterface),
  {
    method: "GET",
    path: "/v2.0/floatingips",
    action: "get_floatingip",
    handle: async (call) =>
      collectionReply(call, "floatingips", (await listFloatingIps({ ctx: call.ctx })).map(floatingIpWire), FLOATINGIP_ATTRIBUTES),
  },
  {
    method: "GET",
    path: "/v2.0/floatingips/:floatingIpId",
    action: "get_floatingip",
    handle: async (call) => itemReply(call, "floatingip", floatingIpWire(await getFloatingIp({ ctx: call.ctx, input: { id: floatingIpId(call) } }))),
  },
  {
    method: "POST",
    path: "/v2.0/floatingips",
    action: "create_floatingip",
    faults: conflictAs("FloatingIPPortAlreadyAssociated"),
    handle: async (call) => {
      const value = parseResource(createFloatingIpBody, call.body, "floatingip");
      ownProjectOnly(call, value);
      const fip = await createFloatingIp({
        ctx: call.ctx,
        input: { networkId: value.floating_network_id, portId: value.port_id ?? null, description: value.description ?? "" },
      });
      return itemReply(call, "floatingip", floatingIpWire(fip), 201);
    },
  },
  {
    method: "PUT",
    path: "/v2.0/floatingips/:floatingIpId",
    action: "update_floatingip",
    faults: conflictAs("FloatingIPPortAlreadyAssociated"),
    handle: async (call) => {
      const id = floatingIpId(call);
      const value = parseResource(updateFloatingIpBody, call.body, "floatingip");
      const fip = await updateFloatingIp({
        ctx: call.ctx,
        input: {
          id,
          ...(value.port_id === undefined ? {} : { portId: value.port_id }),
          ...(value.description === undefined ? {} : { description: value.description }),
        },
      });
      return itemReply(call, "floatingip", floatingIpWire(fip));
    },
  },
  {
    method: "DELETE",
    path: "/v2.0/floatingips/:floatingIpId",
    action: "delete_floatingip",
    handle: async (call) => {
      await deleteFloatingIp({ ctx: call.ctx, input: { id: floatingIpId(call) } });
      return { status: 204 };
    },
  },
];
