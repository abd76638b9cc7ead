"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { usePathname, useRouter } from "next/navigation";
import { useTRPC } from "@/lib/trpc";

/** Pages that show one thing of a project (an instance, a launch in progress): they mean nothing in another. */
function belongsToOneProject(pathname: string): boolean {
  return /^\/project\/instances\/.+/.test(pathname);
}

/**
 * Re-scopes the session to another project. The new principal replaces whoami's answer, which
 * changes the socket's session key (the socket reconnects and joins the new project's room);
 * every other cached answer belonged to the old project, so all of them are reset and the
 * queries on screen load again. A page about one thing of the old project goes back to its list.
 */
export function useSwitchProject() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const pathname = usePathname();
  const whoamiKey = trpc.auth.whoami.queryKey();
  return useMutation(
    trpc.auth.switchProject.mutationOptions({
      onSuccess: async (principal) => {
        queryClient.setQueryData(whoamiKey, principal);
        if (belongsToOneProject(pathname)) router.push("/project/instances");
        await queryClient.resetQueries({ predicate: (query) => JSON.stringify(query.queryKey) !== JSON.stringify(whoamiKey) });
        void queryClient.invalidateQueries({ queryKey: whoamiKey });
      },
    }),
  );
}
