"use client";

import { Button, Group, Paper, Stack } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { EmptyState } from "@/components/common/empty-state";
import { QueryStatus } from "@/components/common/query-status";
import { canManageInstances, useSession } from "@/components/session/session-context";
import { useTRPC } from "@/lib/trpc";
import { useConfirmDelete } from "@/lib/use-confirm-delete";
import { CreateImageDialog } from "./create-image-dialog";
import { QuotaDonuts } from "@/components/quota/quota-donuts";
import { IMAGE_QUOTA_RESOURCES } from "@/lib/quota";
import { ImageShares } from "./image-shares";
import type { ImageSummary } from "./image-display";
import { ImagesTable } from "./images-table";
import { ShareImageDialog } from "./share-image-dialog";

/** While an upload runs elsewhere (another tab, a script, a host's snapshot), the list follows it to active or killed. */
const SAVING_REFRESH_MS = 2_000;

/** An image whose bits are on their way: being uploaded, or a snapshot a host is still taking (queued until its upload begins). */
const arriving = (image: ImageSummary) => image.status === "saving" || (image.status === "queued" && image.properties.image_type === "snapshot");

/** The project's images page: its image quota, the table, create-and-upload, share and delete, and the images offered to it. */
export function Images() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const principal = useSession();
  const canManage = canManageInstances(principal);
  const images = useQuery({
    ...trpc.images.list.queryOptions(),
    refetchInterval: (query) => (query.state.data?.some(arriving) ? SAVING_REFRESH_MS : false),
  });
  const [creating, setCreating] = useState(false);
  const [toShare, setToShare] = useState<ImageSummary | null>(null);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.images.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.catalog.images.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.quota.usage.queryKey() });
  };

  const remove = useConfirmDelete(
    trpc.images.delete.mutationOptions({ onSuccess: refresh }),
    (i: ImageSummary) => ({ id: i.id }),
    (i) => `Image ${i.name} deleted.`,
  );

  return (
    <Stack>
      <QuotaDonuts resources={IMAGE_QUOTA_RESOURCES} what="the image quota" />
      {canManage && (
        <Group>
          <Button onClick={() => setCreating(true)}>Create image</Button>
        </Group>
      )}
      <QueryStatus query={images} loadingLabel="Loading images" errorTitle="Could not load the images" />
      {images.isSuccess &&
        (images.data.length === 0 ? (
          <EmptyState>No images yet.</EmptyState>
        ) : (
          <Paper withBorder>
            <ImagesTable images={images.data} onDelete={canManage ? remove.ask : undefined} onShare={canManage ? setToShare : undefined} />
          </Paper>
        ))}
      {canManage && (
        <CreateImageDialog
          opened={creating}
          images={images.data ?? []}
          isAdmin={principal.isAdmin}
          onClose={() => setCreating(false)}
          onChanged={refresh}
        />
      )}
      <ImageShares onChanged={refresh} />
      <ShareImageDialog image={toShare} onClose={() => setToShare(null)} onChanged={refresh} />
      <ConfirmDeleteModal {...remove.modal} title={(i) => `Delete image ${i.name}?`} errorTitle="Could not delete the image">
        {(i) =>
          i.status === "active"
            ? "Its data leaves the image store. Instances already built from it keep running on their hosts' cached copy; new instances can no longer use it. This cannot be undone."
            : "The image has no usable data. This cannot be undone."
        }
      </ConfirmDeleteModal>
    </Stack>
  );
}
