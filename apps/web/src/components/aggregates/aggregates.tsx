"use client";

import { Alert, Paper, Stack } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { EmptyState } from "@/components/common/empty-state";
import { QueryStatus } from "@/components/common/query-status";
import type { Aggregate } from "@/lib/api-types";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { useConfirmDelete } from "@/lib/use-confirm-delete";
import { AggregatesTable } from "./aggregates-table";
import { CreateAggregateForm } from "./create-aggregate-form";

/** The admin's host aggregates and availability zones, with their hosts. */
export function Aggregates() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const aggregates = useQuery(trpc.aggregates.list.queryOptions());
  const hosts = useQuery(trpc.hosts.list.queryOptions());
  const projects = useQuery(trpc.projects.list.queryOptions());
  const projectNames = new Map((projects.data ?? []).map((p) => [p.id, p.name]));

  // Membership decides each host's zone, and the zones users may choose.
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.aggregates.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.catalog.availabilityZones.queryKey() });
  };
  useSocketEvent("host.changed", () => {
    void queryClient.invalidateQueries({ queryKey: trpc.aggregates.list.queryKey() });
  });

  const addHost = useMutation(trpc.aggregates.addHost.mutationOptions({ onSuccess: refresh }));
  const removeHost = useMutation(trpc.aggregates.removeHost.mutationOptions({ onSuccess: refresh }));
  const remove = useConfirmDelete(
    trpc.aggregates.delete.mutationOptions({ onSuccess: refresh }),
    (a: Aggregate) => ({ id: a.id }),
    (a) => `Aggregate ${a.name} deleted.`,
  );

  const membershipError = addHost.error ?? removeHost.error;
  const pendingAggregateId = addHost.isPending ? addHost.variables.aggregateId : removeHost.isPending ? removeHost.variables.aggregateId : null;

  return (
    <Stack>
      <QueryStatus query={aggregates} loadingLabel="Loading aggregates" errorTitle="Could not load the aggregates" />
      {membershipError && (
        <Alert
          color="red"
          title="Could not change the aggregate's hosts"
          withCloseButton
          closeButtonLabel="Dismiss"
          onClose={() => {
            addHost.reset();
            removeHost.reset();
          }}
        >
          {toFormError(membershipError).message}
        </Alert>
      )}
      {aggregates.isSuccess &&
        (aggregates.data.length === 0 ? (
          <EmptyState>No aggregates yet: every host is in the default zone.</EmptyState>
        ) : (
          <Paper withBorder>
            <AggregatesTable
              aggregates={aggregates.data}
              projectNames={projectNames}
              hosts={hosts.data ?? []}
              pendingAggregateId={pendingAggregateId}
              onAddHost={(aggregate, hostId) => {
                removeHost.reset();
                addHost.mutate({ aggregateId: aggregate.id, hostId });
              }}
              onRemoveHost={(aggregate, host) => {
                addHost.reset();
                removeHost.mutate({ aggregateId: aggregate.id, hostId: host.id });
              }}
              onDelete={remove.ask}
            />
          </Paper>
        ))}
      <CreateAggregateForm projects={projects.data ?? []} onCreated={refresh} />
      <ConfirmDeleteModal {...remove.modal} title={(a) => `Delete aggregate ${a.name}?`} errorTitle="Could not delete the aggregate">
        {(a) =>
          a.hosts.length > 0
            ? `Its ${a.hosts.length} ${a.hosts.length === 1 ? "host leaves" : "hosts leave"} the aggregate${a.availabilityZone ? ` and zone ${a.availabilityZone}` : ""}; instances on them keep running.`
            : "The aggregate has no hosts."
        }
      </ConfirmDeleteModal>
    </Stack>
  );
}
