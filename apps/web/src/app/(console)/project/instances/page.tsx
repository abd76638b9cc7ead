"use client";

import { Button, Group, Paper, Stack } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { EmptyState } from "@/components/common/empty-state";
import { PageHeader } from "@/components/common/page-header";
import { QueryStatus } from "@/components/common/query-status";
import { DeleteInstanceModal } from "@/components/instances/delete-instance-modal";
import { InstancesTable } from "@/components/instances/instances-table";
import { canManageInstances, useSession } from "@/components/session/session-context";
import type { InstanceSummary } from "@/lib/api-types";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";

export default function InstancesPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const principal = useSession();
  const canManage = canManageInstances(principal);
  const instances = useQuery(trpc.instances.list.queryOptions());
  const [toDelete, setToDelete] = useState<InstanceSummary | null>(null);

  // Live: every status change of an instance of this project refreshes the list.
  useSocketEvent("instance.changed", () => {
    void queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
  });

  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <PageHeader title="Instances">Virtual machines of project {principal.projectName}.</PageHeader>
        {canManage && <Button onClick={() => router.push("/project/instances/launch")}>Launch instance</Button>}
      </Group>
      <QueryStatus query={instances} loadingLabel="Loading instances" errorTitle="Could not load the instances" />
      {instances.isSuccess &&
        (instances.data.length === 0 ? (
          <EmptyState>No instances yet.</EmptyState>
        ) : (
          <Paper withBorder>
            <InstancesTable instances={instances.data} onDelete={canManage ? setToDelete : undefined} />
          </Paper>
        ))}
      <DeleteInstanceModal instance={toDelete} onClose={() => setToDelete(null)} />
    </Stack>
  );
}
