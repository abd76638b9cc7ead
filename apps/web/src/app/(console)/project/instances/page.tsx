"use client";

import { Alert, Button, Group, Loader, Paper, Stack, Text, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { DeleteInstanceModal } from "@/components/instances/delete-instance-modal";
import { InstancesTable } from "@/components/instances/instances-table";
import { canManageInstances, useSession } from "@/components/session/session-context";
import type { InstanceSummary } from "@/lib/api-types";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

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
        <div>
          <Title order={1}>Instances</Title>
          <Text c="dimmed">Virtual machines of project {principal.projectName}.</Text>
        </div>
        {canManage && (
          <Button onClick={() => router.push("/project/instances/launch")}>
            Launch instance
          </Button>
        )}
      </Group>
      {instances.isPending && <Loader aria-label="Loading instances" />}
      {instances.isError && (
        <Alert color="red" title="Could not load the instances">
          {toFormError(instances.error).message}
        </Alert>
      )}
      {instances.isSuccess &&
        (instances.data.length === 0 ? (
          <Paper withBorder p="xl">
            <Text ta="center" c="dimmed">
              No instances yet.
            </Text>
          </Paper>
        ) : (
          <Paper withBorder>
            <InstancesTable instances={instances.data} onDelete={canManage ? setToDelete : undefined} />
          </Paper>
        ))}
      <DeleteInstanceModal instance={toDelete} onClose={() => setToDelete(null)} />
    </Stack>
  );
}
