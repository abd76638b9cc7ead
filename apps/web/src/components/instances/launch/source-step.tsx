"use client";

import { Badge, Radio, Table, Text } from "@mantine/core";
import { launchInstanceFields } from "@nimbus/core/validation";
import type { Image } from "@/lib/api-types";
import { formatBytes } from "@/lib/format";
import { validateStep, type StepErrors } from "./step-validation";

/** Step 2, Source: the image the instances boot from. */
export interface SourceValues {
  /** "" until an image is chosen. */
  imageId: string;
}
export type SourceField = keyof SourceValues;

export const sourceSchema = launchInstanceFields.pick({ imageId: true });
export const SOURCE_FIELDS: readonly SourceField[] = ["imageId"];
export const initialSource: SourceValues = { imageId: "" };

export function sourcePayload(values: SourceValues) {
  return { imageId: values.imageId };
}

export function validateSource(values: SourceValues): StepErrors<SourceField> {
  return validateStep<SourceField>(sourceSchema, sourcePayload(values));
}

interface SourceStepProps {
  images: Image[];
  values: SourceValues;
  errors: StepErrors<SourceField>;
  onChange(values: SourceValues): void;
}

export function SourceStep({ images, values, errors, onChange }: SourceStepProps) {
  if (images.length === 0) return <Text c="dimmed">No images are available to this project. Ask your cloud administrator to upload one.</Text>;
  return (
    <Radio.Group label="Image" description="Choose the image the instance boots from." value={values.imageId} onChange={(imageId) => onChange({ imageId })} error={errors.imageId}>
      <Table highlightOnHover mt="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40} />
            <Table.Th>Name</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Format</Table.Th>
            <Table.Th>Size</Table.Th>
            <Table.Th>Minimum RAM / disk</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {images.map((image) => (
            <Table.Tr key={image.id} onClick={() => onChange({ imageId: image.id })} style={{ cursor: "pointer" }}>
              <Table.Td>
                <Radio value={image.id} aria-label={`Select image ${image.name}`} />
              </Table.Td>
              <Table.Td fw={500}>{image.name}</Table.Td>
              <Table.Td>
                <Badge variant="light" color={image.status === "active" ? "green" : "gray"}>
                  {image.status}
                </Badge>
              </Table.Td>
              <Table.Td>{image.diskFormat ?? "—"}</Table.Td>
              <Table.Td>{formatBytes(image.sizeBytes)}</Table.Td>
              <Table.Td>
                {image.minRamMb > 0 ? `${image.minRamMb} MB` : "—"} / {image.minDiskGb > 0 ? `${image.minDiskGb} GB` : "—"}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Radio.Group>
  );
}
