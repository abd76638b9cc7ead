"use client";

import { Alert, Loader, Paper, Stack, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSession } from "@/components/session/session-context";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { CreateUserForm } from "./create-user-form";
import { UsersTable } from "./users-table";

/**
 * The users of the cloud and their roles. Disabling a user or removing a role takes effect at
 * once: sessions and API tokens stop working and live connections are dropped.
 */
export function Users() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const principal = useSession();
  const users = useQuery(trpc.users.list.queryOptions());
  const projects = useQuery(trpc.projects.list.queryOptions());
  const [pendingUserId, setPendingUserId] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ userId: string; message: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  /** Every change concerns one user: its refusal shows in that user's row. */
  const track = <V,>(userOf: (variables: V) => string) => ({
    onMutate: (variables: V) => {
      setPendingUserId(userOf(variables));
      setFailure(null);
      setNotice(null);
    },
    onError: (error: unknown, variables: V) => setFailure({ userId: userOf(variables), message: toFormError(error).message }),
    onSettled: () => {
      setPendingUserId(null);
      refresh();
    },
  });
  const nameOf = (id: string) => users.data?.find((u) => u.id === id)?.name ?? "The user";
  const setEnabled = useMutation(trpc.users.setEnabled.mutationOptions(track((v) => v.id)));
  const unlock = useMutation(
    trpc.users.unlock.mutationOptions({
      ...track<{ id: string }>((v) => v.id),
      onSuccess: ({ id }) => setNotice(`${nameOf(id)} can sign in again: earlier failed attempts no longer count.`),
    }),
  );
  const assignRole = useMutation(trpc.roles.assign.mutationOptions(track((v) => v.userId)));
  const removeRole = useMutation(trpc.roles.remove.mutationOptions(track((v) => v.userId)));

  const loadError = users.error ?? projects.error;
  if (loadError) {
    return (
      <Alert color="red" title="Could not load the users">
        {toFormError(loadError).message}
      </Alert>
    );
  }
  if (!users.data || !projects.data) return <Loader aria-label="Loading users" />;

  return (
    <Stack>
      {notice && (
        <Alert color="green" role="status" withCloseButton closeButtonLabel="Dismiss" onClose={() => setNotice(null)}>
          {notice}
        </Alert>
      )}
      <Text size="sm" c="dimmed">
        Disabling a user or removing a role signs them out at once; disabling also revokes their API tokens.
      </Text>
      <Paper withBorder>
        <UsersTable
          users={users.data}
          projects={projects.data}
          currentUserId={principal.userId}
          pendingUserId={pendingUserId}
          error={failure}
          onSetEnabled={(user, enabled) => setEnabled.mutate({ id: user.id, enabled })}
          onUnlock={(user) => unlock.mutate({ id: user.id })}
          onAssignRole={(user, projectId, role) => assignRole.mutate({ userId: user.id, projectId, role })}
          onRemoveRole={(user, role) => removeRole.mutate({ userId: user.id, projectId: role.projectId })}
        />
      </Paper>
      <CreateUserForm projects={projects.data} />
    </Stack>
  );
}
