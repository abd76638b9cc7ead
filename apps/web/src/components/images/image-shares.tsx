"use client";

import { Alert, Badge, Button, Code, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import { QueryStatus } from "@/components/common/query-status";
import { CopyValueButton } from "@/components/common/secret-once";
import { canManageInstances, useSession } from "@/components/session/session-context";
import type { RouterOutputs } from "@/lib/api-types";
import { formatBytes, formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { IMAGE_KIND_LABEL, MEMBER_STATUS } from "./image-display";

type ImageShare = RouterOutputs["images"]["shares"][number];

const COLUMNS: DataTableColumn<ImageShare>[] = [
  {
    key: "name",
    header: "Image",
    sortValue: (share) => share.name,
    cell: (share) => (
      <>
        <Text size="sm" fw={600}>
          {share.name}
        </Text>
        {share.kind !== "disk" && (
          <Badge size="xs" variant="outline">
            {IMAGE_KIND_LABEL[share.kind]}
          </Badge>
        )}
      </>
    ),
  },
  { key: "owner", header: "Owner", sortValue: (share) => share.ownerProjectName, cell: (share) => share.ownerProjectName ?? "—" },
  { key: "size", header: "Size", sortValue: (share) => share.sizeBytes, cell: (share) => formatBytes(share.sizeBytes) },
  { key: "offered", header: "Offered", cell: (share) => formatDateTime(share.offeredAt) },
  {
    key: "answer",
    header: "Answer",
    cell: (share) => (
      <Badge variant="light" color={MEMBER_STATUS[share.status].color}>
        {MEMBER_STATUS[share.status].label}
      </Badge>
    ),
  },
];

/**
 * Glance's member side: images other projects offer to this one. None shows in the images list,
 * the catalog or the launch wizard until accepted here; an answer may be changed later. The
 * project's id is shown to give to an owner who wants to share an image with it.
 */
export function ImageShares({ onChanged }: { onChanged(): void }) {
  const trpc = useTRPC();
  const principal = useSession();
  const canAnswer = canManageInstances(principal);
  const shares = useQuery(trpc.images.shares.queryOptions());
  const answer = useMutation(
    trpc.images.updateMember.mutationOptions({
      onSuccess: () => {
        void shares.refetch();
        onChanged();
      },
    }),
  );
  const pending = shares.data?.filter((s) => s.status === "pending").length ?? 0;
  const busy = (share: ImageShare, status: "accepted" | "rejected") =>
    answer.isPending && answer.variables?.id === share.id && answer.variables.status === status;

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="image-shares-title">
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start">
          <Title order={2} size="h4" id="image-shares-title">
            Shared with this project{pending > 0 ? ` (${pending} to answer)` : ""}
          </Title>
          <Group gap="xs">
            <Text size="sm" c="dimmed" id="project-id-label">
              Project id
            </Text>
            <Code aria-labelledby="project-id-label">{principal.projectId}</Code>
            <CopyValueButton value={principal.projectId} label="Copy project id" />
          </Group>
        </Group>
        <Text size="sm" c="dimmed">
          An image another project shares with {principal.projectName} waits here until accepted; only then does it appear among your images and in
          the launch wizard. To be offered an image, give its owner this project's id.
        </Text>
        <QueryStatus query={shares} loadingLabel="Loading shared images" errorTitle="Could not load the images shared with this project" />
        {answer.isError && (
          <Alert color="red" title="Could not answer the share">
            {toFormError(answer.error).message}
          </Alert>
        )}
        {shares.isSuccess && (
          <DataTable
            aria-label="Images shared with this project"
            minWidth={700}
            columns={COLUMNS}
            rows={shares.data}
            rowKey={(share) => share.id}
            empty={{ message: "No project has shared an image with this one." }}
            rowActions={
              canAnswer
                ? (share) => (
                    <Group gap="xs" wrap="nowrap">
                      {share.status !== "accepted" && (
                        <Button
                          size="xs"
                          aria-label={`Accept image ${share.name}`}
                          loading={busy(share, "accepted")}
                          onClick={() => answer.mutate({ id: share.id, status: "accepted" })}
                        >
                          Accept
                        </Button>
                      )}
                      {share.status !== "rejected" && (
                        <Button
                          size="xs"
                          variant="default"
                          aria-label={`Reject image ${share.name}`}
                          loading={busy(share, "rejected")}
                          onClick={() => answer.mutate({ id: share.id, status: "rejected" })}
                        >
                          Reject
                        </Button>
                      )}
                    </Group>
                  )
                : undefined
            }
          />
        )}
      </Stack>
    </Paper>
  );
}
