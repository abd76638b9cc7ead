"use client";

import { Badge, createTheme, Drawer, MantineProvider, Modal } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import type { AppRouter } from "@/server/trpc/router";
import { RouteAnnouncerLiveRegion } from "@/components/a11y/route-announcer-live-region";
import { TRPCProvider } from "@/lib/trpc";
import { noteDatabaseAway } from "@/lib/database-reachability";
import { isClientError, isDatabaseAway, isUnauthenticated } from "@/lib/trpc-error";

/** While the database is away, a query asks again this often at most (doubling from 0.5 s). */
const MAX_RETRY_DELAY_MS = 5_000;

const theme = createTheme({
  primaryColor: "blue",
  // Filled buttons and badges in shade 8: white text on shade 6 is below WCAG AA contrast.
  primaryShade: 8,
  defaultRadius: "md",
  components: {
    // Every dialog's ✕ says what it does to a screen reader.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { "aria-label": "Close dialog" } } }),
    // A badge is a word or two: a table column may not squeeze it to "ER…".
    Badge: Badge.extend({ styles: { root: { minWidth: "max-content", flexShrink: 0 } } }),
    Drawer: Drawer.extend({ defaultProps: { closeButtonProps: { "aria-label": "Close panel" } } }),
  },
});

function makeQueryClient(): QueryClient {
  // A request refused for lack of a session (it expired, or was revoked elsewhere) sends the
  // console back to sign-in: re-asking whoami makes the session gate redirect.
  const onError = (error: unknown) => {
    if (isUnauthenticated(error)) void client.invalidateQueries({ queryKey: [["auth", "whoami"]] });
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        // Live updates arrive on the socket; nothing polls, and focus does not refetch.
        refetchInterval: false,
        refetchOnWindowFocus: false,
        // Refetch when a page mounts: socket events only refresh the queries of the page on screen.
        staleTime: 0,
        // A database restart is waited out (the shell says "Reconnecting…"); other failures are asked twice more.
        retry: (failures, error) => isDatabaseAway(error) || (!isClientError(error) && failures < 2),
        retryDelay: (failures) => Math.min(MAX_RETRY_DELAY_MS, 500 * 2 ** failures),
      },
    },
  });
  // Every attempt's outcome, retries included, says whether the database is reachable.
  client.getQueryCache().subscribe((event) => {
    if (event.type !== "updated") return;
    if (event.action.type === "failed") noteDatabaseAway(isDatabaseAway(event.action.error));
    if (event.action.type === "success") noteDatabaseAway(false);
  });
  return client;
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: "/api/trpc", transformer: superjson })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <MantineProvider theme={theme} defaultColorScheme="light">
          <RouteAnnouncerLiveRegion />
          <Notifications position="bottom-right" />
          {children}
        </MantineProvider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
