import {
  addSecurityGroupRule,
  createSecurityGroup,
  deleteSecurityGroup,
  listSecurityGroups,
  removeSecurityGroupRule,
  type SecurityGroupSummary,
} from "@nimbus/core/network";
import { z } from "zod";
import { isoSeconds, principalOf, type OsCall } from "../service";
import { onlyValue, parseResource, uuidValue, wholeNumber } from "./body";
import { collectionReply, isUuid, itemReply, type WireItem } from "./collections";
import { fieldIssuesOf, NeutronFault, notFoundFault, type NeutronRoute } from "./faults";
import { ownProjectOnly } from "./networks";

export const SECURITY_GROUP_ATTRIBUTES = [
  "id",
  "name",
  "description",
  "tenant_id",
  "project_id",
  "security_group_rules",
  "stateful",
  "shared",
  "tags",
  "created_at",
  "updated_at",
  "revision_number",
] as const;

export const RULE_ATTRIBUTES = [
  "id",
  "security_group_id",
  "tenant_id",
  "project_id",
  "direction",
  "ethertype",
  "protocol",
  "port_range_min",
  "port_range_max",
  "remote_ip_prefix",
  "remote_group_id",
  "remote_address_group_id",
  "description",
  "tags",
  "created_at",
  "updated_at",
  "revision_number",
] as const;

interface RuleFields {
  id: string;
  direction: "ingress" | "egress";
  ethertype: string;
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
  createdAt: Date;
}

/**
 * A rule as Neutron shows it. Nimbus stores "anywhere" as no remote at all; shown as the
 * 0.0.0.0/0 the client sent (Nimbus rules are IPv4).
 */
export function ruleWire(rule: RuleFields, groupId: string, projectId: string): WireItem {
  const at = isoSeconds(rule.createdAt);
  return {
    id: rule.id,
    security_group_id: groupId,
    tenant_id: projectId,
    project_id: projectId,
    direction: rule.direction,
    ethertype: rule.ethertype,
    protocol: rule.protocol,
    port_range_min: rule.portRangeMin,
    port_range_max: rule.portRangeMax,
    remote_ip_prefix: rule.remoteIpPrefix ?? (rule.remoteGroupId ? null : "0.0.0.0/0"),
    remote_group_id: rule.remoteGroupId,
    remote_address_group_id: null,
    description: "",
    tags: [],
    created_at: at,
    updated_at: at,
    revision_number: 0,
  };
}

/** A security group as Neutron shows it, its rules inside (Nimbus groups are stateful and the project's own). */
export function securityGroupWire(group: Pick<SecurityGroupSummary, "id" | "projectId" | "name" | "description" | "createdAt" | "rules">): WireItem {
  const at = isoSeconds(group.createdAt);
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    tenant_id: group.projectId,
    project_id: group.projectId,
    security_group_rules: group.rules.map((r) => ruleWire(r, group.id, group.projectId)),
    stateful: true,
    shared: false,
    tags: [],
    created_at: at,
    updated_at: at,
    revision_number: 1,
  };
}

const createGroupBody = z.strictObject({
  name: z.string("Give the group a name."),
  description: z.string("The description is text.").optional(),
  stateful: onlyValue(true, "Nimbus security groups are stateful"),
  project_id: z.string().optional(),
  tenant_id: z.string().optional(),
});

const portNumber = (what: string) => wholeNumber(what).nullable().optional();

const createRuleBody = z.strictObject({
  security_group_id: uuidValue("security group"),
  direction: z.enum(["ingress", "egress"], "direction is ingress or egress"),
  ethertype: z.literal("IPv4", "Nimbus filters IPv4 only (ethertype IPv4)").optional(),
  protocol: z.union([z.string(), z.number()], "The protocol is a name or number").nullable().optional(),
  port_range_min: portNumber("port_range_min"),
  port_range_max: portNumber("port_range_max"),
  remote_ip_prefix: z.string("The remote IP prefix is a CIDR").nullable().optional(),
  remote_group_id: uuidValue("remote security group").nullable().optional(),
  remote_address_group_id: onlyValue(null, "Nimbus has no address groups"),
  description: onlyValue("", "Nimbus rules have no description"),
  project_id: z.string().optional(),
  tenant_id: z.string().optional(),
});

/** Neutron's protocols by name or number, as Nimbus filters them: tcp, udp, icmp or any. */
const PROTOCOLS: Record<string, "tcp" | "udp" | "icmp" | "any"> = {
  tcp: "tcp",
  "6": "tcp",
  udp: "udp",
  "17": "udp",
  icmp: "icmp",
  "1": "icmp",
  any: "any",
};

function protocolOf(value: string | number | null | undefined): "tcp" | "udp" | "icmp" | "any" {
  if (value === null || value === undefined || value === "") return "any";
  const known = PROTOCOLS[String(value).toLowerCase()];
  if (!known) {
    throw new NeutronFault(
      400,
      "SecurityGroupRuleInvalidProtocol",
      `Security group rule protocol ${String(value).slice(0, 32)} not supported. Only protocol values [None, 'tcp', 'udp', 'icmp'] and integer representations [1, 6, 17] are supported by Nimbus.`,
    );
  }
  return known;
}

async function projectGroups(call: OsCall): Promise<SecurityGroupSummary[]> {
  return listSecurityGroups({ ctx: call.ctx });
}

async function oneGroup(call: OsCall, id: string): Promise<SecurityGroupSummary> {
  const group = isUuid(id) ? (await projectGroups(call)).find((g) => g.id === id) : undefined;
  if (!group) throw notFoundFault("Security group", id);
  return group;
}

async function projectRules(call: OsCall): Promise<WireItem[]> {
  return (await projectGroups(call)).flatMap((group) => group.rules.map((rule) => ruleWire(rule, group.id, group.projectId)));
}

export const securityGroupRoutes: NeutronRoute[] = [
  {
    method: "GET",
    path: "/v2.0/security-groups",
    action: "get_security_group",
    handle: async (call) => collectionReply(call, "security_groups", (await projectGroups(call)).map(securityGroupWire), SECURITY_GROUP_ATTRIBUTES),
  },
  {
    method: "GET",
    path: "/v2.0/security-groups/:groupId",
    action: "get_security_group",
    handle: async (call) => itemReply(call, "security_group", securityGroupWire(await oneGroup(call, call.params.groupId!))),
  },
  {
    method: "POST",
    path: "/v2.0/security-groups",
    action: "create_security_group",
    faults: {
      Conflict: (error, call) =>
        parseResource(createGroupBody, call.body, "security_group").name === "default"
          ? new NeutronFault(409, "SecurityGroupDefaultAlreadyExists", `Default security group already exists. ${error.message}`)
          : new NeutronFault(409, "SecurityGroupNameExists", error.message),
    },
    handle: async (call) => {
      const value = parseResource(createGroupBody, call.body, "security_group");
      ownProjectOnly(call, value);
      const group = await createSecurityGroup({ ctx: call.ctx, input: { name: value.name, description: value.description ?? "" } });
      return itemReply(call, "security_group", securityGroupWire({ ...group, rules: [] }), 201);
    },
  },
  {
    method: "DELETE",
    path: "/v2.0/security-groups/:groupId",
    action: "delete_security_group",
    faults: {
      Conflict: (error, call) =>
        (error.details as { isDefault?: boolean } | undefined)?.isDefault
          ? new NeutronFault(409, "SecurityGroupCannotRemoveDefault", `Removing default security group not allowed. ${error.message}`)
          : new NeutronFault(409, "SecurityGroupInUse", `Security Group ${call.params.groupId} in use. ${error.message}`),
    },
    handle: async (call) => {
      const id = call.params.groupId!;
      if (!isUuid(id)) throw notFoundFault("Security group", id);
      await deleteSecurityGroup({ ctx: call.ctx, input: { id } });
      return { status: 204 };
    },
  },
  {
    method: "GET",
    path: "/v2.0/security-group-rules",
    action: "get_security_group_rule",
    handle: async (call) => collectionReply(call, "security_group_rules", await projectRules(call), RULE_ATTRIBUTES),
  },
  {
    method: "GET",
    path: "/v2.0/security-group-rules/:ruleId",
    action: "get_security_group_rule",
    handle: async (call) => {
      const id = call.params.ruleId!;
      const rule = isUuid(id) ? (await projectRules(call)).find((r) => r.id === id) : undefined;
      if (!rule) throw notFoundFault("Security group rule", id);
      return itemReply(call, "security_group_rule", rule);
    },
  },
  {
    method: "POST",
    path: "/v2.0/security-group-rules",
    action: "create_security_group_rule",
    faults: {
      Conflict: (error) => {
        const ruleId = (error.details as { ruleId?: string } | undefined)?.ruleId;
        return ruleId ? new NeutronFault(409, "SecurityGroupRuleExists", `Security group rule already exists. Rule id is ${ruleId}.`) : null;
      },
      // The group the rule is for, or the remote group it names, is not one of the project's.
      NotFound: (error, call) => {
        const value = parseResource(createRuleBody, call.body, "security_group_rule");
        const remote = fieldIssuesOf(error).some((issue) => issue.path === "remoteGroupId");
        return notFoundFault("Security group", remote && value.remote_group_id ? value.remote_group_id : value.security_group_id);
      },
    },
    handle: async (call) => {
      const value = parseResource(createRuleBody, call.body, "security_group_rule");
      ownProjectOnly(call, value);
      if (value.remote_ip_prefix && value.remote_group_id) {
        throw new NeutronFault(400, "SecurityGroupRemoteGroupAndRemoteIpPrefix", "Only remote_ip_prefix or remote_group_id may be provided.");
      }
      const rule = await addSecurityGroupRule({
        ctx: call.ctx,
        input: {
          groupId: value.security_group_id,
          direction: value.direction,
          protocol: protocolOf(value.protocol),
          portRangeMin: value.port_range_min ?? null,
          portRangeMax: value.port_range_max ?? null,
          remoteIpPrefix: value.remote_ip_prefix ?? null,
          remoteGroupId: value.remote_group_id ?? null,
        },
      });
      return itemReply(call, "security_group_rule", ruleWire(rule, rule.groupId, principalOf(call).projectId), 201);
    },
  },
  {
    method: "DELETE",
    path: "/v2.0/security-group-rules/:ruleId",
    action: "delete_security_group_rule",
    handle: async (call) => {
      const id = call.params.ruleId!;
      if (!isUuid(id)) throw notFoundFault("Security group rule", id);
      await removeSecurityGroupRule({ ctx: call.ctx, input: { id } });
      return { status: 204 };
    },
  },
];
