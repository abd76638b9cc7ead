"use client";

import { Alert, Loader, Paper, Text } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
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

  if (hosts.isPending) return <Loader aria-label="Loading hosts" />;
  if (hosts.isError) {
    return (
      <Alert color="red" title="Could not load the hosts">
        {toFormError(hosts.error).message}
      </Alert>
    );
  }
  if (hosts.data.length === 0) {
    return (
      <Paper withBorder p="xl">
        <Text ta="center" c="dimmed">
          No compute hosts have registered yet. Start a compute agent to add one.
        </Text>
      </Paper>
    );
  }
  return (
    <>
      <HostUsageCharts hosts={hosts.data} />
      <Paper withBorder>
        <HostInventoryTable hosts={hosts.data} />
      </Paper>
    </>
  );
}
