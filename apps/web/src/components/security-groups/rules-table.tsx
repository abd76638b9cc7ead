import { Badge, Table, Text } from "@mantine/core";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import { describeRule, portRangeLabel, protocolLabel, remoteLabel } from "./describe-rule";
import type { SecurityGroupRule } from "./types";

interface RulesTableProps {
  groupName: string;
  rules: SecurityGroupRule[];
  /** Shown only to those who may change the group. */
  onRemove?(rule: SecurityGroupRule): void;
}

/** A group's rules, as Horizon shows them: direction, ether type, protocol, ports, remote. */
export function RulesTable({ groupName, rules, onRemove }: RulesTableProps) {
  if (rules.length === 0) {
    return (
      <Text size="sm" c="dimmed" px="md" pb="md">
        No rules: ports in this group let no traffic in or out.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table verticalSpacing="xs" aria-label={`Rules of security group ${groupName}`}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Direction</Table.Th>
            <Table.Th>Ether type</Table.Th>
            <Table.Th>Protocol</Table.Th>
            <Table.Th>Port range</Table.Th>
            <Table.Th>Remote</Table.Th>
            {onRemove && <Table.Th>Actions</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rules.map((rule) => (
            <Table.Tr key={rule.id}>
              <Table.Td>
                <Badge variant="light" color={rule.direction === "ingress" ? "blue" : "grape"}>
                  {rule.direction === "ingress" ? "Ingress" : "Egress"}
                </Badge>
              </Table.Td>
              <Table.Td>{rule.ethertype}</Table.Td>
              <Table.Td>{protocolLabel(rule.protocol)}</Table.Td>
              <Table.Td ff="monospace">{portRangeLabel(rule)}</Table.Td>
              <Table.Td ff={rule.remoteGroupId ? undefined : "monospace"}>{remoteLabel(rule)}</Table.Td>
              {onRemove && (
                <Table.Td>
                  <RowActionIcon tooltip="Delete" aria-label={`Delete rule ${describeRule(rule)}`} icon={<TrashIcon />} onClick={() => onRemove(rule)} />
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
