"use client";

import { BarChart } from "@mantine/charts";
import { Card, SimpleGrid, Text } from "@mantine/core";
import type { Host } from "@/lib/api-types";
import { formatAmount } from "@/lib/format";
import { usageShare } from "./usage-share";

interface UsageChartProps {
  title: string;
  /** "vCPUs", "MB". */
  unit: string;
  hosts: Host[];
  of(host: Host): { used: number; capacity: number };
}

/**
 * Each host's use of one resource as a share of its capacity (0-100 %), so 1 of 64 vCPUs shows as
 * a sliver rather than vanishing beside a 64-high capacity bar; the figures are written beneath.
 */
function UsageChart({ title, unit, hosts, of }: UsageChartProps) {
  const data = hosts.map((host) => {
    const { used, free } = usageShare(of(host));
    return { hostname: host.hostname, Used: used, Free: free };
  });
  const figures = hosts.map((host) => `${host.hostname}: ${formatAmount(of(host).used)} of ${formatAmount(of(host).capacity)} ${unit} used`);
  return (
    <Card withBorder component="section" aria-label={`${title} used, as a share of each host's capacity`}>
      <Text fw={600} mb="xs">
        {title} used
      </Text>
      <BarChart
        h={40 + 36 * hosts.length}
        data={data}
        dataKey="hostname"
        orientation="vertical"
        type="stacked"
        series={[
          { name: "Used", color: "blue.6" },
          { name: "Free", color: "gray.3" },
        ]}
        xAxisProps={{ type: "number", domain: [0, 100], ticks: [0, 25, 50, 75, 100] }}
        yAxisProps={{ width: 90 }}
        valueFormatter={(v) => `${v}%`}
        withTooltip={false}
        gridAxis="none"
        // Not a focusable, unnamed "application": the figures are written under the chart.
        barChartProps={{ accessibilityLayer: false }}
        aria-hidden
      />
      {figures.map((line) => (
        <Text key={line} size="xs" c="dimmed">
          {line}
        </Text>
      ))}
    </Card>
  );
}

/** Used against capacity per host, for vCPUs and RAM: the shape of the cloud at a glance. */
export function HostUsageCharts({ hosts }: { hosts: Host[] }) {
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      <UsageChart title="vCPUs" unit="vCPUs" hosts={hosts} of={(h) => h.vcpus} />
      <UsageChart title="RAM" unit="MB" hosts={hosts} of={(h) => h.memoryMb} />
    </SimpleGrid>
  );
}
