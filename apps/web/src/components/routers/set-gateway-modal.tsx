"use client";

import { Modal, Stack } from "@mantine/core";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { ExternalNetworkSelect } from "@/components/networks/external-network-select";
import { useTRPC } from "@/lib/trpc";
import { useLastTarget } from "@/lib/use-last-target";
import { useMutationForm } from "@/lib/use-mutation-form";
import type { RouterSummary } from "./types";

const FORM_FIELDS: readonly string[] = ["externalGateway", "externalGateway.networkId"];

interface SetGatewayModalProps {
  /** The router; null keeps the dialog closed. */
  router: RouterSummary | null;
  onClose(): void;
  onSet(): void;
}

/** Gives a router its external gateway (or moves it to another external network). */
export function SetGatewayModal({ router, onClose, onSet }: SetGatewayModalProps) {
  const current = useLastTarget(router);
  return (
    <Modal opened={router !== null} onClose={onClose} title={`Set the gateway of router ${current?.name || current?.id || ""}`} centered>
      {current && <SetGatewayForm router={current} onCancel={onClose} onSet={onSet} />}
    </Modal>
  );
}

function SetGatewayForm({ router, onCancel, onSet }: { router: RouterSummary; onCancel(): void; onSet(): void }) {
  const trpc = useTRPC();
  const {
    values,
    edit,
    mutation: update,
    error,
    fieldError,
    placed,
  } = useMutationForm({ networkId: router.externalGateway?.networkId ?? "" }, FORM_FIELDS, trpc.routers.update.mutationOptions({ onSuccess: onSet }));

  function submit(event: FormEvent) {
    event.preventDefault();
    update.mutate({ id: router.id, externalGateway: { networkId: values.networkId, enableSnat: true } });
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <ExternalNetworkSelect
          label="External network"
          description="The router takes an address of its subnet and SNATs its own subnets out through it."
          required
          value={values.networkId}
          onChange={(networkId) => edit({ networkId })}
          error={fieldError("externalGateway.networkId") ?? fieldError("externalGateway")}
        />
        <FormFooter
          error={placed ? null : error}
          errorTitle="Could not set the gateway"
          submitLabel="Set gateway"
          pending={update.isPending}
          onCancel={onCancel}
        />
      </Stack>
    </form>
  );
}
