"use client";

import { BarChart } from "@mantine/charts";
import { Alert, Card, ColorSwatch, Group, Loader, Text } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { ResourceImpact } from "./launch-impact";
import { quotaProblem } from "./launch-impact";

interface Shares {
  /** In use before the launch. */
  used: number;
  /** The part of this launch that fits under the limit. */
  launch: number;
  /** The part of this launch beyond the limit (what the server would refuse). */
  over: number;
  /** Left after the launch. */
  free: number;
}

/** Shares of the limit (100 = the limit) per part; null without a limit. Past the limit, bars run beyond 100. */
function shares({ limit, used, requested }: ResourceImpact): Shares | null {
  if (limit < 0) return null;
  if (limit === 0) return { used: 0, launch: 0, over: requested > 0 ? 100 : 0, free: requested > 0 ? 0 : 100 };
  const usedPct = (used / limit) * 100;
  const room = Math.max(0, 100 - usedPct);
  const requestedPct = (requested / limit) * 100;
  const launch = Math.min(requestedPct, room);
  return { used: round(usedPct), launch: round(launch), over: round(requestedPct - launch), free: round(room - launch) };
}
const round = (n: number) => Math.round(n * 10) / 10;

const SERIES = [
  { name: "Used", color: "blue.6" },
  { name: "This launch", color: "teal.5" },
  { name: "Over quota", color: "red.6" },
  { name: "Free", color: "gray.3" },
] as const;

/** The chart's key, in the order the bars are stacked; "Over quota" only when something is over. */
function Legend({ withOver }: { withOver: boolean }) {
  return (
    <Group gap="md" justify="center" mt={4} aria-hidden>
      {SERIES.filter((s) => withOver || s.name !== "Over quota").map((s) => (
        <Group key={s.name} gap={6} wrap="nowrap">
          <ColorSwatch color={`var(--mantine-color-${s.color.replace(".", "-")})`} size={10} withShadow={false} />
          <Text size="xs">{s.name}</Text>
        </Group>
      ))}
    </Group>
  );
}

const isOver = (impact: ResourceImpact) => impact.freeAfter !== null && impact.freeAfter < 0;

/** The figures behind the bars, a row per resource. */
const FIGURE_COLUMNS: DataTableColumn<ResourceImpact>[] = [
  { key: "resource", header: "Resource", cell: ({ spec }) => spec.label },
  { key: "limit", header: "Limit", align: "right", cell: ({ spec, limit }) => (limit < 0 ? "none" : spec.amount(limit)) },
  { key: "used", header: "Used", align: "right", cell: ({ spec, used }) => spec.amount(used) },
  { key: "launch", header: "Launch", align: "right", cell: ({ spec, requested }) => `+${spec.amount(requested)}` },
  {
    key: "freeAfter",
    header: "Free after",
    align: "right",
    cellProps: (impact) => (isOver(impact) ? { c: "red", fw: 700 } : {}),
    cell: ({ spec, freeAfter }) => (freeAfter === null ? "no limit" : freeAfter < 0 ? `${spec.amount(-freeAfter)} over` : spec.amount(freeAfter)),
  },
];

/** The chart in words, for screen readers (the bars themselves are hidden from them). */
function describeImpacts(impacts: ResourceImpact[]): string {
  return impacts
    .map((impact) => {
      const { spec, limit, used, requested, freeAfter } = impact;
      if (limit < 0) return `${spec.label}: ${spec.format(used)} used, this launch ${spec.format(requested)}, no limit`;
      const after = freeAfter !== null && freeAfter < 0 ? `${spec.format(-freeAfter)} over the limit` : `${spec.format(freeAfter ?? 0)} free after`;
      return `${spec.label}: ${spec.format(used)} used, this launch ${spec.format(requested)}, ${after} (limit ${spec.format(limit)})`;
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
  const widest = Math.max(100, ...limited.map(({ shares: s }) => s.used + s.launch + s.over + s.free));
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
            xAxisProps={{ domain: [0, Math.ceil(widest / 25) * 25] }}
            valueFormatter={(v) => `${v}%`}
            gridAxis="none"
            referenceLines={widest > 100 ? [{ x: 100, color: "red.6", label: "limit", labelPosition: "top" }] : []}
            series={SERIES.map((s) => ({ ...s }))}
            aria-hidden
          />
          <Legend withOver={limited.some(({ shares: s }) => s.over > 0)} />
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
