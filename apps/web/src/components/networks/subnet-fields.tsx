"use client";

import { Checkbox, SimpleGrid, Stack, Textarea, TextInput } from "@mantine/core";
import { MONOSPACE_INPUT } from "@/components/common/input-styles";
import type { SubnetField, SubnetFormValues } from "./subnet-form";

interface SubnetFieldsProps {
  values: SubnetFormValues;
  onChange(next: Partial<SubnetFormValues>): void;
  /** The server's message for a field, if any. */
  error(field: SubnetField): string | undefined;
}

/** The fields of a subnet: addressing, gateway, pools, DNS and DHCP. */
export function SubnetFields({ values, onChange, error }: SubnetFieldsProps) {
  return (
    <Stack gap="sm">
      <SimpleGrid cols={{ base: 1, xs: 2 }}>
        <TextInput
          label="Subnet name"
          description="Optional."
          value={values.name}
          onChange={(e) => onChange({ name: e.currentTarget.value })}
          error={error("name")}
        />
        <TextInput
          label="Network address (CIDR)"
          description="For example 10.0.0.0/24."
          required
          styles={MONOSPACE_INPUT}
          value={values.cidr}
          onChange={(e) => onChange({ cidr: e.currentTarget.value })}
          error={error("cidr")}
        />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, xs: 2 }}>
        <TextInput
          label="Gateway IP"
          description={values.noGateway ? "This subnet has no gateway." : "Blank: the first address of the CIDR."}
          disabled={values.noGateway}
          value={values.noGateway ? "" : values.gatewayIp}
          onChange={(e) => onChange({ gatewayIp: e.currentTarget.value })}
          error={error("gatewayIp")}
        />
        <Stack gap="xs" justify="center">
          <Checkbox label="No gateway" checked={values.noGateway} onChange={(e) => onChange({ noGateway: e.currentTarget.checked })} />
          <Checkbox
            label="Enable DHCP"
            checked={values.enableDhcp}
            onChange={(e) => onChange({ enableDhcp: e.currentTarget.checked })}
            error={error("enableDhcp")}
          />
        </Stack>
      </SimpleGrid>
      <Textarea
        label="Allocation pools"
        description="One range a line, such as 10.0.0.10 - 10.0.0.50. Blank: every host address except the gateway."
        autosize
        minRows={2}
        value={values.allocationPools}
        onChange={(e) => onChange({ allocationPools: e.currentTarget.value })}
        error={error("allocationPools")}
      />
      <TextInput
        label="DNS nameservers"
        description="IPv4 addresses separated by commas, at most 5."
        value={values.dnsNameservers}
        onChange={(e) => onChange({ dnsNameservers: e.currentTarget.value })}
        error={error("dnsNameservers")}
      />
    </Stack>
  );
}
