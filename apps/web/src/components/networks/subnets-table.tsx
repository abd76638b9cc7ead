import { Badge, Stack, Text } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import { AddressUsage } from "./address-usage";
import type { SubnetSummary } from "./types";

/** "10.0.0.0/24" or "web (10.0.0.0/24)" */
export function subnetLabel(subnet: SubnetSummary): string {
  return subnet.name ? `${subnet.name} (${subnet.cidr})` : subnet.cidr;
}

const COLUMNS: DataTableColumn<SubnetSummary>[] = [
  {
    key: "name",
    header: "Subnet",
    sortValue: (s) => s.name,
    cell: (s) =>
      s.name || (
        <Text span size="sm" c="dimmed">
          (unnamed)
        </Text>
      ),
    cellProps: { fw: 500 },
  },
  { key: "cidr", header: "CIDR", cell: (s) => s.cidr, sortValue: (s) => s.cidr, cellProps: { ff: "monospace" } },
  { key: "gateway", header: "Gateway", cell: (s) => s.gatewayIp ?? "None", cellProps: { ff: "monospace" } },
  {
    key: "pools",
    header: "Allocation pools",
    cellProps: { ff: "monospace" },
    cell: (s) => (
      <Stack gap={0}>
        {s.allocationPools.map((pool) => (
          <Text key={pool.start} size="sm" ff="monospace">
            {pool.start === pool.end ? pool.start : `${pool.start} – ${pool.end}`}
          </Text>
        ))}
      </Stack>
    ),
  },
  {
    key: "dhcp",
    header: "DHCP",
    cell: (s) => (
      <Badge variant="light" color={s.enableDhcp ? "teal" : "gray"}>
        {s.enableDhcp ? "Enabled" : "Disabled"}
      </Badge>
    ),
  },
  { key: "dns", header: "DNS", cell: (s) => (s.dnsNameservers.length > 0 ? s.dnsNameservers.join(", ") : "—"), cellProps: { ff: "monospace" } },
  {
    key: "addresses",
    header: "Addresses",
    sortValue: (s) => s.usedAddresses,
    cell: (s) => <AddressUsage used={s.usedAddresses} size={s.poolSize} subnetLabel={subnetLabel(s)} />,
  },
];

interface SubnetsTableProps {
  subnets: SubnetSummary[];
  /** Shown only to those who may change the network. */
  onDelete?(subnet: SubnetSummary): void;
}

/** A network's subnets: addressing, pools, DHCP, DNS and how full each is. */
export function SubnetsTable({ subnets, onDelete }: SubnetsTableProps) {
  return (
    <DataTable
      minWidth={900}
      highlightOnHover={false}
      columns={COLUMNS}
      rows={subnets}
      rowKey={(s) => s.id}
      empty={{ message: "No subnet yet: instances cannot get an address on this network until one is added." }}
      rowActions={
        onDelete &&
        ((subnet) => (
          <RowActionIcon tooltip="Delete" aria-label={`Delete subnet ${subnetLabel(subnet)}`} icon={<TrashIcon />} onClick={() => onDelete(subnet)} />
        ))
      }
    />
  );
}
