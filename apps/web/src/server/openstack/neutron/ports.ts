import { getPort, listPortPage, type PortSummary } from "@nimbus/core/network";
import type { Principal } from "@nimbus/core/policy";
import { isoSeconds, principalOf, type OsCall } from "../service";
import { idsFilter, isUuid, itemReply, pagedCollectionReply, type PagedSource, type WireItem } from "./collections";
import { notFoundFault, type NeutronRoute } from "./faults";

export const PORT_ATTRIBUTES = [
  "id",
  "name",
  "network_id",
  "tenant_id",
  "project_id",
  "mac_address",
  "admin_state_up",
  "status",
  "device_id",
  "device_owner",
  "fixed_ips",
  "security_groups",
  "allowed_address_pairs",
  "extra_dhcp_opts",
  "description",
  "port_security_enabled",
  "ip_allocation",
  "dns_name",
  "binding:vnic_type",
  "binding:host_id",
  "binding:profile",
  "binding:vif_type",
  "binding:vif_details",
  "tags",
  "created_at",
  "updated_at",
  "revision_number",
] as const;

/**
 * A port as Neutron shows it: one fixed IP, the instance as `device_id` and `compute:<zone>` as
 * its owner (as Nova binds a port), and, for cloud admins only, the host it is bound to and how
 * (Nimbus plugs a guest into a Linux bridge of the network's libvirt network).
 */
export function portWire(port: PortSummary, principal: Principal): WireItem {
  const at = isoSeconds(port.createdAt);
  const bound = port.hostName !== null;
  return {
    id: port.id,
    name: "",
    network_id: port.networkId,
    tenant_id: port.projectId,
    project_id: port.projectId,
    mac_address: port.macAddress,
    admin_state_up: true,
    status: port.status,
    device_id: port.instanceId ?? port.routerId ?? "",
    device_owner: port.instanceId ? `compute:${port.availabilityZone}` : (port.deviceOwner ?? ""),
    fixed_ips: [{ subnet_id: port.subnetId, ip_address: port.ipAddress }],
    security_groups: port.securityGroups.map((g) => g.id),
    allowed_address_pairs: [],
    extra_dhcp_opts: [],
    description: "",
    port_security_enabled: true,
    ip_allocation: "immediate",
    dns_name: "",
    "binding:vnic_type": "normal",
    ...(principal.isAdmin
      ? {
          "binding:host_id": port.hostName ?? "",
          "binding:profile": {},
          "binding:vif_type": bound ? "bridge" : "unbound",
          "binding:vif_details": bound ? { port_filter: true } : {},
        }
      : {}),
    tags: [],
    created_at: at,
    updated_at: at,
    revision_number: 1,
  };
}

/** `fixed_ips=ip_address=…` or `fixed_ips=ip_address_substr=…` (one of them) as core's address filters; others stay in memory. */
function fixedIpsFilter(values: string[]) {
  if (values.length !== 1) return undefined;
  const [key = "", value = ""] = values[0]!.split(/=(.*)/s);
  if (value.length === 0 || value.length > 64) return undefined;
  if (key === "ip_address") return { ipAddress: value };
  if (key === "ip_address_substr") return { ipAddressContains: value };
  return undefined;
}

const one = (field: string, valid: (v: string) => boolean) => (values: string[]) =>
  values.length === 1 && valid(values[0]!) ? { [field]: values[0] } : undefined;

/** The project's ports, a page at a time from core's list, filtered and sorted in SQL where Neutron's query allows. */
function portSource(call: OsCall): PagedSource {
  const principal = principalOf(call);
  return {
    filters: {
      id: idsFilter("ids"),
      network_id: one("networkId", isUuid),
      device_id: one("deviceId", isUuid),
      mac_address: one("macAddress", (v) => v.length <= 64),
      status: one("status", (v) => ["DOWN", "BUILD", "ACTIVE"].includes(v)),
      fixed_ips: fixedIpsFilter,
    },
    sortKeys: { created_at: "created_at", status: "status" },
    async page(input) {
      const page = await listPortPage({ ctx: call.ctx, input });
      return { ...page, items: page.items.map((p) => portWire(p, principal)) };
    },
  };
}

export const portRoutes: NeutronRoute[] = [
  {
    method: "GET",
    path: "/v2.0/ports",
    action: "get_port",
    handle: async (call) => pagedCollectionReply(call, "ports", PORT_ATTRIBUTES, portSource(call)),
  },
  {
    method: "GET",
    path: "/v2.0/ports/:portId",
    action: "get_port",
    handle: async (call) => {
      const id = call.params.portId!;
      if (!isUuid(id)) throw notFoundFault("Port", id);
      return itemReply(call, "port", portWire(await getPort({ ctx: call.ctx, input: { id } }), principalOf(call)));
    },
  },
];
