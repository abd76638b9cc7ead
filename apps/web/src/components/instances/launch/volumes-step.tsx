"use client";

import { Anchor, Badge, Checkbox, Group, Stack, Switch, Text } from "@mantine/core";
import { MAX_LAUNCH_VOLUMES } from "@nimbus/core/validation";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import { QueryStatus } from "@/components/common/query-status";
import type { Volume } from "@/components/volumes/types";
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

  const columns: DataTableColumn<Volume>[] = [
    {
      key: "volume",
      header: "Volume",
      sortValue: (volume) => volume.name,
      cell: (volume) => (
        <Group gap="xs" wrap="nowrap">
          <Checkbox
            label={volume.name}
            checked={chosen.has(volume.id)}
            disabled={!chosen.has(volume.id) && value.length >= MAX_LAUNCH_VOLUMES}
            onChange={(e) => toggle(volume.id, e.currentTarget.checked)}
          />
          {volume.bootable && (
            <Badge variant="light" color="teal" size="xs">
              Bootable
            </Badge>
          )}
        </Group>
      ),
    },
    { key: "size", header: "Size", cell: (volume) => `${volume.sizeGb} GB`, sortValue: (volume) => volume.sizeGb },
    { key: "status", header: "Status", cell: (volume) => <VolumeStatusBadge status={volume.status} /> },
    {
      key: "onDelete",
      header: "On instance delete",
      cell: (volume) => {
        const choice = chosen.get(volume.id);
        return choice ? (
          <Switch
            label="Delete on termination"
            checked={choice.deleteOnTermination}
            onChange={(e) => setDeleteOnTermination(volume.id, e.currentTarget.checked)}
          />
        ) : (
          <Text size="sm" c="dimmed">
            —
          </Text>
        );
      },
    },
  ];

  if (!volumes.isSuccess)
    return <QueryStatus query={volumes} loadingLabel="Loading volumes" errorTitle="Could not load the volumes" loaderSize="sm" />;
  return (
    <Stack gap="xs" role="group" aria-labelledby="volumes-step-title">
      <Text fw={500} id="volumes-step-title">
        Volumes to attach
      </Text>
      <Text size="sm" c="dimmed">
        Existing volumes become extra disks of the instance, in the order chosen. A volume can be attached to one instance at a time.
      </Text>
      <DataTable
        verticalSpacing="xs"
        columns={columns}
        rows={shown}
        rowKey={(v) => v.id}
        isRowSelected={(v) => chosen.has(v.id)}
        empty={{
          message: (
            <>
              No available volumes in this project.{" "}
              <Anchor component={Link} href="/project/volumes">
                Create one on the Volumes page
              </Anchor>
              .
            </>
          ),
        }}
      />
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
