"use client";

import { BarChart } from "@mantine/charts";
import { Card, Group, SimpleGrid, Text } from "@mantine/core";
import type { RouterOutputs } from "@/lib/api-types";
import { formatAmount } from "@/lib/format";

type Summary = RouterOutputs["hosts"]["summary"];

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600}>{value}</Text>
    </div>
  );
}

const used = (r: { used: number; capacity: number }, unit: string) => `${formatAmount(r.used)} of ${formatAmount(r.capacity)} ${unit}`;

/** How many hosts use each tenth of their capacity of one resource (computed by the database). */
function UsageHistogram({ title, buckets }: { title: string; buckets: Summary["ramUsage"] }) {
  const data = buckets.map((b) => ({ share: `${b.from}–${b.to}%`, Hosts: b.hosts }));
  return (
    <Card withBorder component="section" aria-label={`Hosts by ${title} used`}>
      <Text fw={600} mb="xs">
        Hosts by {title} used
      </Text>
      <BarChart
        h={160}
        data={data}
        dataKey="share"
        series={[{ name: "Hosts", color: "blue.6" }]}
        withTooltip={false}
        gridAxis="y"
        barChartProps={{ accessibilityLayer: false }}
        aria-hidden
      />
      <Text size="xs" c="dimmed">
        {buckets
          .filter((b) => b.hosts > 0)
          .map((b) => `${formatAmount(b.hosts)} ${b.hosts === 1 ? "host" : "hosts"} at ${b.from}–${b.to}%`)
          .join("; ") || "No hosts."}
      </Text>
    </Card>
  );
}

/** The inventory's totals, for every host the filters leave (not only the page shown). */
export function HostTotals({ summary }: { summary: Summary }) {
  return (
    <Card withBorder component="section" aria-label="Host totals" py="xs">
      <Group gap="xl">
        <Figure label="Hosts" value={formatAmount(summary.hosts)} />
        <Figure label="Up" value={formatAmount(summary.up)} />
        <Figure label="Down" value={formatAmount(summary.down)} />
        <Figure label="Disabled" value={formatAmount(summary.disabled)} />
        <Figure label="Instances" value={formatAmount(summary.instances)} />
        <Figure label="vCPUs used" value={used(summary.vcpus, "vCPUs")} />
        <Figure label="RAM used" value={used(summary.memoryMb, "MB")} />
        <Figure label="Disk used" value={used(summary.diskGb, "GB")} />
      </Group>
    </Card>
  );
}

/** How many hosts use each tenth of their vCPUs and of their RAM, over every host the filters leave. */
export function HostUsageHistograms({ summary }: { summary: Summary }) {
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      <UsageHistogram title="vCPUs" buckets={summary.vcpuUsage} />
      <UsageHistogram title="RAM" buckets={summary.ramUsage} />
    </SimpleGrid>
  );
}
