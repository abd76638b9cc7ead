"use client";

import { Alert, Button, Group, Modal, Select, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { notifyDone } from "@/lib/notify";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { destinationHostOptions } from "./destination-hosts";

/** Any host the scheduler picks. */
const AUTOMATIC = "";
type BlockMigration = "auto" | "true" | "false";

/**
 * The operator's live migration (Nova's os-migrateLive): the running guest moves to a host the
 * scheduler picks or to a named one (still checked by the filters), with its disk copied along
 * (block migration) or not (storage shared by the hosts). Hosts that are down or are the
 * instance's own are listed but disabled, with why. The move's progress shows on the instance.
 */
export function LiveMigrateInstanceModal({
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
  const [host, setHost] = useState<string>(AUTOMATIC);
  const [block, setBlock] = useState<BlockMigration>("auto");
  const migrate = useMutation(
    trpc.instances.liveMigrate.mutationOptions({
      onSuccess: () => {
        notifyDone(`Live migration of ${instance.name} requested.`);
        void queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.instances.get.queryKey({ id: instance.id }) });
        setHost(AUTOMATIC);
        setBlock("auto");
        onClose();
      },
    }),
  );
  const options = destinationHostOptions(hosts.data ?? [], instance.hostname ?? null, { value: AUTOMATIC, label: "Automatic (the scheduler picks)" });
  const close = () => {
    migrate.reset();
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title={`Live migrate ${instance.name}`} centered>
      <Text size="sm" mb="sm">
        The guest keeps running while its memory (and, with block migration, its disk) is copied from {instance.hostname ?? "its host"} to the
        destination; it then runs there, with the same addresses, without a reboot.
      </Text>
      <Select label="Target host" data={options} value={host} onChange={(v) => setHost(v ?? AUTOMATIC)} allowDeselect={false} />
      <Select
        mt="sm"
        label="Block migration"
        description="Copies the disk along. Nimbus hosts share no storage, so automatic means yes."
        data={[
          { value: "auto", label: "Automatic" },
          { value: "true", label: "Yes: copy the disk" },
          { value: "false", label: "No: the hosts share storage" },
        ]}
        value={block}
        onChange={(v) => setBlock((v as BlockMigration | null) ?? "auto")}
        allowDeselect={false}
      />
      {migrate.isError && (
        <Alert color="red" title="Could not live-migrate" mt="md" role="alert">
          {toFormError(migrate.error).message}
        </Alert>
      )}
      <Group justify="flex-end" mt="md">
        <Button variant="default" onClick={close}>
          Cancel
        </Button>
        <Button
          loading={migrate.isPending}
          onClick={() =>
            migrate.mutate({
              instanceId: instance.id,
              host: host === AUTOMATIC ? null : host,
              blockMigration: block === "auto" ? "auto" : block === "true",
            })
          }
        >
          Live migrate
        </Button>
      </Group>
    </Modal>
  );
}
