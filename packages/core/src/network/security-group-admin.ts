import { schema, type Executor } from "@nimbus/db";
import { and, asc, eq, inArray, sql } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import { audit } from "../audit/record";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { idInput, text } from "../validation";
import { addRuleInput, checkRule, filteredProtocol, sameRule } from "./security-group-rules";
import { count } from "../plural";
import { DEFAULT_SECURITY_GROUP, ensureDefaultSecurityGroup } from "./security-groups";
import { issuesMessage } from "./subnet-rules";
import { FILTERED_VM_STATES, securityGroupRulesChanged } from "./port-filters";
import type { SecurityGroupRow } from "@nimbus/db/schema";

export const createSecurityGroupInput = z.object({
  name: text("Name").trim().min(1, "Enter a name.").max(255, "Use at most 255 characters."),
  description: text("Description").trim().max(255, "Use at most 255 characters.").default(""),
});

/** The project's group `id`, or NotFound (another project's groups do not exist for the caller). */
async function findGroup(tx: Executor, projectId: string, id: string, lock?: "update"): Promise<SecurityGroupRow> {
  const query = tx
    .select()
    .from(schema.securityGroups)
    .where(and(eq(schema.securityGroups.id, id), eq(schema.securityGroups.projectId, projectId)));
  const [group] = lock ? await query.for(lock) : await query;
  if (!group) throw NimbusError.notFound("Security group", id);
  return group;
}

/** The project's security groups with their rules and how many ports use each; `default` is made on first use. */
export async function listSecurityGroups({ ctx }: { ctx: CoreContext }) {
  const principal = authorize(ctx.principal, "securityGroups.list");
  const projectId = principal.projectId;
  await ctx.db.transaction((tx) => ensureDefaultSecurityGroup(tx, projectId));
  const groups = await ctx.db
    .select()
    .from(schema.securityGroups)
    .where(eq(schema.securityGroups.projectId, projectId))
    .orderBy(asc(schema.securityGroups.name));
  const ids = groups.map((g) => g.id);
  const [rules, usage] = await Promise.all([
    ctx.db
      .select()
      .from(schema.securityGroupRules)
      .where(inArray(schema.securityGroupRules.groupId, ids))
      .orderBy(asc(schema.securityGroupRules.createdAt), asc(schema.securityGroupRules.id)),
    ctx.db
      .select({
        groupId: schema.portSecurityGroups.groupId,
        ports: sql<number>`count(*)::int`,
        // Ports of built instances whose host has not yet taken the group's latest rules.
        updating: sql<number>`(count(*) filter (where ${schema.ports.filterGeneration} > ${schema.ports.filterAppliedGeneration} and ${inArray(schema.instances.vmState, [...FILTERED_VM_STATES])}))::int`,
      })
      .from(schema.portSecurityGroups)
      .innerJoin(schema.ports, eq(schema.ports.id, schema.portSecurityGroups.portId))
      .leftJoin(schema.instances, eq(schema.instances.id, schema.ports.instanceId))
      .where(inArray(schema.portSecurityGroups.groupId, ids))
      .groupBy(schema.portSecurityGroups.groupId),
  ]);
  const nameOf = new Map(groups.map((g) => [g.id, g.name]));
  const summaries = groups.map((group) => ({
    id: group.id,
    projectId: group.projectId,
    name: group.name,
    description: group.description,
    isDefault: group.name === DEFAULT_SECURITY_GROUP,
    createdAt: group.createdAt,
    portCount: Number(usage.find((u) => u.groupId === group.id)?.ports ?? 0),
    /** Ports still waiting for their host to apply a rule change (sent within about a second; a host that is down gets it when back). */
    portsUpdating: Number(usage.find((u) => u.groupId === group.id)?.updating ?? 0),
    rules: rules
      .filter((r) => r.groupId === group.id)
      .map((r) => ({
        id: r.id,
        direction: r.direction,
        ethertype: r.ethertype,
        protocol: filteredProtocol(r.protocol),
        portRangeMin: r.portRangeMin,
        portRangeMax: r.portRangeMax,
        remoteIpPrefix: r.remoteIpPrefix,
        remoteGroupId: r.remoteGroupId,
        remoteGroupName: r.remoteGroupId ? (nameOf.get(r.remoteGroupId) ?? null) : null,
        createdAt: r.createdAt,
      })),
  }));
  // `default` first, as Horizon lists it.
  return [...summaries.filter((g) => g.isDefault), ...summaries.filter((g) => !g.isDefault)];
}
export type SecurityGroupSummary = Awaited<ReturnType<typeof listSecurityGroups>>[number];

/** A new, empty security group (no rules: nothing in, nothing out until rules are added). */
export async function createSecurityGroup({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createSecurityGroupInput> }) {
  const principal = authorize(ctx.principal, "securityGroups.create");
  const projectId = principal.projectId;
  const value = parseInput(createSecurityGroupInput, input);
  if (value.name === DEFAULT_SECURITY_GROUP) {
    throw new NimbusError("Conflict", "The name default belongs to the project's default security group.", {
      fields: [{ path: "name", message: "This name is reserved." }],
    });
  }
  return ctx.db.transaction(async (tx) => {
    const [group] = await tx
      .insert(schema.securityGroups)
      .values({ projectId, name: value.name, description: value.description })
      .onConflictDoNothing()
      .returning();
    if (!group) {
      throw new NimbusError("Conflict", `A security group named ${value.name} already exists in this project.`, {
        fields: [{ path: "name", message: "This name is taken." }],
      });
    }
    await audit(ctx, tx, {
      action: "security_group.create",
      outcome: "success",
      targetType: "security_group",
      targetId: group.id,
      details: { name: group.name },
    });
    return group;
  });
}

/** Deletes a group and its rules; not `default`, and not while ports use it. */
export async function deleteSecurityGroup({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<{ id: string }> {
  const principal = authorize(ctx.principal, "securityGroups.delete");
  const projectId = principal.projectId;
  const { id } = parseInput(idInput, input);
  return ctx.db.transaction(async (tx) => {
    // The lock waits for launches binding ports to the group, and keeps new ones out.
    const group = await findGroup(tx, projectId, id, "update");
    if (group.name === DEFAULT_SECURITY_GROUP) {
      throw new NimbusError("Conflict", "The default security group cannot be deleted.", { isDefault: true });
    }
    const users = await tx
      .select({ instanceName: schema.instances.name })
      .from(schema.portSecurityGroups)
      .innerJoin(schema.ports, eq(schema.ports.id, schema.portSecurityGroups.portId))
      .leftJoin(schema.instances, eq(schema.instances.id, schema.ports.instanceId))
      .where(eq(schema.portSecurityGroups.groupId, id))
      .orderBy(asc(schema.instances.name));
    if (users.length > 0) {
      const names = [...new Set(users.flatMap((u) => (u.instanceName ? [u.instanceName] : [])))];
      const shown = names.slice(0, 5).join(", ") + (names.length > 5 ? ", …" : "");
      throw NimbusError.conflict(
        `Security group ${group.name} is used by ${count(users.length, "port")}${names.length ? ` (${count(names.length, "instance")}: ${shown})` : ""}: delete those instances first.`,
      );
    }
    await tx.delete(schema.securityGroups).where(eq(schema.securityGroups.id, id));
    await audit(ctx, tx, {
      action: "security_group.delete",
      outcome: "success",
      targetType: "security_group",
      targetId: id,
      details: { name: group.name },
    });
    return { id };
  });
}

/** Adds a rule to one of the project's groups; an exact duplicate is refused. */
export async function addSecurityGroupRule({ ctx, input }: { ctx: CoreContext; input: z.input<typeof addRuleInput> }) {
  const principal = authorize(ctx.principal, "securityGroups.addRule");
  const projectId = principal.projectId;
  const value = parseInput(addRuleInput, input);
  const { rule, issues } = checkRule(value);
  if (!rule) throw NimbusError.badRequest(issuesMessage(issues), issues);
  return ctx.db.transaction(async (tx) => {
    // Locked so that two identical rules added at once cannot both pass the duplicate check.
    const group = await findGroup(tx, projectId, value.groupId, "update");
    if (rule.remoteGroupId && rule.remoteGroupId !== group.id) {
      const [remote] = await tx
        .select({ id: schema.securityGroups.id })
        .from(schema.securityGroups)
        .where(and(eq(schema.securityGroups.id, rule.remoteGroupId), eq(schema.securityGroups.projectId, projectId)));
      if (!remote) {
        throw new NimbusError("NotFound", `Security group ${rule.remoteGroupId} could not be found.`, {
          fields: [{ path: "remoteGroupId", message: "No such security group in this project." }],
        });
      }
    }
    const existing = await tx.select().from(schema.securityGroupRules).where(eq(schema.securityGroupRules.groupId, group.id));
    const duplicate = existing.find((r) => sameRule(rule, r));
    if (duplicate) throw new NimbusError("Conflict", `Security group ${group.name} already has this rule.`, { ruleId: duplicate.id });
    const [row] = await tx
      .insert(schema.securityGroupRules)
      .values({ groupId: group.id, ...rule })
      .returning();
    await securityGroupRulesChanged(tx, group.id);
    await audit(ctx, tx, {
      action: "security_group_rule.create",
      outcome: "success",
      targetType: "security_group_rule",
      targetId: row!.id,
      details: { group: group.name, ...rule },
    });
    return row!;
  });
}

/** Removes a rule of one of the project's groups. */
export async function removeSecurityGroupRule({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<{ id: string }> {
  const principal = authorize(ctx.principal, "securityGroups.removeRule");
  const projectId = principal.projectId;
  const { id } = parseInput(idInput, input);
  return ctx.db.transaction(async (tx) => {
    // The group is locked as when adding: a launch binding a port to the group commits before
    // (and its port is sent the change) or after (and its build reads the rules without this one).
    const [found] = await tx
      .select({ rule: schema.securityGroupRules, groupName: schema.securityGroups.name })
      .from(schema.securityGroupRules)
      .innerJoin(schema.securityGroups, eq(schema.securityGroups.id, schema.securityGroupRules.groupId))
      .where(and(eq(schema.securityGroupRules.id, id), eq(schema.securityGroups.projectId, projectId)))
      .for("update", { of: schema.securityGroups });
    if (!found) throw NimbusError.notFound("Security group rule", id);
    await tx.delete(schema.securityGroupRules).where(eq(schema.securityGroupRules.id, id));
    await securityGroupRulesChanged(tx, found.rule.groupId);
    await audit(ctx, tx, {
      action: "security_group_rule.delete",
      outcome: "success",
      targetType: "security_group_rule",
      targetId: id,
      details: { group: found.groupName, direction: found.rule.direction, protocol: found.rule.protocol },
    });
    return { id };
  });
}
