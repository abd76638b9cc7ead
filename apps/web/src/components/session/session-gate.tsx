"use client";

import { Alert, Button, Center, Loader, Stack } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";
import { loginPathFor } from "@/lib/safe-next-path";
import { SocketProvider } from "@/lib/socket/socket-provider";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { SessionProvider } from "./session-context";

/**
 * Renders the console only for a signed-in user: asks `auth.whoami`, sends a visitor without a
 * session to /login (which returns to the page asked for), and opens the session's socket once
 * the principal is known.
 */
export function SessionGate({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const whoami = useQuery(trpc.auth.whoami.queryOptions());
  const signedOut = whoami.isSuccess && whoami.data === null;

  useEffect(() => {
    if (signedOut) router.replace(loginPathFor(`${window.location.pathname}${window.location.search}`));
  }, [signedOut, router]);

  if (whoami.isError) {
    return (
      <Center h="100vh">
        <Stack>
          <Alert color="red" title="Nimbus is not answering">
            {toFormError(whoami.error).message}
          </Alert>
          <Button variant="light" onClick={() => void whoami.refetch()}>
            Try again
          </Button>
        </Stack>
      </Center>
    );
  }
  if (!whoami.data) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  const principal = whoami.data;
  return (
    <SessionProvider principal={principal}>
      <SocketProvider sessionKey={`${principal.userId}:${principal.projectId}`}>{children}</SocketProvider>
    </SessionProvider>
  );
}
