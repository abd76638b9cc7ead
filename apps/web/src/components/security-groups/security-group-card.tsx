import { Badge, Button, Group, Loader, Paper, Stack, Text, Title } from "@mantine/core";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import { RulesTable } from "./rules-table";
import type { SecurityGroupRule, SecurityGroupSummary } from "./types";

interface SecurityGroupCardProps {
  group: SecurityGroupSummary;
  /** Members and admins change groups; readers only look. */
  canManage: boolean;
  onAddRule(group: SecurityGroupSummary): void;
  onRemoveRule(rule: SecurityGroupRule, group: SecurityGroupSummary): void;
  onDelete(group: SecurityGroupSummary): void;
}

/** One security group with its rules. */
export function SecurityGroupCard({ group, canManage, onAddRule, onRemoveRule, onDelete }: SecurityGroupCardProps) {
  return (
    <Paper withBorder component="section" aria-labelledby={`security-group-${group.id}-title`}>
      <Group justify="space-between" p="md" wrap="wrap" align="flex-start">
        <Stack gap={2}>
          <Group gap="sm">
            <Title order={2} size="h4" id={`security-group-${group.id}-title`}>
              {group.name}
            </Title>
            {group.isDefault && (
              <Badge variant="light" color="blue">
                Default
              </Badge>
            )}
            <Text size="sm" c="dimmed">
              {group.rules.length} {group.rules.length === 1 ? "rule" : "rules"} · used by {group.portCount}{" "}
              {group.portCount === 1 ? "port" : "ports"}
            </Text>
            {group.portsUpdating > 0 && (
              <Badge variant="light" color="yellow" role="status" leftSection={<Loader size={10} color="yellow" />}>
                Applying rules to {group.portsUpdating} running {group.portsUpdating === 1 ? "port" : "ports"}
              </Badge>
            )}
          </Group>
          {group.description && (
            <Text size="sm" c="dimmed">
              {group.description}
            </Text>
          )}
        </Stack>
        {canManage && (
          <Group gap="xs">
            <Button size="xs" variant="light" onClick={() => onAddRule(group)} aria-label={`Add a rule to security group ${group.name}`}>
              Add rule
            </Button>
            {!group.isDefault && (
              <RowActionIcon
                tooltip="Delete"
                aria-label={`Delete security group ${group.name}`}
                icon={<TrashIcon />}
                onClick={() => onDelete(group)}
              />
            )}
          </Group>
        )}
      </Group>
      <RulesTable groupName={group.name} rules={group.rules} onRemove={canManage ? (rule) => onRemoveRule(rule, group) : undefined} />
    </Paper>
  );
}
