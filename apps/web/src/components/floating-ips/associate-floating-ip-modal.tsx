"use client";

import { Modal, NativeSelect, Stack } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { useTRPC } from "@/lib/trpc";
import { useLastTarget } from "@/lib/use-last-target";
import { useMutationForm } from "@/lib/use-mutation-form";
import type { FloatingIpSummary } from "./types";

const FORM_FIELDS: readonly string[] = ["portId"];

interface AssociateFloatingIpModalProps {
  /** The floating IP; null keeps the dialog closed. */
  floatingIp: FloatingIpSummary | null;
  onClose(): void;
  onAssociated(): void;
}

/** Associates a floating IP with an instance's port (or moves it to another). */
export function AssociateFloatingIpModal({ floatingIp, onClose, onAssociated }: AssociateFloatingIpModalProps) {
  const current = useLastTarget(floatingIp);
  return (
    <Modal opened={floatingIp !== null} onClose={onClose} title={`Associate floating IP ${current?.floatingIpAddress ?? ""}`} centered>
      {current && <AssociateForm floatingIp={current} onCancel={onClose} onAssociated={onAssociated} />}
    </Modal>
  );
}

function AssociateForm({ floatingIp, onCancel, onAssociated }: { floatingIp: FloatingIpSummary; onCancel(): void; onAssociated(): void }) {
  const trpc = useTRPC();
  const ports = useQuery(trpc.ports.list.queryOptions());
  const {
    values,
    edit,
    mutation: associate,
    error,
    fieldError,
    placed,
  } = useMutationForm({ portId: floatingIp.portId ?? "" }, FORM_FIELDS, trpc.floatingIps.update.mutationOptions({ onSuccess: onAssociated }));

  // The instances' ports (a router's own ports take no floating IP).
  const choices = (ports.data ?? [])
    .filter((p) => p.instanceId !== null)
    .map((p) => ({ value: p.id, label: `${p.instanceName ?? p.instanceId}: ${p.ipAddress} (${p.networkName})` }));

  function submit(event: FormEvent) {
    event.preventDefault();
    associate.mutate({ id: floatingIp.id, portId: values.portId });
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <NativeSelect
          label="Instance port"
          description="Its subnet must be attached to a router whose gateway is on the floating IP's network."
          required
          disabled={ports.isPending}
          value={values.portId}
          onChange={(e) => edit({ portId: e.currentTarget.value })}
          error={fieldError("portId") ?? (ports.isError ? "Could not load the ports." : undefined)}
          data={[
            { value: "", label: ports.isPending ? "Loading ports…" : choices.length === 0 ? "No instance has a port" : "Choose a port" },
            ...choices,
          ]}
        />
        <FormFooter
          error={placed ? null : error}
          errorTitle="Could not associate the floating IP"
          submitLabel="Associate"
          pending={associate.isPending}
          onCancel={onCancel}
        />
      </Stack>
    </form>
  );
}
