"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";

/** After a key pair is created, imported or deleted: the list, and the key pair quota's usage, are out of date. */
export function useRefreshKeyPairs(): () => void {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: trpc.keyPairs.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.quota.usage.queryKey() });
  };
}
