"use client";

import { Alert, Loader, Paper } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { EmptyState } from "@/components/common/empty-state";
import type { Host } from "@/lib/api-types";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { DisableHostModal } from "./disable-host-modal";
import { EditHostModal } from "./edit-host-modal";
import { EvacuateHostModal } from "./evacuate-host-modal";
import { HostInventoryTable } from "./host-inventory-table";
import { HostUsageCharts } from "./host-usage-charts";

/** The admin's host inventory, refreshed when a host or an instance changes. */
export function HostInventory() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hosts = useQuery(trpc.hosts.list.queryOptions());
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

  if (hosts.isPending) return <Loader aria-label="Loading hosts" />;
  if (hosts.isError) {
    return (
      <Alert color="red" title="Could not load the hosts">
        {toFormError(hosts.error).message}
      </Alert>
    );
  }
  if (hosts.data.length === 0) {
    return <EmptyState>No compute hosts have registered yet. Start a compute agent to add one.</EmptyState>;
  }
  return (
    <>
      <HostUsageCharts hosts={hosts.data} />
      {enable.isError && (
        <Alert color="red" title="Could not enable the host" withCloseButton closeButtonLabel="Dismiss" onClose={() => enable.reset()}>
          {toFormError(enable.error).message}
        </Alert>
      )}
      <Paper withBorder>
        <HostInventoryTable
          hosts={hosts.data}
          onSetEnabled={setEnabled}
          onEdit={setEditing}
          onEvacuate={setEvacuating}
          pendingHostId={enable.isPending ? (enable.variables?.id ?? null) : null}
        />
      </Paper>
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
