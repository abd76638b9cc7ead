import { Anchor, Badge, Group, Table, Text } from "@mantine/core";
import Link from "next/link";
import type { PortSummary } from "./types";

const STATUS_COLOR: Record<PortSummary["status"], string> = { ACTIVE: "teal", BUILD: "blue", DOWN: "gray" };

/** The project's ports: the instance each belongs to, its address, MAC, status and security groups. */
export function PortsTable({ ports }: { ports: PortSummary[] }) {
  if (ports.length === 0) {
    return (
      <Text ta="center" c="dimmed" p="xl">
        No ports yet: each launched instance gets one.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table verticalSpacing="sm" highlightOnHover aria-label="Ports">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Instance</Table.Th>
            <Table.Th>Network</Table.Th>
            <Table.Th>Subnet</Table.Th>
            <Table.Th>IP address</Table.Th>
            <Table.Th>MAC address</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Security groups</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {ports.map((port) => (
            <Table.Tr key={port.id}>
              <Table.Td>
                {port.instanceId ? (
                  <Anchor component={Link} href={`/project/instances/${port.instanceId}`} size="sm">
                    {port.instanceName ?? port.instanceId}
                  </Anchor>
                ) : (
                  <Text size="sm" c="dimmed">
                    Unbound
                  </Text>
                )}
              </Table.Td>
              <Table.Td>{port.networkName}</Table.Td>
              <Table.Td ff="monospace">{port.subnetName ? `${port.subnetName} (${port.cidr})` : port.cidr}</Table.Td>
              <Table.Td ff="monospace">{port.ipAddress}</Table.Td>
              <Table.Td ff="monospace">{port.macAddress}</Table.Td>
              <Table.Td>
                <Badge variant="light" color={STATUS_COLOR[port.status]}>
                  {port.status}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {port.securityGroups.length === 0 ? (
                    <Text size="sm" c="dimmed">
                      None
                    </Text>
                  ) : (
                    port.securityGroups.map((group) => (
                      <Badge key={group.id} variant="outline" color="gray">
                        {group.name}
                      </Badge>
                    ))
                  )}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
