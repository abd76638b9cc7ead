import { createNetwork, deleteNetwork, getNetwork, listNetworkPage, type NetworkSummary } from "@nimbus/core/network";
import type { Principal } from "@nimbus/core/policy";
import { z } from "zod";
import { isoSeconds, principalOf, type OsCall } from "../service";
import { onlyEmpty, onlyValue, parseResource } from "./body";
import { boolFilter, idsFilter, isUuid, itemReply, pagedCollectionReply, type PagedSource, type WireItem } from "./collections";
import { NeutronFault, notFoundFault, type NeutronRoute } from "./faults";

/** Every attribute of a network on the wire (those a filter may name). */
export const NETWORK_ATTRIBUTES = [
  "id",
  "name",
  "tenant_id",
  "project_id",
  "status",
  "admin_state_up",
  "shared",
  "mtu",
  "subnets",
  "description",
  "port_security_enabled",
  "router:external",
  "availability_zone_hints",
  "availability_zones",
  "ipv4_address_scope",
  "ipv6_address_scope",
  "l2_adjacency",
  "provider:network_type",
  "provider:physical_network",
  "provider:segmentation_id",
  "tags",
  "created_at",
  "updated_at",
  "revision_number",
] as const;

/**
 * A network as Neutron shows it. Nimbus networks are always up, ACTIVE, with port security;
 * a tenant network is `vxlan` (its VNI the segmentation id), a provider network `flat` or `vlan`
 * (its VLAN id the segmentation id) on a physical network (the provider attributes are shown to
 * cloud admins only, as Neutron's policy has it).
 */
export function networkWire(network: Omit<NetworkSummary, "ports">, principal: Principal): WireItem {
  const at = isoSeconds(network.createdAt);
  return {
    id: network.id,
    name: network.name,
    tenant_id: network.projectId,
    project_id: network.projectId,
    status: "ACTIVE",
    admin_state_up: true,
    shared: network.shared,
    mtu: network.mtu,
    subnets: network.subnets.map((s) => s.id),
    description: "",
    port_security_enabled: true,
    "router:external": network.routerExternal,
    availability_zone_hints: [],
    availability_zones: [],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    l2_adjacency: true,
    ...(principal.isAdmin
      ? {
          "provider:network_type": network.networkType,
          "provider:physical_network": network.physicalNetwork,
          "provider:segmentation_id":
            network.networkType === "vxlan" ? network.segmentationId : network.networkType === "vlan" ? network.vlanId : null,
        }
      : {}),
    tags: [],
    created_at: at,
    updated_at: at,
    revision_number: 1,
  };
}

const NO_DESCRIPTION = "Nimbus networks have no description";

const createNetworkBody = z.strictObject({
  name: z.string("Give the network a name.").default(""),
  shared: z.boolean("shared is true or false.").default(false),
  mtu: z.number("The MTU is a whole number of bytes.").optional(),
  admin_state_up: onlyValue(true, "Nimbus networks are always up (admin_state_up true)"),
  port_security_enabled: onlyValue(true, "Nimbus filters every port (port_security_enabled true)"),
  "router:external": z.boolean("router:external is true or false.").default(false),
  "provider:network_type": z.enum(["flat", "vlan", "vxlan"], "Nimbus networks are flat, vlan or vxlan.").optional(),
  "provider:physical_network": z.string().max(64).optional(),
  // The client sends it as a number; curl users may send a string of digits, as Neutron takes.
  "provider:segmentation_id": z
    .union(
      [
        z.number(),
        z
          .string()
          .regex(/^\d{1,9}$/)
          .transform(Number),
      ],
      "provider:segmentation_id is a VLAN id (a whole number).",
    )
    .nullable()
    .optional(),
  is_default: onlyValue(false, "Nimbus has no default external network"),
  vlan_transparent: onlyValue(false, "Nimbus networks are not VLAN transparent"),
  description: onlyValue("", NO_DESCRIPTION),
  availability_zone_hints: onlyEmpty("Nimbus networks span every availability zone"),
  project_id: z.string().optional(),
  tenant_id: z.string().optional(),
});

/** The networks the caller sees, a page at a time from core's list, filtered and sorted in SQL where Neutron's query allows. */
function networkSource(call: OsCall): PagedSource {
  const principal = principalOf(call);
  const texts = (field: string) => (values: string[]) =>
    values.length <= 100 && values.every((v) => v.length <= 255) ? { [field]: values } : undefined;
  return {
    filters: {
      id: idsFilter("ids"),
      name: texts("names"),
      tenant_id: idsFilter("projectIds"),
      project_id: idsFilter("projectIds"),
      shared: boolFilter("shared"),
      "router:external": boolFilter("routerExternal"),
    },
    sortKeys: { name: "name", created_at: "created_at" },
    async page(input) {
      const page = await listNetworkPage({ ctx: call.ctx, input });
      return { ...page, items: page.items.map((n) => networkWire(n, principal)) };
    },
  };
}

async function oneNetwork(call: OsCall, id: string) {
  if (!isUuid(id)) throw notFoundFault("Network", id);
  return getNetwork({ ctx: call.ctx, input: { id } });
}

/** A project other than the token's, named in a body: Nimbus makes resources in the token's project only. */
export function ownProjectOnly(call: OsCall, value: { project_id?: string; tenant_id?: string }): void {
  const principal = principalOf(call);
  for (const attribute of ["project_id", "tenant_id"] as const) {
    const asked = value[attribute];
    if (asked !== undefined && asked !== principal.projectId) {
      throw new NeutronFault(
        400,
        "HTTPBadRequest",
        `Invalid input for ${attribute}. Reason: Nimbus makes it in the token's project (${principal.projectId}); scope a token to ${asked.slice(0, 64)} to make it there.`,
      );
    }
  }
}

export const networkRoutes: NeutronRoute[] = [
  {
    method: "GET",
    path: "/v2.0/networks",
    action: "get_network",
    handle: async (call) => pagedCollectionReply(call, "networks", NETWORK_ATTRIBUTES, networkSource(call)),
  },
  {
    method: "GET",
    path: "/v2.0/networks/:networkId",
    action: "get_network",
    handle: async (call) => itemReply(call, "network", networkWire(await oneNetwork(call, call.params.networkId!), principalOf(call))),
  },
  {
    method: "POST",
    path: "/v2.0/networks",
    action: "create_network",
    handle: async (call) => {
      const value = parseResource(createNetworkBody, call.body, "network");
      ownProjectOnly(call, value);
      const network = await createNetwork({
        ctx: call.ctx,
        input: {
          name: value.name,
          shared: value.shared,
          ...(value.mtu === undefined ? {} : { mtu: value.mtu }),
          routerExternal: value["router:external"],
          ...(value["provider:network_type"] || value["provider:physical_network"] || typeof value["provider:segmentation_id"] === "number"
            ? {
                provider: {
                  networkType: value["provider:network_type"] ?? (value["provider:physical_network"] ? "flat" : "vxlan"),
                  physicalNetwork: value["provider:physical_network"] ?? null,
                  segmentationId: value["provider:segmentation_id"] ?? null,
                },
              }
            : {}),
        },
      });
      return itemReply(call, "network", networkWire(network, principalOf(call)), 201);
    },
  },
  {
    method: "DELETE",
    path: "/v2.0/networks/:networkId",
    action: "delete_network",
    faults: {
      Conflict: (error, call) =>
        new NeutronFault(409, "NetworkInUse", `Unable to complete operation on network ${call.params.networkId}. ${error.message}`),
    },
    handle: async (call) => {
      const id = call.params.networkId!;
      if (!isUuid(id)) throw notFoundFault("Network", id);
      await deleteNetwork({ ctx: call.ctx, input: { id } });
      return { status: 204 };
    },
  },
];
