"use client";

import { Anchor, Badge, Checkbox, Group, Stack, Switch, Table, Text } from "@mantine/core";
import { MAX_LAUNCH_VOLUMES } from "@nimbus/core/validation";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { QueryStatus } from "@/components/common/query-status";
import { VolumeStatusBadge } from "@/components/volumes/volume-status-badge";
import { useTRPC } from "@/lib/trpc";

/** An existing volume attached to the instance as an extra disk (vdb, vdc, … in this order). */
export interface ChosenVolume {
  volumeId: string;
  deleteOnTermination: boolean;
}

interface VolumesStepProps {
  value: ChosenVolume[];
  onChange(value: ChosenVolume[]): void;
  /** The server's message for volumes, if a launch was refused because of them. */
  error?: string;
}

/**
 * The launch wizard's Volumes step: the project's available volumes, each with a checkbox named
 * after it, and for each chosen one whether it goes with the instance when that is deleted.
 */
export function VolumesStep({ value, onChange, error }: VolumesStepProps) {
  const trpc = useTRPC();
  const volumes = useQuery(trpc.volumes.list.queryOptions());
  const chosen = new Map(value.map((v) => [v.volumeId, v]));
  // Available volumes, and any chosen one that meanwhile stopped being available (so it can be unticked).
  const shown = (volumes.data ?? []).filter((v) => v.status === "available" || chosen.has(v.id));

  function toggle(volumeId: string, on: boolean) {
    onChange(on ? [...value, { volumeId, deleteOnTermination: false }] : value.filter((v) => v.volumeId !== volumeId));
  }
  function setDeleteOnTermination(volumeId: string, deleteOnTermination: boolean) {
    onChange(value.map((v) => (v.volumeId === volumeId ? { ...v, deleteOnTermination } : v)));
  }

  if (!volumes.isSuccess) return <QueryStatus query={volumes} loadingLabel="Loading volumes" errorTitle="Could not load the volumes" loaderSize="sm" />;
  return (
    <Stack gap="xs" role="group" aria-labelledby="volumes-step-title">
      <Text fw={500} id="volumes-step-title">
        Volumes to attach
      </Text>
      <Text size="sm" c="dimmed">
        Existing volumes become extra disks of the instance, in the order chosen. A volume can be attached to one instance at a time.
      </Text>
      {shown.length === 0 ? (
        <Text size="sm" c="dimmed">
          No available volumes in this project.{" "}
          <Anchor component={Link} href="/project/volumes" size="sm">
            Create one on the Volumes page
          </Anchor>
          .
        </Text>
      ) : (
        <Table highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Volume</Table.Th>
              <Table.Th>Size</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>On instance delete</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((volume) => {
              const choice = chosen.get(volume.id);
              return (
                <Table.Tr key={volume.id}>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Checkbox
                        label={volume.name}
                        checked={choice !== undefined}
                        disabled={!choice && value.length >= MAX_LAUNCH_VOLUMES}
                        onChange={(e) => toggle(volume.id, e.currentTarget.checked)}
                      />
                      {volume.bootable && (
                        <Badge variant="light" color="teal" size="xs">
                          Bootable
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>{volume.sizeGb} GB</Table.Td>
                  <Table.Td>
                    <VolumeStatusBadge status={volume.status} />
                  </Table.Td>
                  <Table.Td>
                    {choice ? (
                      <Switch
                        label="Delete on termination"
                        checked={choice.deleteOnTermination}
                        onChange={(e) => setDeleteOnTermination(volume.id, e.currentTarget.checked)}
                      />
                    ) : (
                      <Text size="sm" c="dimmed">
                        —
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
      {value.length >= MAX_LAUNCH_VOLUMES && (
        <Text size="sm" c="dimmed">
          At most {MAX_LAUNCH_VOLUMES} volumes per launch.
        </Text>
      )}
      {error && (
        <Text size="sm" c="red" role="alert">
          {error}
        </Text>
      )}
    </Stack>
  );
}
