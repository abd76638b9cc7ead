"use client";

import { Alert, Group, Loader, Paper, Select, TextInput } from "@mantine/core";
import { useDebouncedCallback } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { EmptyState } from "@/components/common/empty-state";
import type { Host } from "@/lib/api-types";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { useKeysetPages } from "@/lib/use-keyset-pages";
import { toFormError } from "@/lib/trpc-error";
import { DisableHostModal } from "./disable-host-modal";
import { EditHostModal } from "./edit-host-modal";
import { EvacuateHostModal } from "./evacuate-host-modal";
import { HostInventoryTable } from "./host-inventory-table";
import { HostTotals, HostUsageHistograms } from "./host-summary";
import { HostUsageCharts } from "./host-usage-charts";

const PAGE_SIZE = 20;
const SORT_KEYS = ["name", "state", "freeVcpus", "freeRam"] as const;
type SortKey = (typeof SORT_KEYS)[number];
interface HostFilterValues {
  state: "" | "up" | "down";
  availabilityZone: string;
}

/** The filters as core's input: empty ones left out. */
function hostFilters(values: HostFilterValues) {
  return {
    ...(values.state && { state: values.state }),
    ...(values.availabilityZone.trim() && { availabilityZone: values.availabilityZone.trim() }),
  };
}

/**
 * The admin's host inventory a page at a time, sorted and filtered by the server, with totals and
 * usage histograms the database computes over every host the filters leave; refreshed when a
 * host or an instance changes.
 */
export function HostInventory() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const pages = useKeysetPages<HostFilterValues>({ state: "", availabilityZone: "" });
  const [zone, setZone] = useState("");
  const typedZone = useDebouncedCallback((availabilityZone: string) => pages.setFilters({ ...pages.filters, availabilityZone }), 250);
  const sortKey = pages.sort && SORT_KEYS.includes(pages.sort.key as SortKey) ? (pages.sort.key as SortKey) : undefined;
  const filters = hostFilters(pages.filters);
  const input = {
    ...filters,
    ...(sortKey && pages.sort ? { sort: sortKey, direction: pages.sort.direction } : {}),
    limit: PAGE_SIZE,
    ...(pages.cursor && { cursor: pages.cursor }),
  };
  // Keyed under hosts.list, so whatever refreshes the list (an enable, an aggregate) refreshes these.
  const hosts = useQuery({
    queryKey: [...trpc.hosts.list.pathKey(), { input, type: "query", view: "page" }],
    queryFn: () => client.hosts.page.query(input),
    placeholderData: keepPreviousData,
  });
  const summary = useQuery({
    queryKey: [...trpc.hosts.list.pathKey(), { input: filters, type: "query", view: "summary" }],
    queryFn: () => client.hosts.summary.query(filters),
    placeholderData: keepPreviousData,
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
  useSocketEvent("host.changed", refresh);
  useSocketEvent("instance.changed", refresh);

  const [disabling, setDisabling] = useState<Host | null>(null);
  const [editing, setEditing] = useState<Host | null>(null);
  const [evacuating, setEvacuating] = useState<Host | null>(null);
  const enable = useMutation(trpc.hosts.update.mutationOptions({ onSuccess: refresh }));

  function setEnabled(host: Host, enabled: boolean) {
    if (enabled) enable.mutate({ id: host.id, enabled: true });
    else setDisabling(host);
  }

  const filterControls = (
    <Group component="search" aria-label="Filter hosts" align="flex-end" gap="sm">
      <Select
        label="State"
        data={[
          { value: "", label: "Up or down" },
          { value: "up", label: "Up" },
          { value: "down", label: "Down" },
        ]}
        value={pages.filters.state}
        onChange={(v) => pages.setFilters({ ...pages.filters, state: (v ?? "") as HostFilterValues["state"] })}
        allowDeselect={false}
        w={160}
      />
      <TextInput
        label="Availability zone"
        placeholder="any zone"
        value={zone}
        onChange={(e) => {
          setZone(e.currentTarget.value);
          typedZone(e.currentTarget.value);
        }}
        w={200}
      />
    </Group>
  );
  if (hosts.isPending) return <Loader aria-label="Loading hosts" />;
  if (hosts.isError) {
    return (
      <Alert color="red" title="Could not load the hosts">
        {toFormError(hosts.error).message}
      </Alert>
    );
  }
  if (hosts.data.items.length === 0 && !hosts.data.prev && Object.keys(filters).length === 0) {
    return <EmptyState>No compute hosts have registered yet. Start a compute agent to add one.</EmptyState>;
  }
  return (
    <>
      {summary.data && <HostTotals summary={summary.data} />}
      {filterControls}
      {enable.isError && (
        <Alert color="red" title="Could not enable the host" withCloseButton closeButtonLabel="Dismiss" onClose={() => enable.reset()}>
          {toFormError(enable.error).message}
        </Alert>
      )}
      <Paper withBorder>
        <HostInventoryTable
          hosts={hosts.data.items}
          onSetEnabled={setEnabled}
          onEdit={setEditing}
          onEvacuate={setEvacuating}
          pendingHostId={enable.isPending ? (enable.variables?.id ?? null) : null}
          sort={pages.sort}
          onSortChange={pages.setSort}
          pagination={pages.pagination(hosts.data, PAGE_SIZE, "Hosts")}
        />
      </Paper>
      {/* Below the table, which stays in view: the shape of the whole inventory, then this page's hosts. */}
      {summary.data && <HostUsageHistograms summary={summary.data} />}
      <HostUsageCharts hosts={hosts.data.items} />
      <EvacuateHostModal host={evacuating} onClose={() => setEvacuating(null)} onDone={refresh} />
      <DisableHostModal host={disabling} onClose={() => setDisabling(null)} onDisabled={refresh} />
      <EditHostModal
        host={editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          refresh();
          setEditing(null);
        }}
      />
    </>
  );
}
