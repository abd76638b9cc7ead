"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRef } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { notifyDone } from "@/lib/notify";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

interface DeleteInstanceModalProps {
  /** The instance to delete; null keeps the modal closed. */
  instance: { id: string; name: string } | null;
  onClose(): void;
  onDeleted?(id: string): void;
  /** Name of the confirming button: "Confirm delete", as every deletion's. */
  confirmLabel?: string;
}

/** Asks before deleting an instance; a refusal is shown inside the dialog, which stays open. */
export function DeleteInstanceModal({ instance, onClose, onDeleted, confirmLabel = "Confirm delete" }: DeleteInstanceModalProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const confirmed = useRef<string | null>(null);
  const remove = useMutation(
    trpc.instances.delete.mutationOptions({
      onSuccess: ({ id }) => {
        void queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.quota.usage.queryKey() });
        if (confirmed.current) notifyDone(`Instance ${confirmed.current} deleted.`);
        onDeleted?.(id);
        onClose();
      },
    }),
  );

  function close() {
    remove.reset();
    onClose();
  }

  return (
    <ConfirmDeleteModal
      target={instance}
      title={(i) => `Delete ${i.name}?`}
      pending={remove.isPending}
      error={remove.error ? toFormError(remove.error) : null}
      errorTitle="Could not delete the instance"
      confirmLabel={confirmLabel}
      onConfirm={(i) => {
        confirmed.current = i.name;
        remove.mutate({ id: i.id });
      }}
      onClose={close}
    >
      {() => "The instance is stopped and its disk and address are released. This cannot be undone."}
    </ConfirmDeleteModal>
  );
}
