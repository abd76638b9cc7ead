import { getPort, listPorts, type PortSummary } from "@nimbus/core/network";
import type { Principal } from "@nimbus/core/policy";
import { isoSeconds, principalOf, type OsCall } from "../service";
import { collectionReply, isUuid, itemReply, type WireItem } from "./collections";
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

/** The project's ports, narrowed by core where it can (one network, one instance), by the query for the rest. */
async function projectPorts(call: OsCall): Promise<PortSummary[]> {
  const only = (name: string) => {
    const values = call.query.getAll(name);
    return values.length === 1 && isUuid(values[0]!) ? values[0] : undefined;
  };
  const networkId = only("network_id");
  const ofInstance = await listPorts({ ctx: call.ctx, input: { networkId, instanceId: only("device_id") } });
  // A device_id that is no instance's, a router's say (`port list --router`): the query's filter narrows the project's ports.
  if (ofInstance.length === 0 && only("device_id") !== undefined) return listPorts({ ctx: call.ctx, input: { networkId } });
  return ofInstance;
}

export const portRoutes: NeutronRoute[] = [
  {
    method: "GET",
    path: "/v2.0/ports",
    action: "get_port",
    handle: async (call) => {
      const principal = principalOf(call);
      return collectionReply(
        call,
        "ports",
        (await projectPorts(call)).map((p) => portWire(p, principal)),
        PORT_ATTRIBUTES,
      );
    },
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
