import { Badge } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import { describeRule, portRangeLabel, protocolLabel, remoteLabel } from "./describe-rule";
import type { SecurityGroupRule } from "./types";

const COLUMNS: DataTableColumn<SecurityGroupRule>[] = [
  {
    key: "direction",
    header: "Direction",
    sortValue: (r) => r.direction,
    cell: (r) => (
      <Badge variant="light" color={r.direction === "ingress" ? "blue" : "grape"}>
        {r.direction === "ingress" ? "Ingress" : "Egress"}
      </Badge>
    ),
  },
  { key: "ethertype", header: "Ether type", cell: (r) => r.ethertype, sortValue: (r) => r.ethertype },
  { key: "protocol", header: "Protocol", cell: (r) => protocolLabel(r.protocol), sortValue: (r) => protocolLabel(r.protocol) },
  { key: "ports", header: "Port range", cell: portRangeLabel, cellProps: { ff: "monospace" } },
  { key: "remote", header: "Remote", cell: remoteLabel, cellProps: (r) => ({ ff: r.remoteGroupId ? undefined : "monospace" }) },
];

interface RulesTableProps {
  groupName: string;
  rules: SecurityGroupRule[];
  /** Shown only to those who may change the group. */
  onRemove?(rule: SecurityGroupRule): void;
}

/** A group's rules, as Horizon shows them: direction, ether type, protocol, ports, remote. */
export function RulesTable({ groupName, rules, onRemove }: RulesTableProps) {
  return (
    <DataTable
      minWidth={640}
      verticalSpacing="xs"
      highlightOnHover={false}
      aria-label={`Rules of security group ${groupName}`}
      columns={COLUMNS}
      rows={rules}
      rowKey={(r) => r.id}
      empty={{ message: "No rules: ports in this group let no traffic in or out." }}
      rowActions={
        onRemove &&
        ((rule) => (
          <RowActionIcon tooltip="Delete" aria-label={`Delete rule ${describeRule(rule)}`} icon={<TrashIcon />} onClick={() => onRemove(rule)} />
        ))
      }
    />
  );
}
