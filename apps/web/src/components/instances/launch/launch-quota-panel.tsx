"use client";

import { BarChart } from "@mantine/charts";
import { Alert, Card, Loader, Table, Text } from "@mantine/core";
import type { ResourceImpact } from "./launch-impact";
import { quotaProblem } from "./launch-impact";

/** Share of the limit (0–100) used now, taken by this launch, and left free; null without a limit. */
function shares({ limit, used, requested }: ResourceImpact) {
  if (limit < 0) return null;
  if (limit === 0) return { used: 0, launch: requested > 0 ? 100 : 0, free: requested > 0 ? 0 : 100 };
  const usedPct = Math.min(100, (used / limit) * 100);
  const launchPct = Math.min(100 - usedPct, (requested / limit) * 100);
  return { used: round(usedPct), launch: round(launchPct), free: round(Math.max(0, 100 - usedPct - launchPct)) };
}
const round = (n: number) => Math.round(n * 10) / 10;

/**
 * The side panel of the launch wizard: how much of the project's quota is used, what this
 * launch (flavor × count) adds, and what stays free — as a stacked bar per resource and in figures.
 */
export function LaunchQuotaPanel({ impacts, flavorChosen }: { impacts: ResourceImpact[] | null; flavorChosen: boolean }) {
  if (!impacts) {
    return (
      <Card withBorder>
        <Loader size="sm" aria-label="Loading quota" />
      </Card>
    );
  }
  const chartData = impacts.flatMap((impact) => {
    const s = shares(impact);
    return s ? [{ resource: impact.spec.label, Used: s.used, "This launch": s.launch, Free: s.free }] : [];
  });
  const problem = quotaProblem(impacts);
  return (
    <Card withBorder component="section" aria-label="Quota impact">
      <Text fw={600}>Quota impact</Text>
      <Text size="xs" c="dimmed" mb="sm">
        {flavorChosen ? "Share of each limit after this launch." : "Choose a flavor to see its vCPUs and RAM."}
      </Text>
      {chartData.length > 0 && (
        <BarChart
          h={150}
          data={chartData}
          dataKey="resource"
          orientation="vertical"
          type="stacked"
          yAxisProps={{ width: 70 }}
          xAxisProps={{ domain: [0, 100] }}
          valueFormatter={(v) => `${v}%`}
          gridAxis="none"
          withLegend
          legendProps={{ verticalAlign: "bottom", height: 30 }}
          series={[
            { name: "Used", color: "blue.6" },
            { name: "This launch", color: problem ? "red.6" : "teal.5" },
            { name: "Free", color: "gray.3" },
          ]}
          aria-hidden
        />
      )}
      <Table mt="sm" fz="xs" verticalSpacing={4} horizontalSpacing={6} style={{ whiteSpace: "nowrap" }}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Resource</Table.Th>
            <Table.Th ta="right">Limit</Table.Th>
            <Table.Th ta="right">Used</Table.Th>
            <Table.Th ta="right">Launch</Table.Th>
            <Table.Th ta="right">Free after</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {impacts.map(({ spec, limit, used, requested, freeAfter }) => {
            const amount = spec.key === "ram" ? spec.format : String;
            return (
              <Table.Tr key={spec.key}>
                <Table.Td>{spec.label}</Table.Td>
                <Table.Td ta="right">{limit < 0 ? "none" : amount(limit)}</Table.Td>
                <Table.Td ta="right">{amount(used)}</Table.Td>
                <Table.Td ta="right">+{amount(requested)}</Table.Td>
                <Table.Td ta="right" c={freeAfter !== null && freeAfter < 0 ? "red" : undefined} fw={freeAfter !== null && freeAfter < 0 ? 700 : undefined}>
                  {freeAfter === null ? "no limit" : freeAfter < 0 ? `${amount(-freeAfter)} over` : amount(freeAfter)}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      {problem && (
        <Alert color="orange" variant="light" mt="sm" title="Over quota" role="status">
          {problem}
        </Alert>
      )}
    </Card>
  );
}
