"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";

/**
 * Keeps every page's view of the project's networks current: a pushed change of a network,
 * subnet, router or floating IP refetches what shows them (networks, ports, routers, floating
 * IPs, the topology), and an instance's change refetches the ports and the topology (ports come
 * and go with instances). Only queries a page shows are fetched again.
 */
export function LiveNetworkQueries() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  useSocketEvent("network.changed", () => {
    for (const queryKey of [
      trpc.networks.list.queryKey(),
      trpc.networks.topology.queryKey(),
      trpc.ports.list.queryKey(),
      trpc.routers.list.queryKey(),
      trpc.floatingIps.list.queryKey(),
    ]) {
      void queryClient.invalidateQueries({ queryKey });
    }
  });
  useSocketEvent("instance.changed", () => {
    void queryClient.invalidateQueries({ queryKey: trpc.ports.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.networks.topology.queryKey() });
  });
  return null;
}
