"use client";

import { Checkbox, Divider, Modal, NumberInput, Select, SimpleGrid, Stack, TextInput } from "@mantine/core";
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
  /** Neutron's provider:network_type (cloud admins): the overlay, a host bridge, or a VLAN on a host interface. */
  networkType: NetworkType;
  /** provider:physical_network of a flat or vlan network (a name the hosts map in NIMBUS_PHYSNETS). */
  physicalNetwork: string;
  /** provider:segmentation_id of a vlan network; "" = one from the cloud's VLAN ranges. */
  vlanId: number | string;
  withSubnet: boolean;
  subnet: SubnetFormValues;
}

type NetworkType = "vxlan" | "flat" | "vlan";
const NETWORK_TYPES: { value: NetworkType; label: string }[] = [
  { value: "vxlan", label: "Overlay (VXLAN), across every host" },
  { value: "flat", label: "Flat, on a physical network" },
  { value: "vlan", label: "VLAN, on a physical network" },
];
const isNetworkType = (value: string | null): value is NetworkType => NETWORK_TYPES.some((t) => t.value === value);
/** The MTU the form shows for each type: the overlay's headers cost 50 bytes of a 1500-byte frame; a VLAN tag costs none. */
const DEFAULT_MTU: Record<NetworkType, number> = { vxlan: 1450, flat: 1450, vlan: 1500 };

const initialValues: CreateNetworkValues = {
  name: "",
  mtu: 1450,
  shared: false,
  routerExternal: false,
  networkType: "vxlan",
  physicalNetwork: "",
  vlanId: "",
  withSubnet: true,
  subnet: initialSubnetValues,
};
const FORM_FIELDS: readonly string[] = [
  "name",
  "mtu",
  "shared",
  "routerExternal",
  "provider",
  "provider.networkType",
  "provider.physicalNetwork",
  "provider.segmentationId",
  ...SUBNET_FIELDS.map((f) => `subnet.${f}`),
];

function toInput(values: CreateNetworkValues) {
  return {
    name: values.name,
    mtu: typeof values.mtu === "number" ? values.mtu : undefined,
    shared: values.shared,
    routerExternal: values.routerExternal,
    provider:
      values.networkType === "vxlan"
        ? null
        : {
            networkType: values.networkType,
            physicalNetwork: values.physicalNetwork.trim() || null,
            segmentationId: values.networkType === "vlan" && typeof values.vlanId === "number" ? values.vlanId : null,
          },
    subnet: values.withSubnet ? subnetPayload(values.subnet) : null,
  };
}

/** The create-network dialog: a name, the MTU, sharing, external and provider attributes (cloud admins) and an optional first subnet. */
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
            description={
              values.networkType === "vlan"
                ? "Bytes; blank: 1500 (a VLAN tag costs the frame nothing)."
                : "Bytes; blank: 1450 (a VXLAN overlay on a 1500-byte underlay)."
            }
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
        {principal.isAdmin && (
          <SimpleGrid cols={{ base: 1, xs: values.networkType === "vxlan" ? 1 : values.networkType === "flat" ? 2 : 3 }}>
            <Select
              label="Network type"
              description="Only cloud administrators choose; projects' networks are on the overlay."
              data={NETWORK_TYPES}
              allowDeselect={false}
              value={values.networkType}
              onChange={(networkType) => {
                if (!isNetworkType(networkType)) return;
                // The MTU follows the type unless the admin typed another one.
                const mtu = values.mtu === DEFAULT_MTU[values.networkType] ? DEFAULT_MTU[networkType] : values.mtu;
                edit({ networkType, mtu });
              }}
              error={fieldError("provider.networkType") ?? fieldError("provider")}
            />
            {values.networkType !== "vxlan" && (
              <TextInput
                label="Physical network"
                description={
                  values.networkType === "vlan"
                    ? "As hosts map it (NIMBUS_PHYSNETS); blank: one with a VLAN range."
                    : "As hosts map it (NIMBUS_PHYSNETS)."
                }
                placeholder="physnet1"
                required={values.networkType === "flat"}
                value={values.physicalNetwork}
                onChange={(e) => edit({ physicalNetwork: e.currentTarget.value })}
                error={fieldError("provider.physicalNetwork")}
              />
            )}
            {values.networkType === "vlan" && (
              <NumberInput
                label="VLAN id"
                description="1–4094; blank: the next free one of the physical network's VLAN range."
                min={1}
                max={4094}
                clampBehavior="none"
                allowDecimal={false}
                allowNegative={false}
                value={values.vlanId}
                onChange={(vlanId) => edit({ vlanId })}
                error={fieldError("provider.segmentationId")}
              />
            )}
          </SimpleGrid>
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
