"use client";

import { Modal, Stack } from "@mantine/core";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";
import { useLastTarget } from "@/lib/use-last-target";
import { SubnetFields } from "./subnet-fields";
import { initialSubnetValues, SUBNET_FIELDS, subnetPayload } from "./subnet-form";
import type { NetworkSummary } from "./types";

interface AddSubnetModalProps {
  /** The network to add to; null keeps the dialog closed. */
  network: NetworkSummary | null;
  onClose(): void;
  onAdded(): void;
}

/** Adds a subnet to a network; it must not overlap the network's other subnets. */
export function AddSubnetModal({ network, onClose, onAdded }: AddSubnetModalProps) {
  // Keep the content on screen while the dialog animates closed.
  const current = useLastTarget(network);
  return (
    <Modal opened={network !== null} onClose={onClose} title={`Add a subnet to ${current?.name ?? "the network"}`} centered size="lg">
      {current && <AddSubnetForm network={current} onCancel={onClose} onAdded={onAdded} />}
    </Modal>
  );
}

function AddSubnetForm({ network, onCancel, onAdded }: { network: NetworkSummary; onCancel(): void; onAdded(): void }) {
  const trpc = useTRPC();
  const {
    values,
    edit,
    mutation: add,
    error,
    fieldError,
    placed,
  } = useMutationForm(initialSubnetValues, SUBNET_FIELDS, trpc.subnets.create.mutationOptions({ onSuccess: onAdded }));

  function submit(event: FormEvent) {
    event.preventDefault();
    add.mutate({ networkId: network.id, ...subnetPayload(values) });
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <SubnetFields values={values} onChange={edit} error={fieldError} />
        <FormFooter
          error={placed ? null : error}
          errorTitle="Could not add the subnet"
          submitLabel="Add subnet"
          pending={add.isPending}
          onCancel={onCancel}
        />
      </Stack>
    </form>
  );
}
