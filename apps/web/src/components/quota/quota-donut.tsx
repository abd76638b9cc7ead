"use client";

import { DonutChart } from "@mantine/charts";
import { Card, Group, Stack, Text } from "@mantine/core";
import { freeOf, isUnlimited, type QuotaResourceSpec } from "@/lib/quota";

/** The figure in the donut's hole: "2 / 10", or a share where the numbers are long (RAM in MB, image MiB). */
function centerLabel(spec: QuotaResourceSpec, { limit, used }: { limit: number; used: number }): string {
  if (isUnlimited(limit)) return spec.longFigures ? spec.format(used) : String(used);
  if (spec.longFigures) return `${limit === 0 ? 100 : Math.round((used / limit) * 100)}%`;
  return `${used} / ${limit}`;
}

/** One quota as a donut (used vs free) with the same figures in words beside it. */
export function QuotaDonut({ spec, usage }: { spec: QuotaResourceSpec; usage: { limit: number; used: number } }) {
  const free = freeOf(usage);
  const over = !isUnlimited(usage.limit) && usage.used > usage.limit;
  const data =
    free === null
      ? [{ name: "Used", value: Math.max(usage.used, 0), color: "blue.6" }]
      : [
          { name: "Used", value: usage.used, color: over ? "red.6" : "blue.6" },
          { name: "Free", value: free, color: "gray.3" },
        ];
  const empty = data.every((d) => d.value === 0);
  const summary =
    free === null
      ? `${spec.format(usage.used)} used, no limit`
      : `${spec.format(usage.used)} used of ${spec.format(usage.limit)} (${spec.format(free)} free)`;
  return (
    <Card withBorder padding="lg" component="section" aria-label={`${spec.label} quota`}>
      <Text fw={600} mb="sm">
        {spec.label}
      </Text>
      <Group wrap="nowrap" align="center">
        <DonutChart
          data={empty ? [{ name: "Nothing used", value: 1, color: "gray.3" }] : data}
          withTooltip={!empty}
          tooltipDataSource="segment"
          valueFormatter={spec.format}
          chartLabel={centerLabel(spec, usage)}
          size={120}
          thickness={16}
          // Not a focusable "application" inside a hidden chart: the summary beside it says the same.
          pieChartProps={{ accessibilityLayer: false }}
          pieProps={{ rootTabIndex: -1 }}
          aria-hidden
        />
        <Stack gap={4}>
          <Text size="sm">{summary}</Text>
          {over && (
            <Text size="sm" c="red">
              Over the limit: {spec.refused ?? "new launches"} are refused until some are deleted.
            </Text>
          )}
        </Stack>
      </Group>
    </Card>
  );
}
