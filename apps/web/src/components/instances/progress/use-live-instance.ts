"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
import { applyChange, upsertEvent } from "./live-instance";

/** While a task runs (a build, a delete), the page also asks again this often. */
const TASK_REFRESH_MS = 5_000;

/**
 * An instance with its actions and events, kept current by the socket: each pushed event is
 * upserted by id at once, and each status change patches the instance and refetches it (for
 * what the push does not carry: fault, launch time, addresses, the action an event belongs to).
 * While a task runs it is also fetched every few seconds, as Horizon polls: a push that came
 * before the page listened (between its fetch and its subscription) is not replayed.
 */
export function useLiveInstance(id: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const queryKey = trpc.instances.get.queryKey({ id });
  const query = useQuery({
    ...trpc.instances.get.queryOptions({ id }),
    refetchInterval: (q) => (q.state.data?.instance.taskState ? TASK_REFRESH_MS : false),
  });

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
