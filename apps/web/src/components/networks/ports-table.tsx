import { Anchor, Badge, Group, Text } from "@mantine/core";
import Link from "next/link";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { PortSummary } from "./types";

const STATUS_COLOR: Record<PortSummary["status"], string> = { ACTIVE: "teal", BUILD: "blue", DOWN: "gray" };

const COLUMNS: DataTableColumn<PortSummary>[] = [
  {
    key: "instance",
    header: "Instance",
    sortValue: (p) => p.instanceName ?? p.instanceId,
    cell: (p) =>
      p.instanceId ? (
        <Anchor component={Link} href={`/project/instances/${p.instanceId}`} size="sm">
          {p.instanceName ?? p.instanceId}
        </Anchor>
      ) : (
        <Text size="sm" c="dimmed">
          Unbound
        </Text>
      ),
  },
  { key: "network", header: "Network", cell: (p) => p.networkName, sortValue: (p) => p.networkName },
  { key: "subnet", header: "Subnet", cell: (p) => (p.subnetName ? `${p.subnetName} (${p.cidr})` : p.cidr), cellProps: { ff: "monospace" } },
  { key: "ip", header: "IP address", cell: (p) => p.ipAddress, sortValue: (p) => p.ipAddress, cellProps: { ff: "monospace" } },
  { key: "mac", header: "MAC address", cell: (p) => p.macAddress, cellProps: { ff: "monospace" } },
  {
    key: "status",
    header: "Status",
    sortValue: (p) => p.status,
    cell: (p) => (
      <Badge variant="light" color={STATUS_COLOR[p.status]}>
        {p.status}
      </Badge>
    ),
  },
  {
    key: "securityGroups",
    header: "Security groups",
    cell: (p) => (
      <Group gap={4}>
        {p.securityGroups.length === 0 ? (
          <Text size="sm" c="dimmed">
            None
          </Text>
        ) : (
          p.securityGroups.map((group) => (
            <Badge key={group.id} variant="outline" color="gray">
              {group.name}
            </Badge>
          ))
        )}
      </Group>
    ),
  },
];

/** The project's ports: the instance each belongs to, its address, MAC, status and security groups. */
export function PortsTable({ ports }: { ports: PortSummary[] }) {
  return (
    <DataTable
      minWidth={900}
      aria-label="Ports"
      columns={COLUMNS}
      rows={ports}
      rowKey={(p) => p.id}
      empty={{ message: "No ports yet: each launched instance gets one." }}
    />
  );
}
