"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTRPC } from "@/lib/trpc";

/** Revokes the session, forgets every cached answer and goes to /login (the socket closes with the gate). */
export function useSignOut() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation(
    trpc.auth.signOut.mutationOptions({
      onSettled: () => {
        queryClient.removeQueries();
        queryClient.setQueryData(trpc.auth.whoami.queryKey(), null);
        router.replace("/login");
      },
    }),
  );
}
