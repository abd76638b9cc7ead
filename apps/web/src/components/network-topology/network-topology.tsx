"use client";

import { Paper, ScrollArea, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { QueryStatus } from "@/components/common/query-status";
import { useTRPC } from "@/lib/trpc";
import { TopologyGraph } from "./topology-graph";
import { TopologyTable } from "./topology-table";

/**
 * The project's networks, routers and instances as a graph and as a table. Kept current by the
 * console's pushed changes (see LiveNetworkQueries): an instance, port, router or floating IP
 * that changes is redrawn without a reload.
 */
export function NetworkTopology({ projectName }: { projectName: string }) {
  const trpc = useTRPC();
  const topology = useQuery(trpc.networks.topology.queryOptions());
  return (
    <Stack>
      <QueryStatus query={topology} loadingLabel="Loading the network topology" errorTitle="Could not load the network topology" />
      {topology.isSuccess &&
        (topology.data.networks.length === 0 && topology.data.routers.length === 0 && topology.data.instances.length === 0 ? (
          <Text c="dimmed">No networks, routers or instances yet.</Text>
        ) : (
          <>
            <Paper withBorder p="xs">
              <ScrollArea type="auto">
                <TopologyGraph graph={topology.data} label={`Network topology of project ${projectName}`} />
              </ScrollArea>
            </Paper>
            <section aria-labelledby="topology-table-title">
              <Title order={2} size="h4" id="topology-table-title" mb="xs">
                Resources and connections
              </Title>
              <Paper withBorder>
                <TopologyTable graph={topology.data} />
              </Paper>
            </section>
          </>
        ))}
    </Stack>
  );
}
