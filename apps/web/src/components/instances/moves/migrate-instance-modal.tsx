"use client";

import { Alert, Button, Group, Modal, Select, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { notifyDone } from "@/lib/notify";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { destinationHostOptions } from "./destination-hosts";

/** Any host the scheduler picks. */
const ANY = "";

/**
 * The operator's cold migration: to a host the scheduler picks, or to a named one (still
 * checked by the scheduler's filters). Hosts that are down or are the instance's own are
 * listed but disabled, with why.
 */
export function MigrateInstanceModal({
  instance,
  opened,
  onClose,
}: {
  instance: { id: string; name: string; hostname: string | null };
  opened: boolean;
  onClose(): void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hosts = useQuery({ ...trpc.hosts.list.queryOptions(), enabled: opened });
  const [host, setHost] = useState<string>(ANY);
  const migrate = useMutation(
    trpc.instances.migrate.mutationOptions({
      onSuccess: () => {
        notifyDone(`Migration of ${instance.name} requested.`);
        void queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.instances.get.queryKey({ id: instance.id }) });
        setHost(ANY);
        onClose();
      },
    }),
  );
  const options = destinationHostOptions(hosts.data ?? [], instance.hostname ?? null, { value: ANY, label: "Any host the scheduler picks" });
  return (
    <Modal
      opened={opened}
      onClose={() => {
        migrate.reset();
        onClose();
      }}
      title={`Migrate ${instance.name}`}
      centered
    >
      <Text size="sm" mb="sm">
        The instance is powered off on {instance.hostname ?? "its host"}, moved with the same flavor and started again as it was; it then waits for
        the migration to be confirmed or reverted.
      </Text>
      <Select label="Destination host" data={options} value={host} onChange={(v) => setHost(v ?? ANY)} allowDeselect={false} />
      {migrate.isError && (
        <Alert color="red" title="Could not migrate" mt="md" role="alert">
          {toFormError(migrate.error).message}
        </Alert>
      )}
      <Group justify="flex-end" mt="md">
        <Button variant="default" onClick={onClose}>
          Cancel
        </Button>
        <Button loading={migrate.isPending} onClick={() => migrate.mutate({ id: instance.id, host: host === ANY ? null : host })}>
          Migrate
        </Button>
      </Group>
    </Modal>
  );
}
