"use client";

import { Alert, Stack } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { QueryStatus } from "@/components/common/query-status";
import { canManageInstances, useSession } from "@/components/session/session-context";
import { useTRPC } from "@/lib/trpc";
import { useConfirmDelete } from "@/lib/use-confirm-delete";
import { AddRuleModal } from "./add-rule-modal";
import { CreateSecurityGroupForm } from "./create-security-group-form";
import { describeRule } from "./describe-rule";
import { SecurityGroupCard } from "./security-group-card";
import type { SecurityGroupRule, SecurityGroupSummary } from "./types";

const UPDATING_REFRESH_MS = 2_000;

/** The project's security groups (`default` first) with their rules. */
export function SecurityGroups() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const principal = useSession();
  const canManage = canManageInstances(principal);
  const groups = useQuery({
    ...trpc.securityGroups.list.queryOptions(),
    // While a rule change is on its way to the hosts, until each has applied it.
    refetchInterval: (query) => (query.state.data?.some((g) => g.portsUpdating > 0) ? UPDATING_REFRESH_MS : false),
  });
  const [addingTo, setAddingTo] = useState<SecurityGroupSummary | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.securityGroups.list.queryKey() });

  const remove = useConfirmDelete(
    trpc.securityGroups.delete.mutationOptions({ onSuccess: refresh }),
    (g: SecurityGroupSummary) => ({ id: g.id }),
    (g) => `Security group ${g.name} deleted.`,
  );
  const removeRule = useConfirmDelete(
    trpc.securityGroups.removeRule.mutationOptions({ onSuccess: refresh }),
    ({ rule }: { rule: SecurityGroupRule; group: SecurityGroupSummary }) => ({ id: rule.id }),
    ({ group }) => `Rule deleted from ${group.name}.`,
  );

  return (
    <Stack gap="lg">
      <QueryStatus query={groups} loadingLabel="Loading security groups" errorTitle="Could not load the security groups" />
      {groups.isSuccess &&
        groups.data.map((group) => (
          <SecurityGroupCard
            key={group.id}
            group={group}
            canManage={canManage}
            onAddRule={setAddingTo}
            onRemoveRule={(rule, owner) => removeRule.ask({ rule, group: owner })}
            onDelete={remove.ask}
          />
        ))}
      {canManage && <CreateSecurityGroupForm onCreated={refresh} />}
      {groups.isSuccess && (
        <AddRuleModal
          group={addingTo}
          groups={groups.data}
          onClose={() => setAddingTo(null)}
          onAdded={() => {
            refresh();
            setAddingTo(null);
          }}
        />
      )}
      <ConfirmDeleteModal {...remove.modal} title={(g) => `Delete security group ${g.name}?`} errorTitle="Could not delete the security group">
        {(g) =>
          g.portCount > 0 ? (
            <Alert color="yellow" title="In use">
              {g.portCount} {g.portCount === 1 ? "port uses" : "ports use"} this group: delete those instances first.
            </Alert>
          ) : (
            `Its ${g.rules.length} ${g.rules.length === 1 ? "rule goes" : "rules go"} with it, and so do rules of other groups that name it as their remote group. This cannot be undone.`
          )
        }
      </ConfirmDeleteModal>
      <ConfirmDeleteModal {...removeRule.modal} title={({ group }) => `Delete a rule of ${group.name}?`} errorTitle="Could not delete the rule">
        {({ rule }) => `The rule ${describeRule(rule)} stops applying to the group's instances, running ones included, within seconds.`}
      </ConfirmDeleteModal>
    </Stack>
  );
}
