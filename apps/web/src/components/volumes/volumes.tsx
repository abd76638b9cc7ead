"use client";

import { Alert, Button, Group, Paper, Stack } from "@mantine/core";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { ListFilters, NO_LIST_FILTERS } from "@/components/common/list-filters";
import { QueryStatus } from "@/components/common/query-status";
import { canManageInstances, useSession } from "@/components/session/session-context";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { useKeysetPages } from "@/lib/use-keyset-pages";
import { useConfirmDelete } from "@/lib/use-confirm-delete";
import { CreateVolumeDialog } from "./create-volume-dialog";
import type { Volume } from "./types";
import { QuotaDonuts } from "@/components/quota/quota-donuts";
import { VOLUME_QUOTA_RESOURCES } from "@/lib/quota";
import { VolumesTable } from "./volumes-table";

/** What deleting does to this volume, in a sentence. */
function deleteConsequence(volume: Volume): string {
  if (volume.attachment)
    return `It is attached to instance ${volume.attachment.instanceName}, so it cannot be deleted until that instance is deleted.`;
  if (volume.host) return `Its data on host ${volume.host.hostname} is erased. This cannot be undone.`;
  return "It has no data yet (no instance has used it). This cannot be undone.";
}

/** Horizon's page size. */
const PAGE_SIZE = 20;
const STATUSES = (["available", "in-use", "creating", "reserved", "deleting", "error", "error_deleting"] as const).map((value) => ({
  value,
  label: value,
}));
type StatusFilter = (typeof STATUSES)[number]["value"];

/** The project's volumes and volume quota; attachments change as instances are launched and deleted. */
export function Volumes() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canManage = canManageInstances(useSession());
  const client = useTRPCClient();
  const pages = useKeysetPages(NO_LIST_FILTERS);
  const sort = pages.sortInput(["name"] as const);
  const input = {
    ...(sort && { sortKey: sort.key, sortDir: sort.direction }),
    ...(pages.filters.name.trim() && { nameContains: pages.filters.name.trim() }),
    ...(pages.filters.status && { status: pages.filters.status as StatusFilter }),
    limit: PAGE_SIZE,
    ...(pages.cursor && { cursor: pages.cursor }),
  };
  // Keyed under volumes.list, so whatever refreshes the list refreshes the page shown.
  const volumes = useQuery({
    queryKey: [...trpc.volumes.list.pathKey(), { input, type: "query", view: "page" }],
    queryFn: () => client.volumes.page.query(input),
    placeholderData: keepPreviousData,
  });
  const filtered = pages.filters.name.trim() !== "" || pages.filters.status !== "";
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.volumes.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.quota.usage.queryKey() });
  };
  useSocketEvent("instance.changed", refresh);

  const remove = useConfirmDelete(
    trpc.volumes.delete.mutationOptions({
      onSuccess: (result) => {
        refresh();
        setNotice(result.deleted ? null : result.message);
      },
    }),
    (v: Volume) => ({ id: v.id }),
    (v, result) => (result.deleted ? `Volume ${v.name} deleted.` : null),
  );

  return (
    <Stack>
      <QuotaDonuts resources={VOLUME_QUOTA_RESOURCES} what="the volume quota" />
      {canManage && (
        <Group>
          <Button onClick={() => setCreating(true)}>Create volume</Button>
        </Group>
      )}
      {notice && (
        <Alert
          color="orange"
          title="The volume could not be deleted completely"
          withCloseButton
          closeButtonLabel="Dismiss"
          onClose={() => setNotice(null)}
        >
          {notice}
        </Alert>
      )}
      <ListFilters what="volumes" statuses={STATUSES} onChange={pages.setFilters} />
      <QueryStatus query={volumes} loadingLabel="Loading volumes" errorTitle="Could not load the volumes" />
      {volumes.isSuccess && (
        <Paper withBorder>
          <VolumesTable
            volumes={volumes.data.items}
            paged={{
              sort: pages.sort,
              onSortChange: pages.setSort,
              pagination: pages.pagination(volumes.data, PAGE_SIZE, "Volumes"),
              emptyMessage: filtered ? "No volumes match these filters." : "No volumes yet.",
            }}
            onDelete={canManage ? remove.ask : undefined}
          />
        </Paper>
      )}
      <CreateVolumeDialog opened={creating} onClose={() => setCreating(false)} onCreated={refresh} />
      <ConfirmDeleteModal {...remove.modal} title={(v) => `Delete volume ${v.name}?`} errorTitle="Could not delete the volume">
        {deleteConsequence}
      </ConfirmDeleteModal>
    </Stack>
  );
}
