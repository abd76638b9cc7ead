"use client";

import { Alert, Button, Group, Loader, Modal, Radio, Stack, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatMemory } from "@/lib/format";
import { notifyDone } from "@/lib/notify";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { resizeImpact, type FlavorSize } from "./resize-impact";

export interface ResizableInstance extends FlavorSize {
  id: string;
  name: string;
  flavorName: string | null;
}

/**
 * Horizon's "Resize Instance": the flavors the project may use, each with what it changes
 * (+2 vCPUs / +2 GB RAM) and what the quota takes; a flavor whose disk would shrink, the current
 * one, and one the quota cannot take are disabled with the reason. The server checks it all again.
 */
export function ResizeInstanceModal({ instance, opened, onClose }: { instance: ResizableInstance; opened: boolean; onClose(): void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const flavors = useQuery({ ...trpc.catalog.flavors.queryOptions(), enabled: opened });
  const quota = useQuery({ ...trpc.quota.usage.queryOptions(), enabled: opened });
  const [flavorId, setFlavorId] = useState<string | null>(null);
  const resize = useMutation(
    trpc.instances.resize.mutationOptions({
      onSuccess: () => {
        notifyDone(`Resize of ${instance.name} requested.`);
        void queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.instances.get.queryKey({ id: instance.id }) });
        void queryClient.invalidateQueries({ queryKey: trpc.quota.usage.queryKey() });
        setFlavorId(null);
        onClose();
      },
    }),
  );
  const choices = (flavors.data ?? []).map((flavor) => ({
    flavor,
    impact: resizeImpact(instance, flavor, quota.data ? { cores: quota.data.cores, ram: quota.data.ram } : null),
  }));
  const chosen = choices.find((c) => c.flavor.id === flavorId);
  const blocked = chosen ? (chosen.impact.refused ?? chosen.impact.overQuota) : "Choose a flavor.";
  return (
    <Modal
      opened={opened}
      onClose={() => {
        resize.reset();
        onClose();
      }}
      title={`Resize ${instance.name}`}
      centered
      size="lg"
    >
      <Text size="sm" mb="sm">
        Now {instance.flavorName ?? "its flavor"}: {instance.vcpus} vCPU{instance.vcpus === 1 ? "" : "s"}, {formatMemory(instance.memoryMb)} RAM,{" "}
        {instance.rootGb} GB disk. The instance is powered off, moved to its new size (on this host or another the scheduler picks) and started again;
        it then waits for you to confirm or revert the resize.
      </Text>
      {flavors.isPending || quota.isPending ? (
        <Loader aria-label="Loading flavors" />
      ) : (
        <Radio.Group value={flavorId} onChange={setFlavorId} label="New flavor" name="flavor">
          <Stack gap="xs" mt="xs">
            {choices.map(({ flavor, impact }) => {
              const reason = impact.refused ?? impact.overQuota;
              // The description (what it changes and costs, or why not) is the radio's accessible description.
              return (
                <Radio
                  key={flavor.id}
                  value={flavor.id}
                  disabled={reason !== null}
                  label={`${flavor.name}: ${flavor.vcpus} vCPU${flavor.vcpus === 1 ? "" : "s"}, ${formatMemory(flavor.memoryMb)} RAM, ${flavor.rootGb} GB disk`}
                  description={reason ?? `${impact.summary}. ${impact.quotaSummary}`}
                />
              );
            })}
          </Stack>
        </Radio.Group>
      )}
      {resize.isError && (
        <Alert color="red" title="Could not resize" mt="md" role="alert">
          {toFormError(resize.error).message}
        </Alert>
      )}
      <Group justify="flex-end" mt="md">
        <Button variant="default" onClick={onClose}>
          Cancel
        </Button>
        <Button
          loading={resize.isPending}
          disabled={blocked !== null}
          title={blocked ?? undefined}
          onClick={() => flavorId && resize.mutate({ id: instance.id, flavorId })}
        >
          Resize
        </Button>
      </Group>
    </Modal>
  );
}
