"use client";

import { Radio, Table, Text } from "@mantine/core";
import { launchInstanceFields } from "@nimbus/core/validation";
import type { Flavor, Image } from "@/lib/api-types";
import { formatMemory } from "@/lib/format";
import { validateStep, type StepErrors } from "./step-validation";

/** Step 3, Flavor: the size of each instance. */
export interface FlavorValues {
  /** "" until a flavor is chosen. */
  flavorId: string;
}
export type FlavorField = keyof FlavorValues;

export const flavorSchema = launchInstanceFields.pick({ flavorId: true });
export const FLAVOR_FIELDS: readonly FlavorField[] = ["flavorId"];
export const initialFlavor: FlavorValues = { flavorId: "" };

export function flavorPayload(values: FlavorValues) {
  return { flavorId: values.flavorId };
}

export function validateFlavor(values: FlavorValues): StepErrors<FlavorField> {
  return validateStep<FlavorField>(flavorSchema, flavorPayload(values));
}

/** Why a flavor is too small for the chosen image, or null. The server checks this too. */
function tooSmallFor(flavor: Flavor, image: Image | undefined): string | null {
  if (!image) return null;
  if (flavor.memoryMb < image.minRamMb) return `${image.name} needs at least ${formatMemory(image.minRamMb)} of RAM.`;
  if (flavor.rootGb < image.minDiskGb) return `${image.name} needs a disk of at least ${image.minDiskGb} GB.`;
  return null;
}

/**
 * Why this flavor cannot be launched, or null: too small for the image, or over the project's
 * quota with the chosen count. The server refuses both; the wizard does not offer them.
 */
export function flavorUnavailable(flavor: Flavor, image: Image | undefined, quotaBlockerOf: (flavor: Flavor) => string | null): string | null {
  return tooSmallFor(flavor, image) ?? quotaBlockerOf(flavor);
}

interface FlavorStepProps {
  flavors: Flavor[];
  image: Image | undefined;
  values: FlavorValues;
  errors: StepErrors<FlavorField>;
  onChange(values: FlavorValues): void;
  /** Why launching this flavor with the chosen count would exceed the quota, or null. */
  quotaBlockerOf(flavor: Flavor): string | null;
}

export function FlavorStep({ flavors, image, values, errors, onChange, quotaBlockerOf }: FlavorStepProps) {
  if (flavors.length === 0) return <Text c="dimmed">No flavors are available to this project.</Text>;
  return (
    <Radio.Group label="Flavor" description="Choose the size of each instance." value={values.flavorId} onChange={(flavorId) => onChange({ flavorId })} error={errors.flavorId}>
      <Table highlightOnHover mt="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40} />
            <Table.Th>Name</Table.Th>
            <Table.Th>vCPUs</Table.Th>
            <Table.Th>RAM</Table.Th>
            <Table.Th>Root disk</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {flavors.map((flavor) => {
            const unavailable = flavorUnavailable(flavor, image, quotaBlockerOf);
            const reasonId = `flavor-${flavor.id}-unavailable`;
            return (
              <Table.Tr
                key={flavor.id}
                onClick={unavailable ? undefined : () => onChange({ flavorId: flavor.id })}
                style={{ cursor: unavailable ? "not-allowed" : "pointer" }}
                c={unavailable ? "dimmed" : undefined}
              >
                <Table.Td>
                  <Radio value={flavor.id} aria-label={`Select flavor ${flavor.name}`} disabled={unavailable !== null} aria-describedby={unavailable ? reasonId : undefined} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {flavor.name}
                  </Text>
                  {unavailable && (
                    <Text size="xs" c="orange.8" id={reasonId}>
                      {unavailable}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{flavor.vcpus}</Table.Td>
                <Table.Td>{formatMemory(flavor.memoryMb)}</Table.Td>
                <Table.Td>{flavor.rootGb} GB</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Radio.Group>
  );
}
