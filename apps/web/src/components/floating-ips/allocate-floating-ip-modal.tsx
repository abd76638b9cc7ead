"use client";

import { Modal, Stack } from "@mantine/core";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { ExternalNetworkSelect } from "@/components/networks/external-network-select";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";

const FORM_FIELDS: readonly string[] = ["networkId"];

/** Allocates a floating IP to the project from an external network's subnets. */
export function AllocateFloatingIpModal({ opened, onClose, onAllocated }: { opened: boolean; onClose(): void; onAllocated(): void }) {
  return (
    <Modal opened={opened} onClose={onClose} title="Allocate a floating IP" centered>
      <AllocateForm onCancel={onClose} onAllocated={onAllocated} />
    </Modal>
  );
}

function AllocateForm({ onCancel, onAllocated }: { onCancel(): void; onAllocated(): void }) {
  const trpc = useTRPC();
  const {
    values,
    edit,
    mutation: allocate,
    error,
    fieldError,
    placed,
  } = useMutationForm({ networkId: "" }, FORM_FIELDS, trpc.floatingIps.create.mutationOptions({ onSuccess: onAllocated }));

  function submit(event: FormEvent) {
    event.preventDefault();
    allocate.mutate({ networkId: values.networkId });
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <ExternalNetworkSelect
          label="External network"
          description="The address comes from its subnets; it answers once associated with a port behind a router with its gateway there."
          required
          value={values.networkId}
          onChange={(networkId) => edit({ networkId })}
          error={fieldError("networkId")}
        />
        <FormFooter
          error={placed ? null : error}
          errorTitle="Could not allocate the floating IP"
          submitLabel="Allocate IP"
          pending={allocate.isPending}
          onCancel={onCancel}
        />
      </Stack>
    </form>
  );
}
