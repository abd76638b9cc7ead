"use client";

import { Alert, Anchor, Button, Group, Modal, Text, TextInput } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { notifyDone } from "@/lib/notify";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

/**
 * Horizon's "Create Snapshot": names the new image. A running guest is saved for a moment while
 * its disk is copied and then carries on; the image appears on the Images page at once (queued,
 * then saving, then active), and the instance's task state shows how far the snapshot is.
 */
export function SnapshotInstanceModal({ instance, opened, onClose }: { instance: { id: string; name: string }; opened: boolean; onClose(): void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const snapshot = useMutation(
    trpc.instances.snapshot.mutationOptions({
      onSuccess: () => {
        notifyDone(`Snapshot of ${instance.name} requested: image ${name.trim()} is being made.`);
        void queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.instances.get.queryKey({ id: instance.id }) });
        void queryClient.invalidateQueries({ queryKey: trpc.images.list.queryKey() });
        setName("");
        onClose();
      },
    }),
  );
  const error = snapshot.isError ? toFormError(snapshot.error) : null;
  const nameError = error?.fieldErrors.name?.join(" ");
  const close = () => {
    snapshot.reset();
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title={`Create snapshot of ${instance.name}`} centered>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          snapshot.mutate({ instanceId: instance.id, name });
        }}
      >
        <Text size="sm" mb="sm">
          The instance's disk is copied into a new private image of this project. A running guest is saved for a moment while its disk is copied, then
          carries on as it was. Follow the image on the{" "}
          <Anchor component={Link} href="/project/images">
            Images page
          </Anchor>
          .
        </Text>
        <TextInput
          label="Snapshot name"
          required
          data-autofocus
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          error={nameError}
          maxLength={255}
        />
        {error && !nameError && (
          <Alert color="red" title="Could not create the snapshot" mt="md" role="alert">
            {error.message}
          </Alert>
        )}
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" loading={snapshot.isPending}>
            Create snapshot
          </Button>
        </Group>
      </form>
    </Modal>
  );
}
