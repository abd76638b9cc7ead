import { createSubnet, deleteSubnet, listNetworks, type SubnetSummary } from "@nimbus/core/network";
import { z } from "zod";
import { isoSeconds, type OsCall } from "../service";
import { onlyEmpty, onlyValue, parseResource, uuidValue } from "./body";
import { collectionReply, isUuid, itemReply, type WireItem } from "./collections";
import { badRequestFault, fieldIssuesOf, NeutronFault, notFoundFault, type NeutronRoute } from "./faults";
import { ownProjectOnly } from "./networks";

export const SUBNET_ATTRIBUTES = [
  "id",
  "name",
  "network_id",
  "tenant_id",
  "project_id",
  "ip_version",
  "cidr",
  "gateway_ip",
  "allocation_pools",
  "dns_nameservers",
  "host_routes",
  "enable_dhcp",
  "ipv6_ra_mode",
  "ipv6_address_mode",
  "subnetpool_id",
  "segment_id",
  "service_types",
  "dns_publish_fixed_ip",
  "description",
  "tags",
  "created_at",
  "updated_at",
  "revision_number",
] as const;

/** A subnet as Neutron shows it (IPv4, no host routes, subnet pools or segments in Nimbus). */
export function subnetWire(subnet: SubnetSummary): WireItem {
  const at = isoSeconds(subnet.createdAt);
  return {
    id: subnet.id,
    name: subnet.name,
    network_id: subnet.networkId,
    tenant_id: subnet.projectId,
    project_id: subnet.projectId,
    ip_version: 4,
    cidr: subnet.cidr,
    gateway_ip: subnet.gatewayIp,
    allocation_pools: subnet.allocationPools,
    dns_nameservers: subnet.dnsNameservers,
    host_routes: [],
    enable_dhcp: subnet.enableDhcp,
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    subnetpool_id: null,
    segment_id: null,
    service_types: [],
    dns_publish_fixed_ip: false,
    description: "",
    tags: [],
    created_at: at,
    updated_at: at,
    revision_number: 0,
  };
}

const IPV4_ONLY = "Nimbus subnets are IPv4 (ip_version 4)";

const createSubnetBody = z.strictObject({
  network_id: uuidValue("network"),
  name: z.string("The name is text.").default(""),
  ip_version: z.union([z.literal(4), z.literal("4")], IPV4_ONLY).default(4),
  cidr: z.string("Give a cidr such as 10.0.0.0/24 (Nimbus has no subnet pools to take one from)."),
  gateway_ip: z.string("The gateway is an IPv4 address, or null for none.").nullable().optional(),
  allocation_pools: z
    .array(z.strictObject({ start: z.string("A pool's start is an IPv4 address."), end: z.string("A pool's end is an IPv4 address.") }))
    .optional(),
  dns_nameservers: z.array(z.string("A DNS server is an IPv4 address.")).optional(),
  enable_dhcp: z.boolean("enable_dhcp is true or false.").optional(),
  host_routes: onlyEmpty("Nimbus subnets have no host routes"),
  service_types: onlyEmpty("Nimbus subnets serve every kind of port"),
  ipv6_ra_mode: onlyValue(null, IPV4_ONLY),
  ipv6_address_mode: onlyValue(null, IPV4_ONLY),
  subnetpool_id: onlyValue(null, "Nimbus has no subnet pools: give a cidr"),
  use_default_subnetpool: onlyValue(false, "Nimbus has no subnet pools: give a cidr"),
  segment_id: onlyValue(null, "Nimbus networks have no segments"),
  dns_publish_fixed_ip: onlyValue(false, "Nimbus publishes no DNS records"),
  description: onlyValue("", "Nimbus subnets have no description"),
  project_id: z.string().optional(),
  tenant_id: z.string().optional(),
});

/** Every subnet the caller sees: those of its project's networks and of the shared ones. */
async function visibleSubnets(call: OsCall): Promise<SubnetSummary[]> {
  const networks = await listNetworks({ ctx: call.ctx });
  return networks.flatMap((n) => n.subnets);
}

async function oneSubnet(call: OsCall, id: string): Promise<SubnetSummary> {
  const subnet = isUuid(id) ? (await visibleSubnets(call)).find((s) => s.id === id) : undefined;
  if (!subnet) throw notFoundFault("Subnet", id);
  return subnet;
}

export const subnetRoutes: NeutronRoute[] = [
  {
    method: "GET",
    path: "/v2.0/subnets",
    action: "get_subnet",
    handle: async (call) => collectionReply(call, "subnets", (await visibleSubnets(call)).map(subnetWire), SUBNET_ATTRIBUTES),
  },
  {
    method: "GET",
    path: "/v2.0/subnets/:subnetId",
    action: "get_subnet",
    handle: async (call) => itemReply(call, "subnet", subnetWire(await oneSubnet(call, call.params.subnetId!))),
  },
  {
    method: "POST",
    path: "/v2.0/subnets",
    action: "create_subnet",
    faults: {
      // Neutron's words for a CIDR that overlaps another subnet of the network, then core's.
      BadRequest: (error, call) => {
        const overlap = fieldIssuesOf(error).find((issue) => issue.kind === "overlap");
        if (!overlap) return badRequestFault(error);
        // The body parsed before the verb ran.
        const { cidr, network_id } = parseResource(createSubnetBody, call.body, "subnet");
        return new NeutronFault(
          400,
          "InvalidInput",
          `Invalid input for operation: Requested subnet with cidr: ${cidr} for network: ${network_id} overlaps with another subnet. ${overlap.message}`,
        );
      },
    },
    handle: async (call) => {
      const value = parseResource(createSubnetBody, call.body, "subnet");
      ownProjectOnly(call, value);
      const subnet = await createSubnet({
        ctx: call.ctx,
        input: {
          networkId: value.network_id,
          name: value.name,
          cidr: value.cidr,
          // Absent: the CIDR's first host address (Neutron's default); null: none.
          ...(value.gateway_ip === undefined ? {} : { gatewayIp: value.gateway_ip }),
          ...(value.allocation_pools ? { allocationPools: value.allocation_pools } : {}),
          ...(value.dns_nameservers ? { dnsNameservers: value.dns_nameservers } : {}),
          ...(value.enable_dhcp === undefined ? {} : { enableDhcp: value.enable_dhcp }),
        },
      });
      return itemReply(call, "subnet", subnetWire(subnet), 201);
    },
  },
  {
    method: "DELETE",
    path: "/v2.0/subnets/:subnetId",
    action: "delete_subnet",
    faults: {
      Conflict: (error, call) =>
        new NeutronFault(409, "SubnetInUse", `Unable to complete operation on subnet ${call.params.subnetId}: ${error.message}`),
    },
    handle: async (call) => {
      const id = call.params.subnetId!;
      if (!isUuid(id)) throw notFoundFault("Subnet", id);
      await deleteSubnet({ ctx: call.ctx, input: { id } });
      return { status: 204 };
    },
  },
];
