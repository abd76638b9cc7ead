"use client";

import { BarChart } from "@mantine/charts";
import { Alert, Card, ColorSwatch, Group, Loader, Text } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { ResourceImpact } from "./launch-impact";
import { quotaProblem } from "./launch-impact";
import { OVER_SHOWN, shares } from "./quota-shares";
import { figuresOf } from "@/lib/quota";

const SERIES = [
  { name: "Used", color: "blue.6" },
  { name: "This launch", color: "teal.5" },
  { name: "Over quota", color: "red.6" },
  { name: "Free", color: "gray.3" },
] as const;

/** The chart's key, in the order the bars are stacked; "Over quota" and the limit line only when something is over. */
function Legend({ withOver }: { withOver: boolean }) {
  return (
    <Group gap="md" justify="center" mt={4} aria-hidden>
      {SERIES.filter((s) => withOver || s.name !== "Over quota").map((s) => (
        <Group key={s.name} gap={6} wrap="nowrap">
          <ColorSwatch color={`var(--mantine-color-${s.color.replace(".", "-")})`} size={10} withShadow={false} />
          <Text size="xs">{s.name}</Text>
        </Group>
      ))}
      {withOver && (
        <Group gap={6} wrap="nowrap">
          <span style={{ display: "inline-block", width: 2, height: 12, background: "var(--mantine-color-red-6)" }} />
          <Text size="xs">Limit</Text>
        </Group>
      )}
    </Group>
  );
}

const isOver = (impact: ResourceImpact) => impact.freeAfter !== null && impact.freeAfter < 0;

/** A row's figures in one unit (RAM: all in GB, or all in MB). */
const figuresOfRow = ({ spec, limit, used, requested, freeAfter }: ResourceImpact) =>
  figuresOf(spec, [Math.max(limit, 0), used, requested, Math.abs(freeAfter ?? 0)]);

/** The figures behind the bars, a row per resource. */
const FIGURE_COLUMNS: DataTableColumn<ResourceImpact>[] = [
  { key: "resource", header: "Resource", cell: ({ spec }) => spec.label },
  { key: "limit", header: "Limit", align: "right", cell: (impact) => (impact.limit < 0 ? "none" : figuresOfRow(impact).amount(impact.limit)) },
  { key: "used", header: "Used", align: "right", cell: (impact) => figuresOfRow(impact).amount(impact.used) },
  { key: "launch", header: "Launch", align: "right", cell: (impact) => `+${figuresOfRow(impact).amount(impact.requested)}` },
  {
    key: "freeAfter",
    header: "Free after",
    align: "right",
    cellProps: (impact) => (isOver(impact) ? { c: "red", fw: 700 } : {}),
    cell: (impact) => {
      const { freeAfter } = impact;
      const { amount } = figuresOfRow(impact);
      return freeAfter === null ? "no limit" : freeAfter < 0 ? `${amount(-freeAfter)} over` : amount(freeAfter);
    },
  },
];

/** The chart in words, for screen readers (the bars themselves are hidden from them). */
function describeImpacts(impacts: ResourceImpact[]): string {
  return impacts
    .map((impact) => {
      const { spec, limit, used, requested, freeAfter } = impact;
      const { format } = figuresOfRow(impact);
      if (limit < 0) return `${spec.label}: ${format(used)} used, this launch ${format(requested)}, no limit`;
      const after = freeAfter !== null && freeAfter < 0 ? `${format(-freeAfter)} over the limit` : `${format(freeAfter ?? 0)} free after`;
      return `${spec.label}: ${format(used)} used, this launch ${format(requested)}, ${after} (limit ${format(limit)})`;
    })
    .join("; ");
}

/**
 * The side panel of the launch wizard: how much of the project's quota is used, what this
 * launch (flavor × count) adds, and what stays free — as a stacked bar per resource and in figures.
 * A launch that does not fit shows its excess in red, beyond the limit line.
 */
export function LaunchQuotaPanel({ impacts, flavorChosen }: { impacts: ResourceImpact[] | null; flavorChosen: boolean }) {
  if (!impacts) {
    return (
      <Card withBorder>
        <Loader size="sm" aria-label="Loading quota" />
      </Card>
    );
  }
  const limited = impacts.flatMap((impact) => {
    const s = shares(impact);
    return s ? [{ impact, shares: s }] : [];
  });
  const chartData = limited.map(({ impact, shares: s }) => ({
    resource: impact.spec.label,
    Used: s.used,
    "This launch": s.launch,
    "Over quota": s.over,
    Free: s.free,
  }));
  const anyOver = limited.some(({ shares: s }) => s.over > 0);
  const unlimited = impacts.filter((impact) => impact.limit < 0);
  const problem = quotaProblem(impacts);
  return (
    <Card withBorder component="section" aria-label="Quota impact">
      <Text fw={600}>Quota impact</Text>
      <Text size="xs" c="dimmed" mb="sm">
        {flavorChosen ? "Share of each limit: in use, taken by this launch, and left free." : "Choose a flavor to see its vCPUs and RAM."}
      </Text>
      {chartData.length > 0 && (
        <div role="img" aria-label={`Quota impact chart. ${describeImpacts(impacts)}.`}>
          <BarChart
            h={30 + 40 * chartData.length}
            data={chartData}
            dataKey="resource"
            orientation="vertical"
            type="stacked"
            yAxisProps={{ width: 70 }}
            // The axis is the share of each limit; an excess shows past 100 %, never stretching the axis.
            xAxisProps={{ type: "number", domain: [0, anyOver ? 100 + OVER_SHOWN : 100], ticks: [0, 50, 100], allowDataOverflow: true }}
            valueFormatter={(v) => `${v}%`}
            gridAxis="none"
            withTooltip={false}
            referenceLines={anyOver ? [{ x: 100, color: "red.6" }] : []}
            series={SERIES.map((s) => ({ ...s }))}
            // Not a focusable "application": the figures are in the description and the table.
            barChartProps={{ accessibilityLayer: false }}
            aria-hidden
          />
          <Legend withOver={anyOver} />
        </div>
      )}
      {unlimited.length > 0 && (
        <Text size="xs" c="dimmed">
          No limit on {unlimited.map((i) => i.spec.label).join(" and ")}.
        </Text>
      )}
      <DataTable
        mt="sm"
        fz="xs"
        verticalSpacing={4}
        horizontalSpacing={6}
        highlightOnHover={false}
        style={{ whiteSpace: "nowrap" }}
        aria-label="Quota figures"
        columns={FIGURE_COLUMNS}
        rows={impacts}
        rowKey={(impact) => impact.spec.key}
      />
      {problem && (
        <Alert color="orange" variant="light" mt="sm" title="Over quota" role="status">
          {problem}
        </Alert>
      )}
    </Card>
  );
}
