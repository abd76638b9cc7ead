"use client";

import { Alert, Anchor, Button, Card, Grid, Group, Loader, Progress, Stack, Text, Title } from "@mantine/core";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { canManageInstances, useSession } from "@/components/session/session-context";
import { statusColor } from "@/lib/instance-display";
import { isNotFound, toFormError } from "@/lib/trpc-error";
import { TASK_STATE_LABELS, type TaskState } from "@nimbus/core/instance-state";
import { DeleteInstanceModal } from "../delete-instance-modal";
import { InstanceActionButtons } from "../instance-actions";
import { InstanceStatusBadge } from "../instance-status-badge";
import { ActionLog } from "./action-log";
import { BuildTimeline } from "./build-timeline";
import { InstanceDetailsCard } from "./instance-details-card";
import { FaultAlert } from "./fault-alert";
import { DownloadProgress } from "./download-progress";
import { HostWait } from "./host-wait";
import { SerialConsole } from "./serial-console";
import { GraphicalConsole } from "../console/graphical-console";
import { latestAction } from "./live-instance";
import { useLiveInstance } from "./use-live-instance";

function NotFound() {
  return (
    <Stack align="flex-start">
      <Title order={1}>Instance not found.</Title>
      <Text c="dimmed">It was deleted, or it belongs to another project.</Text>
      <Anchor component={Link} href="/project/instances">
        Back to the instance list
      </Anchor>
    </Stack>
  );
}

/** One instance: live status, build progress, the phases of its actions, its fault and details. */
export function InstanceProgressView({ id }: { id: string }) {
  const router = useRouter();
  const principal = useSession();
  const query = useLiveInstance(id);
  const [confirming, setConfirming] = useState(false);

  if (query.isError && (isNotFound(query.error) || toFormError(query.error).code === "BAD_REQUEST")) return <NotFound />;
  if (query.isPending) return <Loader aria-label="Loading the instance" />;
  if (query.isError) {
    return (
      <Alert color="red" title="Could not load the instance">
        {toFormError(query.error).message}
      </Alert>
    );
  }

  const { instance } = query.data;
  const create = latestAction(query.data, "create");
  const remove = latestAction(query.data, "delete");
  const building = instance.status === "BUILD";
  const canManage = canManageInstances(principal);

  return (
    <Stack>
      <div>
        <Anchor component={Link} href="/project/instances" size="sm">
          ← All instances
        </Anchor>
        <Group justify="space-between" align="center">
          <Group gap="sm">
            <Title order={1}>{instance.name}</Title>
            <InstanceStatusBadge status={instance.status} />
            {instance.taskState && !building && (
              <Text size="sm" c="dimmed" role="status" aria-label="Task">
                {TASK_STATE_LABELS[instance.taskState as TaskState]}
              </Text>
            )}
            {instance.taskState === "migrating" && (
              // The live migration's data sent, as its source reports it (pushed on the instance's stream).
              <Progress value={instance.progress} size="sm" w={120} animated aria-label={`Live migration progress of ${instance.name}`} />
            )}
          </Group>
          {canManage && (
            <Button color="red" variant="light" onClick={() => setConfirming(true)} disabled={instance.status === "DELETING"}>
              Delete instance
            </Button>
          )}
        </Group>
      </div>

      {canManage && !building && instance.status !== "DELETING" && <InstanceActionButtons instance={instance} />}

      <Group gap="sm" wrap="nowrap">
        <Progress
          value={instance.progress}
          aria-label="Build progress"
          animated={building}
          color={instance.status === "ERROR" ? "red" : building ? statusColor("BUILD") : "green"}
          size="lg"
          style={{ flex: 1 }}
        />
        <Text size="sm" w={48} ta="right">
          {instance.progress}%
        </Text>
      </Group>

      {building && query.data.buildWait && <HostWait wait={query.data.buildWait} />}

      {building && <DownloadProgress instanceId={instance.id} />}

      {(instance.status === "ERROR" || (instance.fault && instance.taskState === null)) && <FaultAlert instance={instance} canRelaunch={canManage} />}

      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Stack>
            <Card withBorder component="section" aria-label="Build phases">
              <Text fw={600} mb="sm">
                Build
              </Text>
              {create ? <BuildTimeline action={create} /> : <Text c="dimmed">No build recorded.</Text>}
            </Card>
            {remove && (
              <Card withBorder component="section" aria-label="Delete phases">
                <Text fw={600} mb="sm">
                  Delete
                </Text>
                <BuildTimeline action={remove} />
              </Card>
            )}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <InstanceDetailsCard instance={instance} volumes={query.data.volumes} />
        </Grid.Col>
      </Grid>

      <GraphicalConsole instance={instance} screen={query.data.graphicalConsole} />

      <SerialConsole instanceId={instance.id} guest={query.data.guestConsole} />

      <ActionLog actions={query.data.actions} />

      <DeleteInstanceModal
        instance={confirming ? { id: instance.id, name: instance.name } : null}
        onClose={() => setConfirming(false)}
        onDeleted={() => router.push("/project/instances")}
        confirmLabel="Confirm delete"
      />
    </Stack>
  );
}
