"use client";

import { Radio, Text } from "@mantine/core";
import { launchInstanceFields } from "@nimbus/core/validation";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
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
  /** Why no enabled, up host could take this flavor right now (counts only, no host names), or null. */
  noHostReasonOf(flavor: Flavor): string | null;
}

export function FlavorStep({ flavors, image, values, errors, onChange, quotaBlockerOf, noHostReasonOf }: FlavorStepProps) {
  if (flavors.length === 0) return <Text c="dimmed">No flavors are available to this project.</Text>;
  const unavailable = (flavor: Flavor) => flavorUnavailable(flavor, image, quotaBlockerOf);
  const reasonId = (flavor: Flavor) => `flavor-${flavor.id}-unavailable`;
  const noHostId = (flavor: Flavor) => `flavor-${flavor.id}-no-host`;
  const columns: DataTableColumn<Flavor>[] = [
    {
      key: "select",
      header: "",
      width: 40,
      cell: (flavor) => {
        const why = unavailable(flavor);
        const describedBy = why ? reasonId(flavor) : noHostReasonOf(flavor) ? noHostId(flavor) : undefined;
        return <Radio value={flavor.id} aria-label={`Select flavor ${flavor.name}`} disabled={why !== null} aria-describedby={describedBy} />;
      },
    },
    {
      key: "name",
      header: "Name",
      sortValue: (flavor) => flavor.name,
      cell: (flavor) => {
        const why = unavailable(flavor);
        const noHost = why ? null : noHostReasonOf(flavor);
        return (
          <>
            <Text size="sm" fw={500}>
              {flavor.name}
            </Text>
            {why && (
              <Text size="xs" c="orange.8" id={reasonId(flavor)}>
                {why}
              </Text>
            )}
            {noHost && (
              <Text size="xs" c="orange.9" id={noHostId(flavor)}>
                No host can take it right now: {noHost}
              </Text>
            )}
          </>
        );
      },
    },
    { key: "vcpus", header: "vCPUs", cell: (flavor) => flavor.vcpus, sortValue: (flavor) => flavor.vcpus },
    { key: "ram", header: "RAM", cell: (flavor) => formatMemory(flavor.memoryMb), sortValue: (flavor) => flavor.memoryMb },
    { key: "disk", header: "Root disk", cell: (flavor) => `${flavor.rootGb} GB`, sortValue: (flavor) => flavor.rootGb },
  ];
  return (
    <Radio.Group
      label="Flavor"
      description="Choose the size of each instance."
      value={values.flavorId}
      onChange={(flavorId) => onChange({ flavorId })}
      error={errors.flavorId}
    >
      <DataTable
        mt="xs"
        verticalSpacing="xs"
        columns={columns}
        rows={flavors}
        rowKey={(flavor) => flavor.id}
        isRowSelected={(flavor) => flavor.id === values.flavorId}
        rowProps={(flavor) =>
          unavailable(flavor)
            ? { style: { cursor: "not-allowed" }, c: "dimmed" }
            : { onClick: () => onChange({ flavorId: flavor.id }), style: { cursor: "pointer" } }
        }
      />
    </Radio.Group>
  );
}
