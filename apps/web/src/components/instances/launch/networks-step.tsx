"use client";

import { Badge, Radio, Text } from "@mantine/core";
import { launchInstanceFields } from "@nimbus/core/validation";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { Network } from "@/lib/api-types";
import { validateStep, type StepErrors } from "./step-validation";

/** Step 4, Networks: the network each instance gets a port on. */
export interface NetworkValues {
  /** "" until a network is chosen. */
  networkId: string;
}
export type NetworkField = keyof NetworkValues;

export const networkSchema = launchInstanceFields.pick({ networkId: true });
export const NETWORK_FIELDS: readonly NetworkField[] = ["networkId"];
export const initialNetwork: NetworkValues = { networkId: "" };

export function networkPayload(values: NetworkValues) {
  return { networkId: values.networkId };
}

export function validateNetwork(values: NetworkValues): StepErrors<NetworkField> {
  return validateStep<NetworkField>(networkSchema, networkPayload(values));
}

interface NetworksStepProps {
  networks: Network[];
  values: NetworkValues;
  errors: StepErrors<NetworkField>;
  onChange(values: NetworkValues): void;
}

const COLUMNS: DataTableColumn<Network>[] = [
  { key: "select", header: "", width: 40, cell: (network) => <Radio value={network.id} aria-label={`Select network ${network.name}`} /> },
  { key: "name", header: "Name", cell: (network) => network.name, sortValue: (network) => network.name, cellProps: { fw: 500 } },
  { key: "cidr", header: "CIDR", cell: (network) => network.cidr, sortValue: (network) => network.cidr, cellProps: { ff: "monospace" } },
  { key: "gateway", header: "Gateway", cell: (network) => network.gatewayIp ?? "—", cellProps: { ff: "monospace" } },
  {
    key: "sharing",
    header: "Sharing",
    cell: (network) => (
      <Badge variant="light" color={network.shared ? "blue" : "gray"}>
        {network.shared ? "Shared" : "Project"}
      </Badge>
    ),
  },
];

export function NetworksStep({ networks, values, errors, onChange }: NetworksStepProps) {
  if (networks.length === 0) return <Text c="dimmed">No networks are available to this project.</Text>;
  return (
    <Radio.Group
      label="Network"
      description="Choose the network the instance is attached to."
      value={values.networkId}
      onChange={(networkId) => onChange({ networkId })}
      error={errors.networkId}
    >
      <DataTable
        mt="xs"
        verticalSpacing="xs"
        columns={COLUMNS}
        rows={networks}
        rowKey={(network) => network.id}
        isRowSelected={(network) => network.id === values.networkId}
        rowProps={(network) => ({ onClick: () => onChange({ networkId: network.id }), style: { cursor: "pointer" } })}
      />
    </Radio.Group>
  );
}
