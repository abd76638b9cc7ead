"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
import { applyChange, upsertEvent } from "./live-instance";

/**
 * An instance with its actions and events, kept current by the socket: each pushed event is
 * upserted by id at once, and each status change patches the instance and refetches it (for
 * what the push does not carry: fault, launch time, addresses, the action an event belongs to).
 */
export function useLiveInstance(id: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const queryKey = trpc.instances.get.queryKey({ id });
  const query = useQuery(trpc.instances.get.queryOptions({ id }));

  useSocketEvent("instance.event", (event) => {
    if (event.instanceId !== id) return;
    queryClient.setQueryData(queryKey, (detail) => (detail ? upsertEvent(detail, event) : detail));
  });
  useSocketEvent("instance.changed", (change) => {
    if (change.id !== id) return;
    queryClient.setQueryData(queryKey, (detail) => (detail ? applyChange(detail, change) : detail));
    void queryClient.invalidateQueries({ queryKey });
  });
  return query;
}
