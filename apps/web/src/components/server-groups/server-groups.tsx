"use client";

import { Paper, Stack, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { QueryStatus } from "@/components/common/query-status";
import { canManageInstances, useSession } from "@/components/session/session-context";
import type { ServerGroup } from "@/lib/api-types";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { CreateServerGroupForm } from "./create-server-group-form";
import { ServerGroupsTable } from "./server-groups-table";

/** The project's server groups; members change as instances are launched and deleted. */
export function ServerGroups() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const principal = useSession();
  const canManage = canManageInstances(principal);
  const groups = useQuery(trpc.serverGroups.list.queryOptions());
  const [toDelete, setToDelete] = useState<ServerGroup | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.serverGroups.list.queryKey() });
  useSocketEvent("instance.changed", refresh);

  const remove = useMutation(
    trpc.serverGroups.delete.mutationOptions({
      onSuccess: () => {
        refresh();
        setToDelete(null);
      },
    }),
  );
  function closeDelete() {
    remove.reset();
    setToDelete(null);
  }

  return (
    <Stack>
      <QueryStatus query={groups} loadingLabel="Loading server groups" errorTitle="Could not load the server groups" />
      {groups.isSuccess &&
        (groups.data.length === 0 ? (
          <Paper withBorder p="xl">
            <Text ta="center" c="dimmed">
              No server groups yet.
            </Text>
          </Paper>
        ) : (
          <Paper withBorder>
            <ServerGroupsTable groups={groups.data} onDelete={canManage ? setToDelete : undefined} />
          </Paper>
        ))}
      {canManage && <CreateServerGroupForm />}
      <ConfirmDeleteModal
        target={toDelete}
        title={(g) => `Delete server group ${g.name}?`}
        pending={remove.isPending}
        error={remove.error ? toFormError(remove.error) : null}
        errorTitle="Could not delete the server group"
        onConfirm={(g) => remove.mutate({ id: g.id })}
        onClose={closeDelete}
      >
        {(g) =>
          g.members.length > 0
            ? `Its ${g.members.length} ${g.members.length === 1 ? "member keeps running but leaves" : "members keep running but leave"} the group: later launches no longer take them into account.`
            : "The group has no members. This cannot be undone."
        }
      </ConfirmDeleteModal>
    </Stack>
  );
}
