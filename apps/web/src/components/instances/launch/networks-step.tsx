"use client";

import { Badge, Radio, Table, Text } from "@mantine/core";
import { launchInstanceFields } from "@nimbus/core/validation";
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

export function NetworksStep({ networks, values, errors, onChange }: NetworksStepProps) {
  if (networks.length === 0) return <Text c="dimmed">No networks are available to this project.</Text>;
  return (
    <Radio.Group label="Network" description="Choose the network the instance is attached to." value={values.networkId} onChange={(networkId) => onChange({ networkId })} error={errors.networkId}>
      <Table highlightOnHover mt="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40} />
            <Table.Th>Name</Table.Th>
            <Table.Th>CIDR</Table.Th>
            <Table.Th>Gateway</Table.Th>
            <Table.Th>Sharing</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {networks.map((network) => (
            <Table.Tr key={network.id} onClick={() => onChange({ networkId: network.id })} style={{ cursor: "pointer" }}>
              <Table.Td>
                <Radio value={network.id} aria-label={`Select network ${network.name}`} />
              </Table.Td>
              <Table.Td fw={500}>{network.name}</Table.Td>
              <Table.Td ff="monospace">{network.cidr}</Table.Td>
              <Table.Td ff="monospace">{network.gatewayIp ?? "—"}</Table.Td>
              <Table.Td>
                <Badge variant="light" color={network.shared ? "blue" : "gray"}>
                  {network.shared ? "Shared" : "Project"}
                </Badge>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Radio.Group>
  );
}
