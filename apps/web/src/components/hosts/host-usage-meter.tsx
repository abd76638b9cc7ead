import { Progress, Stack, Text } from "@mantine/core";
import { formatAmount } from "@/lib/format";

interface HostUsageMeterProps {
  /** e.g. "vCPUs used on node-1" */
  label: string;
  used: number;
  capacity: number;
  unit: string;
}

/** Used against capacity (after allocation ratio and reserved) as a bar and as "used / capacity unit". */
export function HostUsageMeter({ label, used, capacity, unit }: HostUsageMeterProps) {
  const percent = capacity > 0 ? Math.min(100, (used / capacity) * 100) : used > 0 ? 100 : 0;
  const color = percent >= 90 ? "red" : percent >= 70 ? "orange" : "blue";
  return (
    <Stack gap={4} miw={100}>
      <Progress value={percent} color={color} aria-label={label} size="sm" />
      {/* The leading space keeps the figures a separate word in the row's text. */}{" "}
      <Text size="xs">
        {formatAmount(used)} / {formatAmount(capacity)} {unit}
      </Text>
    </Stack>
  );
}
