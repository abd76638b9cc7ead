import { Alert, Badge, Text } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { PlacementPreview } from "@/lib/api-types";

type Verdict = PlacementPreview["hosts"][number];

/**
 * What the scheduler would do: the explanation, the chosen host, and every host with the first
 * filter that refused it (or "Accepted" with its rank among the weighed hosts).
 */
export function PlacementPreviewResult({ preview }: { preview: PlacementPreview }) {
  const isChosen = (verdict: Verdict) => verdict.hostname === preview.chosen;
  /** 1 for the best of the weighed hosts; null for a host a filter refused. */
  const rankOf = (verdict: Verdict) => {
    const index = preview.ranking.indexOf(verdict.hostname);
    return index >= 0 ? index + 1 : null;
  };
  const columns: DataTableColumn<Verdict>[] = [
    {
      key: "host",
      header: "Host",
      sortValue: (v) => v.hostname,
      cellProps: (v) => ({ fw: isChosen(v) ? 700 : 500 }),
      cell: (v) => (
        <>
          {v.hostname}
          {isChosen(v) && (
            <>
              {" "}
              <Badge color="green" size="sm" ml={6}>
                Chosen
              </Badge>
            </>
          )}
        </>
      ),
    },
    { key: "rank", header: "Rank", cell: (v) => rankOf(v) ?? "—", sortValue: rankOf },
    {
      key: "verdict",
      header: "Verdict",
      cell: (v) =>
        v.rejectedBy === null ? (
          <Badge color="green" variant="light" tt="none">
            Accepted
          </Badge>
        ) : (
          <Badge color="red" variant="light" tt="none">
            {v.rejectedBy}
          </Badge>
        ),
    },
    {
      key: "reason",
      header: "Reason",
      cell: (v) => (
        <Text size="sm" c={v.reason ? undefined : "dimmed"}>
          {v.reason ?? "—"}
        </Text>
      ),
    },
  ];
  return (
    <>
      <Alert
        color={preview.chosen ? "green" : "red"}
        title={preview.chosen ? `${preview.flavor} would go to ${preview.chosen}` : `No host can take ${preview.flavor}`}
        role="status"
      >
        {preview.explanation}
      </Alert>
      <DataTable
        minWidth={600}
        verticalSpacing="xs"
        highlightOnHover={false}
        aria-label="Hosts considered"
        columns={columns}
        rows={preview.hosts}
        rowKey={(v) => v.hostname}
        empty={{ message: "No hosts were considered." }}
        rowProps={(v) => (isChosen(v) ? { bg: "var(--mantine-color-green-light)", "aria-current": "true" } : {})}
      />
    </>
  );
}
