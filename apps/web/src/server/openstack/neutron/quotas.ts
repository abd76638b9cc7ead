import { networkUsage, type NetworkResource } from "@nimbus/core/network";
import type { OsCall } from "../service";
import { NeutronFault, type NeutronRoute } from "./faults";

/**
 * Neutron's quotas (`openstack quota show` reads `GET /v2.0/quotas/{project_id}`, `--default`
 * its `/default`, `quota list --detail` its `/details`): Nimbus limits none of a project's
 * networks, subnets, ports, security groups or rules, so each is -1 (unlimited) with the number
 * the project holds; routers (10) and floating IPs (50) have Neutron's limits; RBAC policies and
 * subnet pools do not exist in Nimbus, so their limit is 0 (none can be made), never in use.
 */
const NEUTRON_NAMES: Record<NetworkResource, string> = {
  networks: "network",
  subnets: "subnet",
  ports: "port",
  securityGroups: "security_group",
  securityGroupRules: "security_group_rule",
  routers: "router",
  floatingIps: "floatingip",
};
const ABSENT = ["rbac_policy", "subnetpool"] as const;

async function projectQuota(call: OsCall) {
  // Neutron also takes `<project_id>.json`.
  const projectId = call.params.projectId!.replace(/\.json$/, "");
  const { usage } = await networkUsage({ ctx: call.ctx, input: { projectId } });
  const entries = (Object.keys(NEUTRON_NAMES) as NetworkResource[]).map((resource) => [NEUTRON_NAMES[resource], usage[resource]] as const);
  return { entries, absent: ABSENT };
}

const limitsReply = async (call: OsCall) => {
  const { entries, absent } = await projectQuota(call);
  const quota = Object.fromEntries([...entries.map(([name, u]) => [name, u.limit]), ...absent.map((name) => [name, 0])]);
  return { status: 200, body: { quota } };
};

const NOT_SETTABLE = "Nimbus limits no network resource of a project, so there is no network quota to change.";

export const quotaRoutes: NeutronRoute[] = [
  { method: "GET", path: "/v2.0/quotas/:projectId", action: "get_quota", handle: limitsReply },
  { method: "GET", path: "/v2.0/quotas/:projectId/default", action: "get_quota", handle: limitsReply },
  ...["details", "details.json"].map(
    (leaf): NeutronRoute => ({
      method: "GET",
      path: `/v2.0/quotas/:projectId/${leaf}`,
      action: "get_quota",
      handle: async (call) => {
        const { entries, absent } = await projectQuota(call);
        const quota = Object.fromEntries([
          ...entries.map(([name, u]) => [name, { used: u.used, limit: u.limit, reserved: 0 }]),
          ...absent.map((name) => [name, { used: 0, limit: 0, reserved: 0 }]),
        ]);
        return { status: 200, body: { quota } };
      },
    }),
  ),
  {
    method: "PUT",
    path: "/v2.0/quotas/:projectId",
    action: "update_quota",
    handle: () => {
      throw new NeutronFault(400, "HTTPBadRequest", NOT_SETTABLE);
    },
  },
];
