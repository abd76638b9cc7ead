"use client";

import { Alert, Button, Group, Paper, Stack } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { EmptyState } from "@/components/common/empty-state";
import { QueryStatus } from "@/components/common/query-status";
import { canManageInstances, useSession } from "@/components/session/session-context";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
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

/** The project's volumes and volume quota; attachments change as instances are launched and deleted. */
export function Volumes() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canManage = canManageInstances(useSession());
  const volumes = useQuery(trpc.volumes.list.queryOptions());
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
      <QueryStatus query={volumes} loadingLabel="Loading volumes" errorTitle="Could not load the volumes" />
      {volumes.isSuccess &&
        (volumes.data.length === 0 ? (
          <EmptyState>No volumes yet.</EmptyState>
        ) : (
          <Paper withBorder>
            <VolumesTable volumes={volumes.data} onDelete={canManage ? remove.ask : undefined} />
          </Paper>
        ))}
      <CreateVolumeDialog opened={creating} onClose={() => setCreating(false)} onCreated={refresh} />
      <ConfirmDeleteModal {...remove.modal} title={(v) => `Delete volume ${v.name}?`} errorTitle="Could not delete the volume">
        {deleteConsequence}
      </ConfirmDeleteModal>
    </Stack>
  );
}
