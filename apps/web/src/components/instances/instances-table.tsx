"use client";

import { Anchor, Progress, Stack, Table, Text } from "@mantine/core";
import Link from "next/link";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import type { InstanceSummary } from "@/lib/api-types";
import { formatPowerState, humanize } from "@/lib/format";
import { InstanceStatusBadge } from "./instance-status-badge";

interface InstancesTableProps {
  instances: InstanceSummary[];
  /** Shown only to those who may delete (members and admins). */
  onDelete?(instance: InstanceSummary): void;
}

export function InstancesTable({ instances, onDelete }: InstancesTableProps) {
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table highlightOnHover verticalSpacing="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Image</Table.Th>
            <Table.Th>Flavor</Table.Th>
            <Table.Th>IP / MAC</Table.Th>
            <Table.Th>Host</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Power state</Table.Th>
            <Table.Th>Task</Table.Th>
            {onDelete && (
              <Table.Th>Actions</Table.Th>
            )}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {instances.map((instance) => (
            <Table.Tr key={instance.id}>
              <Table.Td>
                <Anchor component={Link} href={`/project/instances/${instance.id}`} fw={600}>
                  {instance.name}
                </Anchor>
              </Table.Td>
              <Table.Td>{instance.imageName ?? "—"}</Table.Td>
              <Table.Td>{instance.flavorName}</Table.Td>
              <Table.Td>
                <Stack gap={0}>
                  <Text size="sm">{instance.fixedIp ?? "—"}</Text>
                  <Text size="xs" c="dimmed" ff="monospace">
                    {instance.macAddress ?? ""}
                  </Text>
                </Stack>
              </Table.Td>
              <Table.Td>{instance.hostname ?? "—"}</Table.Td>
              <Table.Td>
                <Stack gap={4}>
                  <InstanceStatusBadge status={instance.status} />
                  {instance.status === "BUILD" && (
                    <Progress value={instance.progress} size="xs" animated aria-label={`Build progress of ${instance.name}`} w={80} />
                  )}
                </Stack>
              </Table.Td>
              <Table.Td>{formatPowerState(instance.powerState)}</Table.Td>
              <Table.Td>{instance.taskState ? humanize(instance.taskState) : "—"}</Table.Td>
              {onDelete && (
                <Table.Td>
                  <RowActionIcon tooltip="Delete" aria-label={`Delete ${instance.name}`} icon={<TrashIcon />} onClick={() => onDelete(instance)} />
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
