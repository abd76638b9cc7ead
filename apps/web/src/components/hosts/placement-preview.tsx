"use client";

import { Alert, Button, Group, Loader, Paper, Select, SimpleGrid, Stack, Text } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formatMemory } from "@/lib/format";
import { policySpec } from "@/lib/server-group-policy";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { PlacementPreviewResult } from "./placement-preview-result";

/** The question asked: previewPlacement's input. */
interface PreviewRequest {
  flavorId: string;
  imageId: string | null;
  availabilityZone: string | null;
  serverGroupId: string | null;
}

const EMPTY: PreviewRequest = { flavorId: "", imageId: null, availabilityZone: null, serverGroupId: null };

/**
 * "Where would this go, and why not elsewhere?": runs the scheduler's filters and weighers over
 * every host without claiming anything. The answer follows hosts and instances as they change.
 */
export function PlacementPreview() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const flavors = useQuery(trpc.catalog.flavors.queryOptions());
  const images = useQuery(trpc.catalog.images.queryOptions());
  const zones = useQuery(trpc.catalog.availabilityZones.queryOptions());
  const groups = useQuery(trpc.serverGroups.list.queryOptions());
  const [form, setForm] = useState<PreviewRequest>(EMPTY);
  const [asked, setAsked] = useState<PreviewRequest | null>(null);
  const [flavorMissing, setFlavorMissing] = useState(false);
  const preview = useQuery(trpc.hosts.previewPlacement.queryOptions(asked ?? EMPTY, { enabled: asked !== null }));

  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.hosts.previewPlacement.queryKey() });
  useSocketEvent("host.changed", refresh);
  useSocketEvent("instance.changed", refresh);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!form.flavorId) {
      setFlavorMissing(true);
      // No answer stays on screen beside the message: it was for another question.
      setAsked(null);
      return;
    }
    // Asking the same question again asks the scheduler again.
    if (asked && JSON.stringify(asked) === JSON.stringify(form)) void preview.refetch();
    else setAsked(form);
  }

  const loadError = [flavors, images, zones, groups].find((q) => q.isError)?.error;
  // Only the answer to the question on screen: a result and an older refusal are never shown together.
  const current = asked !== null && JSON.stringify(asked) === JSON.stringify(form);
  const error = preview.isError && preview.errorUpdatedAt >= preview.dataUpdatedAt ? toFormError(preview.error) : null;
  const chosenFlavor = flavors.data?.find((f) => f.id === form.flavorId);
  return (
    <Stack>
      <Paper withBorder p="lg">
        <form onSubmit={submit} noValidate>
          <Stack>
            {loadError && (
              <Alert color="red" title="Could not load the catalog">
                {toFormError(loadError).message}
              </Alert>
            )}
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
              <Select
                label="Flavor"
                // The name in the field (it fits); the size underneath, where it is not cut off.
                description={
                  chosenFlavor
                    ? `${chosenFlavor.vcpus} vCPU, ${formatMemory(chosenFlavor.memoryMb)} RAM, ${chosenFlavor.rootGb} GB disk`
                    : "The size to place"
                }
                required
                placeholder="Choose a flavor"
                data={(flavors.data ?? []).map((f) => ({ value: f.id, label: f.name }))}
                value={form.flavorId || null}
                onChange={(flavorId) => {
                  setForm((v) => ({ ...v, flavorId: flavorId ?? "" }));
                  setFlavorMissing(false);
                }}
                allowDeselect={false}
                error={flavorMissing ? "Choose a flavor." : error?.fieldErrors.flavorId?.[0]}
              />
              <Select
                label="Image"
                description="Optional: its architecture and hypervisor type"
                placeholder="Any image"
                data={(images.data ?? []).map((i) => ({ value: i.id, label: i.name }))}
                value={form.imageId}
                onChange={(imageId) => setForm((v) => ({ ...v, imageId }))}
                clearable
              />
              <Select
                label="Availability zone"
                description="Optional"
                placeholder="Any zone"
                data={zones.data ?? []}
                value={form.availabilityZone}
                onChange={(availabilityZone) => setForm((v) => ({ ...v, availabilityZone }))}
                clearable
              />
              <Select
                label="Server group"
                description="Optional: a group of your project"
                placeholder="None"
                data={(groups.data ?? []).map((g) => ({ value: g.id, label: `${g.name} (${policySpec(g.policy).label.toLowerCase()})` }))}
                value={form.serverGroupId}
                onChange={(serverGroupId) => setForm((v) => ({ ...v, serverGroupId }))}
                clearable
              />
            </SimpleGrid>
            <Group>
              <Button type="submit" loading={preview.isFetching}>
                Preview placement
              </Button>
              <Text size="xs" c="dimmed">
                Nothing is claimed: the hosts stay as they are.
              </Text>
            </Group>
          </Stack>
        </form>
      </Paper>
      {asked && preview.isPending && <Loader aria-label="Asking the scheduler" />}
      {error && (
        <Alert color="red" title="Could not preview the placement">
          {error.message}
        </Alert>
      )}
      {preview.data && !error && (
        <>
          {!current && (
            <Text size="sm" c="dimmed">
              The answer below is for the question last asked; press Preview placement to ask again.
            </Text>
          )}
          <PlacementPreviewResult preview={preview.data} />
        </>
      )}
    </Stack>
  );
}
