import { Badge } from "@mantine/core";
import { statusColor } from "@/lib/instance-display";

export function InstanceStatusBadge({ status }: { status: string }) {
  return (
    <Badge color={statusColor(status)} variant="light">
      {status}
    </Badge>
  );
}
