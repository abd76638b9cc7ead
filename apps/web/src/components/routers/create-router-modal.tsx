"use client";

import { Modal, Stack, TextInput } from "@mantine/core";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { ExternalNetworkSelect } from "@/components/networks/external-network-select";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";

interface CreateRouterValues {
  name: string;
  /** "" for no gateway. */
  externalNetworkId: string;
}

const initialValues: CreateRouterValues = { name: "", externalNetworkId: "" };
const FORM_FIELDS: readonly string[] = ["name", "externalGateway", "externalGateway.networkId"];

/** The create-router dialog: a name and, optionally, the external network of its gateway. */
export function CreateRouterModal({ opened, onClose, onCreated }: { opened: boolean; onClose(): void; onCreated(): void }) {
  return (
    <Modal opened={opened} onClose={onClose} title="Create a router" centered>
      <CreateRouterForm onCancel={onClose} onCreated={onCreated} />
    </Modal>
  );
}

function CreateRouterForm({ onCancel, onCreated }: { onCancel(): void; onCreated(): void }) {
  const trpc = useTRPC();
  const {
    values,
    edit,
    mutation: create,
    error,
    fieldError,
    placed,
  } = useMutationForm(initialValues, FORM_FIELDS, trpc.routers.create.mutationOptions({ onSuccess: onCreated }));

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({
      name: values.name,
      externalGateway: values.externalNetworkId ? { networkId: values.externalNetworkId, enableSnat: true } : null,
    });
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput label="Router name" value={values.name} onChange={(e) => edit({ name: e.currentTarget.value })} error={fieldError("name")} />
        <ExternalNetworkSelect
          label="External network"
          description="Its gateway: the router's subnets reach the outside through it (SNAT). You can set it later."
          optional
          value={values.externalNetworkId}
          onChange={(externalNetworkId) => edit({ externalNetworkId })}
          error={fieldError("externalGateway.networkId") ?? fieldError("externalGateway")}
        />
        <FormFooter
          error={placed ? null : error}
          errorTitle="Could not create the router"
          submitLabel="Create router"
          pending={create.isPending}
          onCancel={onCancel}
        />
      </Stack>
    </form>
  );
}
