"use client";

import { BarChart } from "@mantine/charts";
import { Card, SimpleGrid, Text } from "@mantine/core";
import type { Host } from "@/lib/api-types";

function UsageChart({ title, unit, data }: { title: string; unit: string; data: { hostname: string; Used: number; Capacity: number }[] }) {
  return (
    <Card withBorder component="section" aria-label={`${title} used and capacity per host`}>
      <Text fw={600} mb="xs">
        {title}
      </Text>
      <BarChart
        h={200}
        data={data}
        dataKey="hostname"
        series={[
          { name: "Used", color: "blue.6" },
          { name: "Capacity", color: "gray.4" },
        ]}
        unit={unit}
        withLegend
        tickLine="y"
        maxBarWidth={40}
        aria-hidden
      />
    </Card>
  );
}

/** Used against capacity per host, for vCPUs and RAM: the shape of the cloud at a glance. */
export function HostUsageCharts({ hosts }: { hosts: Host[] }) {
  const vcpus = hosts.map((h) => ({ hostname: h.hostname, Used: h.vcpus.used, Capacity: h.vcpus.capacity }));
  const ram = hosts.map((h) => ({ hostname: h.hostname, Used: h.memoryMb.used, Capacity: h.memoryMb.capacity }));
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      <UsageChart title="vCPUs" unit="" data={vcpus} />
      <UsageChart title="RAM (MB)" unit="" data={ram} />
    </SimpleGrid>
  );
}
