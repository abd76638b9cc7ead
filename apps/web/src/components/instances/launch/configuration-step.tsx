"use client";

import { ActionIcon, Button, Checkbox, Group, Stack, Text, Textarea, TextInput } from "@mantine/core";
import { launchInstanceFields, MAX_USER_DATA_BYTES } from "@nimbus/core/validation";
import { CrossIcon } from "@/components/common/icons";
import { validateStep, type StepErrors } from "./step-validation";

/** Configuration (optional): what the guest receives on its config drive. */
export interface ConfigurationValues {
  /** cloud-init user data as typed; "" for none. */
  userData: string;
  /** Server metadata, edited as rows; blank rows are ignored. */
  metadata: { key: string; value: string }[];
  configDrive: boolean;
}
export type ConfigurationField = "userData" | "metadata" | "configDrive";

export const configurationSchema = launchInstanceFields.pick({ userData: true, metadata: true, configDrive: true });
export const CONFIGURATION_FIELDS: readonly ConfigurationField[] = ["userData", "metadata", "configDrive"];
export const initialConfiguration: ConfigurationValues = { userData: "", metadata: [], configDrive: true };

export function configurationPayload(values: ConfigurationValues) {
  const metadata: Record<string, string> = {};
  for (const { key, value } of values.metadata) if (key.trim()) metadata[key.trim()] = value;
  return { userData: values.userData === "" ? null : values.userData, metadata, configDrive: values.configDrive };
}

export function validateConfiguration(values: ConfigurationValues): StepErrors<ConfigurationField> {
  const errors = validateStep<ConfigurationField>(configurationSchema, configurationPayload(values));
  const keys = values.metadata.map((m) => m.key.trim()).filter(Boolean);
  if (!errors.metadata && new Set(keys).size !== keys.length) errors.metadata = "Each metadata key can be used once.";
  return errors;
}

interface ConfigurationStepProps {
  values: ConfigurationValues;
  errors: StepErrors<ConfigurationField>;
  onChange(values: ConfigurationValues): void;
}

export function ConfigurationStep({ values, errors, onChange }: ConfigurationStepProps) {
  const bytes = new TextEncoder().encode(values.userData).length;
  const setRow = (index: number, row: { key: string; value: string }) =>
    onChange({ ...values, metadata: values.metadata.map((r, i) => (i === index ? row : r)) });
  return (
    <Stack>
      <Textarea
        label="User data"
        description={`A cloud-init script or #cloud-config, handed to the guest on its config drive (${Math.ceil(bytes / 1024)} of ${MAX_USER_DATA_BYTES / 1024} KiB).`}
        placeholder={"#cloud-config\npackages: [nginx]"}
        autosize
        minRows={4}
        maxRows={14}
        styles={{ input: { fontFamily: "monospace" } }}
        value={values.userData}
        onChange={(e) => onChange({ ...values, userData: e.currentTarget.value })}
        error={errors.userData}
      />
      <Stack gap="xs">
        <Text size="sm" fw={500}>
          Metadata
        </Text>
        <Text size="xs" c="dimmed">
          Key–value pairs the guest can read (meta_data.json&apos;s &quot;meta&quot;).
        </Text>
        {values.metadata.map((row, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions in the form (their inputs are controlled); a removed row's values move up with it
          <Group key={index} gap="xs" align="flex-start">
            <TextInput
              aria-label={`Metadata key ${index + 1}`}
              placeholder="key"
              value={row.key}
              onChange={(e) => setRow(index, { ...row, key: e.currentTarget.value })}
            />
            <TextInput
              aria-label={`Metadata value ${index + 1}`}
              placeholder="value"
              value={row.value}
              onChange={(e) => setRow(index, { ...row, value: e.currentTarget.value })}
              style={{ flex: 1 }}
            />
            <ActionIcon
              variant="subtle"
              color="red"
              aria-label={`Remove metadata item ${index + 1}`}
              onClick={() => onChange({ ...values, metadata: values.metadata.filter((_, i) => i !== index) })}
            >
              <CrossIcon />
            </ActionIcon>
          </Group>
        ))}
        {errors.metadata && (
          <Text size="xs" c="red" role="alert">
            {errors.metadata}
          </Text>
        )}
        <Button
          variant="light"
          size="xs"
          w="fit-content"
          onClick={() => onChange({ ...values, metadata: [...values.metadata, { key: "", value: "" }] })}
        >
          Add metadata item
        </Button>
      </Stack>
      <Checkbox
        label="Config drive"
        description="Attach a config drive (OpenStack layout, label config-2) with the hostname, keys, network and user data, so cloud-init works without a metadata service."
        checked={values.configDrive}
        onChange={(e) => onChange({ ...values, configDrive: e.currentTarget.checked })}
        error={errors.configDrive}
      />
    </Stack>
  );
}
