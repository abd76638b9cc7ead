"use client";

import { Alert, Button, Group, Modal, Text } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRef } from "react";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

interface DeleteInstanceModalProps {
  /** The instance to delete; null keeps the modal closed. */
  instance: { id: string; name: string } | null;
  onClose(): void;
  onDeleted?(id: string): void;
  /** Name of the confirming button. */
  confirmLabel?: string;
}

/** Asks before deleting an instance; a refusal is shown inside the dialog, which stays open. */
export function DeleteInstanceModal({ instance, onClose, onDeleted, confirmLabel = "Delete instance" }: DeleteInstanceModalProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.instances.delete.mutationOptions({
      onSuccess: ({ id }) => {
        void queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.quota.usage.queryKey() });
        onDeleted?.(id);
        onClose();
      },
    }),
  );
  const error = remove.error ? toFormError(remove.error) : null;
  // Keep the name on screen while the dialog animates closed.
  const shown = useRef(instance);
  if (instance) shown.current = instance;

  function close() {
    remove.reset();
    onClose();
  }

  return (
    <Modal opened={instance !== null} onClose={close} title={`Delete ${shown.current?.name ?? "instance"}?`} centered>
      <Text size="sm" mb="md">
        The instance is stopped and its disk and address are released. This cannot be undone.
      </Text>
      {error && (
        <Alert color="red" title="Could not delete the instance" mb="md">
          {error.message}
        </Alert>
      )}
      <Group justify="flex-end">
        <Button variant="default" onClick={close}>
          Cancel
        </Button>
        <Button color="red" loading={remove.isPending} onClick={() => instance && remove.mutate({ id: instance.id })}>
          {confirmLabel}
        </Button>
      </Group>
    </Modal>
  );
}
