"use client";

import { Button, Card, Group, Text } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { canManageInstances, useSession } from "@/components/session/session-context";
import type { InstanceDetail } from "@/lib/api-types";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { VncScreen } from "./vnc-screen";

/**
 * The instance's screen (Horizon's Console tab): opened on request, since each opening asks the
 * host for the display and spends a single-use console token. When there is no screen (a
 * simulated host, a guest not running), it says so as the server says it; a reader, who may
 * not type into a guest (Nova's remote-consoles policy is member or admin), is told why the
 * button is not there.
 */
export function GraphicalConsole({ instance, screen }: { instance: { id: string; name: string }; screen: InstanceDetail["graphicalConsole"] }) {
  const trpc = useTRPC();
  const principal = useSession();
  const open = useMutation(trpc.instances.remoteConsole.mutationOptions());
  const mayOpen = canManageInstances(principal);
  const openConsole = () => open.mutate({ id: instance.id, protocol: "vnc", type: "novnc" });

  return (
    <Card withBorder component="section" aria-label="Graphical console">
      <Group justify="space-between" mb="sm">
        <Text fw={600}>Graphical console</Text>
        {screen.available && mayOpen && !open.data && (
          <Button size="xs" onClick={openConsole} loading={open.isPending} aria-label={`Open the graphical console of ${instance.name}`}>
            Open console
          </Button>
        )}
      </Group>
      {!screen.available ? (
        <Text size="sm">{screen.says}</Text>
      ) : !mayOpen ? (
        <Text size="sm" c="dimmed">
          Your role in {principal.projectName} ({principal.role}) may look at the instance but not use its screen, which types into the guest.
        </Text>
      ) : open.isError ? (
        <Text size="sm" c="red" role="alert">
          {toFormError(open.error).message}
        </Text>
      ) : open.data ? (
        <VncScreen
          token={open.data.token}
          name={instance.name}
          actions={
            <Button
              size="xs"
              variant="default"
              onClick={openConsole}
              loading={open.isPending}
              aria-label={`Reconnect to the screen of ${instance.name}`}
            >
              Reconnect
            </Button>
          }
        />
      ) : (
        <Text size="sm" c="dimmed">
          The guest's screen, through the console proxy: keyboard and mouse go to the guest while the pointer is over it.
        </Text>
      )}
    </Card>
  );
}
