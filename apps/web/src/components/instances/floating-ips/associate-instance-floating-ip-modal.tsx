"use client";

import { Modal, NativeSelect, Stack } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { notifyDone } from "@/lib/notify";
import { useTRPC } from "@/lib/trpc";
import { isPlacedIn, toFormError } from "@/lib/trpc-error";
import { unreachableReason, useFloatingIpRefresh, useInstanceFloatingIps } from "./instance-floating-ips";

/** A choice of the address: a free floating IP of the project, or a new one from an external network. */
const NEW_PREFIX = "new:";
const FORM_FIELDS: readonly string[] = ["portId", "networkId", "id"];

interface AssociateInstanceFloatingIpModalProps {
  instance: { id: string; name: string };
  opened: boolean;
  onClose(): void;
}

/**
 * Horizon's "Associate Floating IP" of an instance: a free floating IP of the project, or one
 * allocated now from an external network (allocated and associated in one step: a refusal keeps
 * no address), mapped to the instance port (fixed address) the user picks.
 */
export function AssociateInstanceFloatingIpModal({ instance, opened, onClose }: AssociateInstanceFloatingIpModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={`Associate a floating IP with ${instance.name}`} centered>
      {opened && <AssociateForm instance={instance} onDone={onClose} />}
    </Modal>
  );
}

function AssociateForm({ instance, onDone }: { instance: { id: string; name: string }; onDone(): void }) {
  const trpc = useTRPC();
  const state = useInstanceFloatingIps(instance.id);
  const networks = useQuery(trpc.networks.list.queryOptions());
  const routers = useQuery(trpc.routers.list.queryOptions());
  const refresh = useFloatingIpRefresh(instance.id);
  const onSuccess = (fip: { floatingIpAddress: string }) => {
    refresh();
    notifyDone(`Floating IP ${fip.floatingIpAddress} associated with ${instance.name}.`);
    onDone();
  };
  const associate = useMutation(trpc.floatingIps.update.mutationOptions({ onSuccess }));
  const allocate = useMutation(trpc.floatingIps.create.mutationOptions({ onSuccess }));
  const mutation = allocate.error || allocate.isPending ? allocate : associate;

  const free = (state.floatingIps.data ?? []).filter((f) => f.portId === null);
  const external = (networks.data ?? []).filter((n) => n.routerExternal);
  const freePorts = state.instancePorts.filter((p) => !state.associated.some((f) => f.portId === p.id));
  const [address, setAddress] = useState<string | null>(null);
  const [portId, setPortId] = useState<string | null>(null);
  // Until the user chooses: the first free address (else a new one from the first external network), the first free port.
  const chosenAddress = address ?? free[0]?.id ?? (external[0] ? `${NEW_PREFIX}${external[0].id}` : "");
  const chosenPort = portId ?? freePorts[0]?.id ?? "";

  const networkName = (id: string) => networks.data?.find((n) => n.id === id)?.name ?? id;
  const floatingNetworkId = chosenAddress.startsWith(NEW_PREFIX)
    ? chosenAddress.slice(NEW_PREFIX.length)
    : free.find((f) => f.id === chosenAddress)?.floatingNetworkId;
  const port = state.instancePorts.find((p) => p.id === chosenPort);
  const hint =
    port && floatingNetworkId && routers.isSuccess
      ? unreachableReason(port, { id: floatingNetworkId, name: networkName(floatingNetworkId) }, routers.data)
      : null;

  const error = mutation.error ? toFormError(mutation.error) : null;
  const placed = isPlacedIn(error, FORM_FIELDS);
  const fieldError = (field: string) => error?.fieldErrors[field]?.[0];
  const reset = () => {
    associate.reset();
    allocate.reset();
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!chosenPort || !chosenAddress) return;
    reset();
    if (chosenAddress.startsWith(NEW_PREFIX)) allocate.mutate({ networkId: chosenAddress.slice(NEW_PREFIX.length), portId: chosenPort });
    else associate.mutate({ id: chosenAddress, portId: chosenPort });
  }

  const loading = !state.loaded || networks.isPending;
  const addressChoices = [
    ...free.map((f) => ({ value: f.id, label: `${f.floatingIpAddress} (${networkName(f.floatingNetworkId)})` })),
    ...external.map((n) => ({ value: `${NEW_PREFIX}${n.id}`, label: `Allocate a new one from ${n.name}` })),
  ];
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <NativeSelect
          label="Floating IP"
          description="A free address of the project, or a new one from an external network."
          required
          disabled={loading}
          value={chosenAddress}
          onChange={(e) => {
            setAddress(e.currentTarget.value);
            reset();
          }}
          error={fieldError("id") ?? fieldError("networkId") ?? (networks.isError ? "Could not load the external networks." : undefined)}
          data={
            loading
              ? [{ value: "", label: "Loading floating IPs…" }]
              : addressChoices.length === 0
                ? [{ value: "", label: "No free floating IP and no external network: a cloud administrator must create one" }]
                : addressChoices
          }
        />
        <NativeSelect
          label="Port"
          description="The instance's fixed address the floating IP maps to."
          required
          disabled={loading}
          value={chosenPort}
          onChange={(e) => {
            setPortId(e.currentTarget.value);
            reset();
          }}
          error={fieldError("portId") ?? hint ?? (state.ports.isError ? "Could not load the instance's ports." : undefined)}
          data={
            loading
              ? [{ value: "", label: "Loading ports…" }]
              : freePorts.length === 0
                ? [{ value: "", label: "Every port already has a floating IP" }]
                : freePorts.map((p) => ({ value: p.id, label: `${p.ipAddress} on ${p.networkName}` }))
          }
        />
        <FormFooter
          error={placed ? null : error}
          errorTitle="Could not associate the floating IP"
          submitLabel="Associate"
          pending={mutation.isPending}
          onCancel={onDone}
        />
      </Stack>
    </form>
  );
}
