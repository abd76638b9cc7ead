import { Badge, type MantineColor } from "@mantine/core";
import type { VolumeStatus } from "./types";

/** Cinder's statuses, coloured as Horizon does: available green, in-use blue, errors red. */
const STATUS: Record<VolumeStatus, { label: string; color: MantineColor }> = {
  creating: { label: "Creating", color: "blue" },
  available: { label: "Available", color: "green" },
  reserved: { label: "Reserved", color: "yellow" },
  "in-use": { label: "In-use", color: "blue" },
  deleting: { label: "Deleting", color: "gray" },
  error: { label: "Error", color: "red" },
  error_deleting: { label: "Error deleting", color: "red" },
};

export function VolumeStatusBadge({ status }: { status: VolumeStatus }) {
  const spec = STATUS[status];
  return (
    <Badge variant="light" color={spec.color}>
      {spec.label}
    </Badge>
  );
}
