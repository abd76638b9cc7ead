import { Badge, Stack, Table, Text } from "@mantine/core";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import { AddressUsage } from "./address-usage";
import type { SubnetSummary } from "./types";

/** "10.0.0.0/24" or "web (10.0.0.0/24)" */
export function subnetLabel(subnet: SubnetSummary): string {
  return subnet.name ? `${subnet.name} (${subnet.cidr})` : subnet.cidr;
}

interface SubnetsTableProps {
  subnets: SubnetSummary[];
  /** Shown only to those who may change the network. */
  onDelete?(subnet: SubnetSummary): void;
}

/** A network's subnets: addressing, pools, DHCP, DNS and how full each is. */
export function SubnetsTable({ subnets, onDelete }: SubnetsTableProps) {
  if (subnets.length === 0) {
    return (
      <Text size="sm" c="dimmed" px="md" pb="md">
        No subnet yet: instances cannot get an address on this network until one is added.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table verticalSpacing="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Subnet</Table.Th>
            <Table.Th>CIDR</Table.Th>
            <Table.Th>Gateway</Table.Th>
            <Table.Th>Allocation pools</Table.Th>
            <Table.Th>DHCP</Table.Th>
            <Table.Th>DNS</Table.Th>
            <Table.Th>Addresses</Table.Th>
            {onDelete && <Table.Th>Actions</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {subnets.map((subnet) => (
            <Table.Tr key={subnet.id}>
              <Table.Td fw={500}>{subnet.name || <Text span size="sm" c="dimmed">(unnamed)</Text>}</Table.Td>
              <Table.Td ff="monospace">{subnet.cidr}</Table.Td>
              <Table.Td ff="monospace">{subnet.gatewayIp ?? "None"}</Table.Td>
              <Table.Td ff="monospace">
                <Stack gap={0}>
                  {subnet.allocationPools.map((pool) => (
                    <Text key={pool.start} size="sm" ff="monospace">
                      {pool.start === pool.end ? pool.start : `${pool.start} – ${pool.end}`}
                    </Text>
                  ))}
                </Stack>
              </Table.Td>
              <Table.Td>
                <Badge variant="light" color={subnet.enableDhcp ? "teal" : "gray"}>
                  {subnet.enableDhcp ? "Enabled" : "Disabled"}
                </Badge>
              </Table.Td>
              <Table.Td ff="monospace">{subnet.dnsNameservers.length > 0 ? subnet.dnsNameservers.join(", ") : "—"}</Table.Td>
              <Table.Td>
                <AddressUsage used={subnet.usedAddresses} size={subnet.poolSize} subnetLabel={subnetLabel(subnet)} />
              </Table.Td>
              {onDelete && (
                <Table.Td>
                  <RowActionIcon tooltip="Delete" aria-label={`Delete subnet ${subnetLabel(subnet)}`} icon={<TrashIcon />} onClick={() => onDelete(subnet)} />
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
