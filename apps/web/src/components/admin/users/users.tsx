"use client";

import { Alert, Loader, Paper, Stack, Text } from "@mantine/core";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSession } from "@/components/session/session-context";
import { ListFilters, NO_LIST_FILTERS } from "@/components/common/list-filters";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { useKeysetPages } from "@/lib/use-keyset-pages";
import { toFormError } from "@/lib/trpc-error";
import { CreateUserForm } from "./create-user-form";
import { UsersTable } from "./users-table";

/** Horizon's page size. */
const PAGE_SIZE = 20;
const STATUSES = [
  { value: "enabled", label: "Enabled" },
  { value: "disabled", label: "Disabled" },
] as const;

/**
 * The users of the cloud and their roles. Disabling a user or removing a role takes effect at
 * once: sessions and API tokens stop working and live connections are dropped.
 */
export function Users() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const principal = useSession();
  const client = useTRPCClient();
  const pages = useKeysetPages(NO_LIST_FILTERS);
  const sort = pages.sortInput(["name"] as const);
  const input = {
    ...(sort && { sort: sort.key, direction: sort.direction }),
    ...(pages.filters.name.trim() && { nameContains: pages.filters.name.trim() }),
    ...(pages.filters.status && { enabled: pages.filters.status === "enabled" }),
    limit: PAGE_SIZE,
    ...(pages.cursor && { cursor: pages.cursor }),
  };
  // Keyed under users.list, so a change that refreshes the list refreshes the page shown.
  const users = useQuery({
    queryKey: [...trpc.users.list.pathKey(), { input, type: "query", view: "page" }],
    queryFn: () => client.users.page.query(input),
    placeholderData: keepPreviousData,
  });
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
  const nameOf = (id: string) => users.data?.items.find((u) => u.id === id)?.name ?? "The user";
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
      <ListFilters what="users" statuses={STATUSES} onChange={pages.setFilters} />
      <Paper withBorder>
        <UsersTable
          users={users.data.items}
          paged={{
            sort: pages.sort,
            onSortChange: pages.setSort,
            pagination: pages.pagination(users.data, PAGE_SIZE, "Users"),
            emptyMessage: pages.filters.name.trim() || pages.filters.status ? "No users match these filters." : "No users yet.",
          }}
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
