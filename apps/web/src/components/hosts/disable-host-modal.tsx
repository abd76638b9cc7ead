"use client";

import { Alert, Button, Group, Modal, Stack, Text, TextInput } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Host } from "@/lib/api-types";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { useLastTarget } from "@/lib/use-last-target";

interface DisableHostModalProps {
  /** The host to disable; null keeps the modal closed. */
  host: Host | null;
  onClose(): void;
  onDisabled(): void;
}

/**
 * Nova's `service disable --reason`: asks why, then disables the host. The ComputeFilter refuses
 * it at once; instances already on it keep running.
 */
export function DisableHostModal({ host, onClose, onDisabled }: DisableHostModalProps) {
  const trpc = useTRPC();
  const [reason, setReason] = useState("");
  const disable = useMutation(
    trpc.hosts.update.mutationOptions({
      onSuccess: () => {
        onDisabled();
        close();
      },
    }),
  );
  const error = disable.error ? toFormError(disable.error) : null;
  const reasonError = error?.fieldErrors.disabledReason?.[0];
  // Keep the hostname on screen while the dialog animates closed.
  const shown = useLastTarget(host);

  function close() {
    disable.reset();
    setReason("");
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (host) disable.mutate({ id: host.id, enabled: false, disabledReason: reason });
  }

  return (
    <Modal opened={host !== null} onClose={close} title={`Disable ${shown?.hostname ?? "host"}`} centered>
      <form onSubmit={submit} noValidate>
        <Stack>
          <Text size="sm">New instances are no longer scheduled to this host; the {shown?.instanceCount ?? 0} already on it keep running.</Text>
          <TextInput
            label="Reason for disabling"
            description="Shown in the host inventory, e.g. “kernel upgrade”."
            required
            value={reason}
            onChange={(e) => {
              setReason(e.currentTarget.value);
              if (disable.isError) disable.reset();
            }}
            error={reasonError}
            maxLength={255}
            data-autofocus
          />
          {error && !reasonError && (
            <Alert color="red" title="Could not disable the host">
              {error.message}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" color="red" loading={disable.isPending}>
              Disable host
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
