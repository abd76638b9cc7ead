import { Badge, Button, Group, Paper, Text, Title } from "@mantine/core";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import { SubnetsTable } from "./subnets-table";
import type { NetworkSummary, SubnetSummary } from "./types";

interface NetworkCardProps {
  network: NetworkSummary;
  /** Whether the caller may add and delete subnets and delete the network. */
  canManage: boolean;
  onAddSubnet(network: NetworkSummary): void;
  onDelete(network: NetworkSummary): void;
  onDeleteSubnet(subnet: SubnetSummary, network: NetworkSummary): void;
}

/** One network: its sharing, MTU and use, and its subnets. */
export function NetworkCard({ network, canManage, onAddSubnet, onDelete, onDeleteSubnet }: NetworkCardProps) {
  return (
    <Paper withBorder component="section" aria-labelledby={`network-${network.id}-title`}>
      <Group justify="space-between" p="md" wrap="wrap">
        <Group gap="sm">
          <Title order={2} size="h4" id={`network-${network.id}-title`}>
            {network.name}
          </Title>
          <Badge variant="light" color={network.shared ? "blue" : "gray"}>
            {network.shared ? (network.ownedByProject ? "Shared by this project" : "Shared") : "Project"}
          </Badge>
          {network.routerExternal && (
            <Badge variant="light" color="grape">
              External
            </Badge>
          )}
          <Text size="sm" c="dimmed">
            MTU {network.mtu} · {network.instanceCount} {network.instanceCount === 1 ? "instance" : "instances"} · {network.portCount}{" "}
            {network.portCount === 1 ? "port" : "ports"}
          </Text>
        </Group>
        {canManage && (
          <Group gap="xs">
            <Button size="xs" variant="light" onClick={() => onAddSubnet(network)} aria-label={`Add a subnet to network ${network.name}`}>
              Add subnet
            </Button>
            <RowActionIcon tooltip="Delete" aria-label={`Delete network ${network.name}`} icon={<TrashIcon />} onClick={() => onDelete(network)} />
          </Group>
        )}
      </Group>
      <SubnetsTable subnets={network.subnets} onDelete={canManage ? (subnet) => onDeleteSubnet(subnet, network) : undefined} />
    </Paper>
  );
}
