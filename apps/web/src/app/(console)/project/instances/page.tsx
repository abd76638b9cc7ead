"use client";

import { Button, Group, Paper, Stack } from "@mantine/core";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { PageHeader } from "@/components/common/page-header";
import { QueryStatus } from "@/components/common/query-status";
import { DeleteInstanceModal } from "@/components/instances/delete-instance-modal";
import { InstanceFilters, instanceListFilters, NO_INSTANCE_FILTERS } from "@/components/instances/instance-filters";
import { InstancesTable } from "@/components/instances/instances-table";
import { canManageInstances, useSession } from "@/components/session/session-context";
import type { InstanceSummary } from "@/lib/api-types";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { useKeysetPages } from "@/lib/use-keyset-pages";

/** Horizon's page size. */
const PAGE_SIZE = 20;
const SORT_KEYS = ["name", "status", "created"] as const;
type SortKey = (typeof SORT_KEYS)[number];

export default function InstancesPage() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const router = useRouter();
  const principal = useSession();
  const canManage = canManageInstances(principal);
  const pages = useKeysetPages(NO_INSTANCE_FILTERS);
  const sortKey = pages.sort && SORT_KEYS.includes(pages.sort.key as SortKey) ? (pages.sort.key as SortKey) : undefined;
  const input = {
    ...instanceListFilters(pages.filters),
    ...(sortKey && pages.sort ? { sort: sortKey, direction: pages.sort.direction } : {}),
    limit: PAGE_SIZE,
    ...(pages.cursor && { cursor: pages.cursor }),
  };
  // Keyed under instances.list, so whatever refreshes the list (a delete, an action) refreshes this page.
  const instances = useQuery({
    queryKey: [...trpc.instances.list.pathKey(), { input, type: "query", view: "page" }],
    queryFn: () => client.instances.page.query(input),
    placeholderData: keepPreviousData,
  });
  const [toDelete, setToDelete] = useState<InstanceSummary | null>(null);

  // Live: a status change of an instance of this project refreshes the page shown (never the whole list).
  useSocketEvent("instance.changed", () => {
    void queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
  });

  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <PageHeader title="Instances">Virtual machines of project {principal.projectName}.</PageHeader>
        {canManage && <Button onClick={() => router.push("/project/instances/launch")}>Launch instance</Button>}
      </Group>
      <InstanceFilters onChange={pages.setFilters} withHost={principal.isAdmin} />
      <QueryStatus query={instances} loadingLabel="Loading instances" errorTitle="Could not load the instances" />
      {instances.isSuccess && (
        <Paper withBorder>
          <InstancesTable
            instances={instances.data.items}
            sort={pages.sort}
            onSortChange={pages.setSort}
            pagination={pages.pagination(instances.data, PAGE_SIZE, "Instances")}
            emptyMessage={Object.keys(instanceListFilters(pages.filters)).length > 0 ? "No instances match these filters." : "No instances yet."}
            onDelete={canManage ? setToDelete : undefined}
          />
        </Paper>
      )}
      <DeleteInstanceModal instance={toDelete} onClose={() => setToDelete(null)} />
    </Stack>
  );
}
