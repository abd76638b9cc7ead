"use client";

import { Button, Group, Paper, Stack } from "@mantine/core";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { ListFilters, NO_LIST_FILTERS } from "@/components/common/list-filters";
import { QueryStatus } from "@/components/common/query-status";
import { canManageInstances, useSession } from "@/components/session/session-context";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { useKeysetPages } from "@/lib/use-keyset-pages";
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

/** Horizon's page size. */
const PAGE_SIZE = 20;
/** The statuses the list filters by (deleted images are gone). */
const STATUSES = [
  { value: "active", label: "Active" },
  { value: "queued", label: "Queued" },
  { value: "saving", label: "Saving" },
  { value: "killed", label: "Killed" },
] as const;
type StatusFilter = (typeof STATUSES)[number]["value"];

/** The project's images page: its image quota, the table, create-and-upload, share and delete, and the images offered to it. */
export function Images() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const principal = useSession();
  const canManage = canManageInstances(principal);
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
  // Keyed under images.list, so whatever refreshes the list refreshes the page shown.
  const images = useQuery({
    queryKey: [...trpc.images.list.pathKey(), { input, type: "query", view: "page" }],
    queryFn: () => client.images.page.query(input),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.items.some(arriving) ? SAVING_REFRESH_MS : false),
  });
  const [creating, setCreating] = useState(false);
  // The kernels and ramdisks the create form offers: read when it opens.
  const choices = useQuery({ ...trpc.images.list.queryOptions(), enabled: creating });
  const filtered = pages.filters.name.trim() !== "" || pages.filters.status !== "";
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
      <ListFilters what="images" statuses={STATUSES} onChange={pages.setFilters} />
      <QueryStatus query={images} loadingLabel="Loading images" errorTitle="Could not load the images" />
      {images.isSuccess && (
        <Paper withBorder>
          <ImagesTable
            images={images.data.items}
            sort={pages.sort}
            onSortChange={pages.setSort}
            pagination={pages.pagination(images.data, PAGE_SIZE, "Images")}
            emptyMessage={filtered ? "No images match these filters." : "No images yet."}
            onDelete={canManage ? remove.ask : undefined}
            onShare={canManage ? setToShare : undefined}
          />
        </Paper>
      )}
      {canManage && (
        <CreateImageDialog
          opened={creating}
          images={choices.data ?? []}
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
