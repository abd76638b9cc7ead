"use client";

import { Alert, Button, Group, Modal, Text } from "@mantine/core";
import type { ReactNode } from "react";
import type { FormError } from "@/lib/trpc-error";
import { useLastTarget } from "@/lib/use-last-target";

interface ConfirmDeleteModalProps<T> {
  /** What to delete; null keeps the modal closed. */
  target: T | null;
  /** "Delete server group web?" */
  title(target: T): string;
  /** What deleting does, in a sentence or two. */
  children(target: T): ReactNode;
  pending: boolean;
  /** The refusal of the last attempt, shown inside the dialog, which stays open. */
  error: FormError | null;
  /** What failed, as the alert's title: "Could not delete the server group". */
  errorTitle: string;
  onConfirm(target: T): void;
  onClose(): void;
  /** The confirming button; "Confirm delete" unless the action is not a deletion ("Confirm revoke"). */
  confirmLabel?: string;
}

/** Asks before deleting (or revoking) something; the button that does it is "Confirm delete" unless named otherwise. */
export function ConfirmDeleteModal<T>({
  target,
  title,
  children,
  pending,
  error,
  errorTitle,
  onConfirm,
  onClose,
  confirmLabel = "Confirm delete",
}: ConfirmDeleteModalProps<T>) {
  // Keep the content on screen while the dialog animates closed.
  const current = useLastTarget(target);
  return (
    <Modal opened={target !== null} onClose={onClose} title={current ? title(current) : ""} centered>
      {current && (
        <Text size="sm" mb="md" component="div">
          {children(current)}
        </Text>
      )}
      {error && (
        <Alert color="red" title={errorTitle} mb="md">
          {error.message}
        </Alert>
      )}
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          Cancel
        </Button>
        <Button color="red" loading={pending} onClick={() => target && onConfirm(target)}>
          {confirmLabel}
        </Button>
      </Group>
    </Modal>
  );
}
