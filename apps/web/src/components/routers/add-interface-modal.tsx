"use client";

import { Modal, NativeSelect, Stack } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { subnetLabel } from "@/components/networks/subnets-table";
import { useTRPC } from "@/lib/trpc";
import { useLastTarget } from "@/lib/use-last-target";
import { useMutationForm } from "@/lib/use-mutation-form";
import type { RouterSummary } from "./types";

const FORM_FIELDS: readonly string[] = ["subnetId"];

interface AddInterfaceModalProps {
  /** The router; null keeps the dialog closed. */
  router: RouterSummary | null;
  onClose(): void;
  onAdded(): void;
}

/** Attaches a subnet to a router: the subnet's gateway address becomes the router's interface on it. */
export function AddInterfaceModal({ router, onClose, onAdded }: AddInterfaceModalProps) {
  const current = useLastTarget(router);
  return (
    <Modal opened={router !== null} onClose={onClose} title={`Add an interface to router ${current?.name || current?.id || ""}`} centered>
      {current && <AddInterfaceForm router={current} onCancel={onClose} onAdded={onAdded} />}
    </Modal>
  );
}

function AddInterfaceForm({ router, onCancel, onAdded }: { router: RouterSummary; onCancel(): void; onAdded(): void }) {
  const trpc = useTRPC();
  const networks = useQuery(trpc.networks.list.queryOptions());
  const {
    values,
    edit,
    mutation: add,
    error,
    fieldError,
    placed,
  } = useMutationForm({ subnetId: "" }, FORM_FIELDS, trpc.routers.addInterface.mutationOptions({ onSuccess: onAdded }));

  // Subnets of the networks the project routes between: not external ones (those are gateways), not already attached.
  const attached = new Set(router.interfaces.map((i) => i.subnetId));
  const choices = (networks.data ?? [])
    .filter((n) => !n.routerExternal)
    .flatMap((n) => n.subnets.filter((s) => !attached.has(s.id)).map((s) => ({ value: s.id, label: `${n.name}: ${subnetLabel(s)}` })));

  function submit(event: FormEvent) {
    event.preventDefault();
    add.mutate({ id: router.id, subnetId: values.subnetId });
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <NativeSelect
          label="Subnet"
          description="The router takes the subnet's gateway address; instances on it reach the router's other subnets and its gateway."
          required
          disabled={networks.isPending}
          value={values.subnetId}
          onChange={(e) => edit({ subnetId: e.currentTarget.value })}
          error={fieldError("subnetId") ?? (networks.isError ? "Could not load the networks." : undefined)}
          data={[
            { value: "", label: networks.isPending ? "Loading subnets…" : choices.length === 0 ? "No subnet left to attach" : "Choose a subnet" },
            ...choices,
          ]}
        />
        <FormFooter
          error={placed ? null : error}
          errorTitle="Could not add the interface"
          submitLabel="Add interface"
          pending={add.isPending}
          onCancel={onCancel}
        />
      </Stack>
    </form>
  );
}
