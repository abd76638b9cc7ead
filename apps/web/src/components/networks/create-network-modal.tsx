"use client";

import { Checkbox, Divider, Modal, NumberInput, SimpleGrid, Stack, TextInput } from "@mantine/core";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { useSession } from "@/components/session/session-context";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";
import { SubnetFields } from "./subnet-fields";
import { initialSubnetValues, SUBNET_FIELDS, subnetPayload, type SubnetFormValues } from "./subnet-form";

interface CreateNetworkValues {
  name: string;
  /** NumberInput gives "" while empty (= the server's default, 1450: a VXLAN overlay on a 1500-byte underlay). */
  mtu: number | string;
  shared: boolean;
  /** Neutron's router:external (cloud admins): routers take their gateway here, floating IPs come from it. */
  routerExternal: boolean;
  withSubnet: boolean;
  subnet: SubnetFormValues;
}

const initialValues: CreateNetworkValues = {
  name: "",
  mtu: 1450,
  shared: false,
  routerExternal: false,
  withSubnet: true,
  subnet: initialSubnetValues,
};
const FORM_FIELDS: readonly string[] = ["name", "mtu", "shared", "routerExternal", ...SUBNET_FIELDS.map((f) => `subnet.${f}`)];

function toInput(values: CreateNetworkValues) {
  return {
    name: values.name,
    mtu: typeof values.mtu === "number" ? values.mtu : undefined,
    shared: values.shared,
    routerExternal: values.routerExternal,
    subnet: values.withSubnet ? subnetPayload(values.subnet) : null,
  };
}

/** The create-network dialog: a name, the MTU, sharing (cloud admins) and an optional first subnet. */
export function CreateNetworkModal({ opened, onClose, onCreated }: { opened: boolean; onClose(): void; onCreated(): void }) {
  return (
    <Modal opened={opened} onClose={onClose} title="Create a network" centered size="lg">
      <CreateNetworkForm onCancel={onClose} onCreated={onCreated} />
    </Modal>
  );
}

function CreateNetworkForm({ onCancel, onCreated }: { onCancel(): void; onCreated(): void }) {
  const trpc = useTRPC();
  const principal = useSession();
  const {
    values,
    edit,
    mutation: create,
    error,
    fieldError,
    placed,
  } = useMutationForm(initialValues, FORM_FIELDS, trpc.networks.create.mutationOptions({ onSuccess: onCreated }));

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(toInput(values));
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <TextInput
            label="Network name"
            required
            value={values.name}
            onChange={(e) => edit({ name: e.currentTarget.value })}
            error={fieldError("name")}
          />
          <NumberInput
            label="MTU"
            description="Bytes; blank: 1450 (a VXLAN overlay on a 1500-byte underlay)."
            min={68}
            max={9000}
            clampBehavior="none"
            allowDecimal={false}
            allowNegative={false}
            value={values.mtu}
            onChange={(mtu) => edit({ mtu })}
            error={fieldError("mtu")}
          />
        </SimpleGrid>
        {principal.isAdmin && (
          <Checkbox
            label="Shared with every project"
            description="Only cloud administrators can share a network."
            checked={values.shared}
            onChange={(e) => edit({ shared: e.currentTarget.checked })}
            error={fieldError("shared")}
          />
        )}
        {principal.isAdmin && (
          <Checkbox
            label="External network"
            description="Every project sees it: routers take their gateway here and floating IPs come from its subnets."
            checked={values.routerExternal}
            onChange={(e) => edit({ routerExternal: e.currentTarget.checked })}
            error={fieldError("routerExternal")}
          />
        )}
        <Divider />
        <Checkbox
          label="Create a first subnet"
          description="Without a subnet the network has no addresses to give."
          checked={values.withSubnet}
          onChange={(e) => edit({ withSubnet: e.currentTarget.checked })}
        />
        {values.withSubnet && (
          <SubnetFields
            values={values.subnet}
            onChange={(next) => edit({ subnet: { ...values.subnet, ...next } })}
            error={(field) => fieldError(`subnet.${field}`)}
          />
        )}
        <FormFooter
          error={placed ? null : error}
          errorTitle="Could not create the network"
          submitLabel="Create network"
          pending={create.isPending}
          onCancel={onCancel}
        />
      </Stack>
    </form>
  );
}
