"use client";

import { Paper, Stack } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { EmptyState } from "@/components/common/empty-state";
import { QueryStatus } from "@/components/common/query-status";
import { canManageInstances, useSession } from "@/components/session/session-context";
import type { ServerGroup } from "@/lib/api-types";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
import { useConfirmDelete } from "@/lib/use-confirm-delete";
import { CreateServerGroupForm } from "./create-server-group-form";
import { ServerGroupsTable } from "./server-groups-table";

/** The project's server groups; members change as instances are launched and deleted. */
export function ServerGroups() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const principal = useSession();
  const canManage = canManageInstances(principal);
  const groups = useQuery(trpc.serverGroups.list.queryOptions());
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.serverGroups.list.queryKey() });
  useSocketEvent("instance.changed", refresh);

  const remove = useConfirmDelete(
    trpc.serverGroups.delete.mutationOptions({ onSuccess: refresh }),
    (g: ServerGroup) => ({ id: g.id }),
    (g) => `Server group ${g.name} deleted.`,
  );

  return (
    <Stack>
      <QueryStatus query={groups} loadingLabel="Loading server groups" errorTitle="Could not load the server groups" />
      {groups.isSuccess &&
        (groups.data.length === 0 ? (
          <EmptyState>No server groups yet.</EmptyState>
        ) : (
          <Paper withBorder>
            <ServerGroupsTable groups={groups.data} onDelete={canManage ? remove.ask : undefined} />
          </Paper>
        ))}
      {canManage && <CreateServerGroupForm />}
      <ConfirmDeleteModal {...remove.modal} title={(g) => `Delete server group ${g.name}?`} errorTitle="Could not delete the server group">
        {(g) =>
          g.members.length > 0
            ? `Its ${g.members.length} ${g.members.length === 1 ? "member keeps running but leaves" : "members keep running but leave"} the group: later launches no longer take them into account.`
            : "The group has no members. This cannot be undone."
        }
      </ConfirmDeleteModal>
    </Stack>
  );
}
