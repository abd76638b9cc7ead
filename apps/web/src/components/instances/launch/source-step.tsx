"use client";

import { Badge, NumberInput, Radio, SegmentedControl, Select, Stack, Switch, Text } from "@mantine/core";
import { bootSourceSchema, launchInstanceFields, MAX_VOLUME_GB } from "@nimbus/core/validation";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { Image } from "@/lib/api-types";
import { formatBytes } from "@/lib/format";
import { validateStep, type StepErrors } from "./step-validation";

type BootSourceKind = "image" | "image-to-volume" | "volume";

/** Step 2, Source: what the instances boot from (Horizon's Boot Source). */
export interface SourceValues {
  kind: BootSourceKind;
  /** "" until an image is chosen (image and image-to-volume). */
  imageId: string;
  /** image-to-volume: size of the new volume; NumberInput gives "" while empty. */
  volumeSizeGb: number | string;
  /** volume: "" until a volume is chosen. */
  volumeId: string;
  /** Whether the boot volume goes when the instance is deleted. */
  deleteOnTermination: boolean;
}
export type SourceField = "imageId" | "bootSource";

export const sourceSchema = launchInstanceFields
  .pick({ imageId: true, bootSource: true })
  .refine((v) => v.bootSource.type === "volume" || v.imageId !== null, { path: ["imageId"], message: "Choose an image." });
export const SOURCE_FIELDS: readonly SourceField[] = ["imageId", "bootSource"];
/** Each value's launch input field: the volume choices travel inside bootSource. */
export const SOURCE_INPUT_FIELD: Record<keyof SourceValues, SourceField> = {
  kind: "bootSource",
  imageId: "imageId",
  volumeSizeGb: "bootSource",
  volumeId: "bootSource",
  deleteOnTermination: "bootSource",
};
export const initialSource: SourceValues = { kind: "image", imageId: "", volumeSizeGb: 1, volumeId: "", deleteOnTermination: true };

export function sourcePayload(values: SourceValues) {
  const imageId = values.kind === "volume" || values.imageId === "" ? null : values.imageId;
  const bootSource =
    values.kind === "image"
      ? { type: "image" as const }
      : values.kind === "image-to-volume"
        ? {
            type: "image-to-volume" as const,
            sizeGb: typeof values.volumeSizeGb === "number" ? values.volumeSizeGb : Number.NaN,
            deleteOnTermination: values.deleteOnTermination,
          }
        : { type: "volume" as const, volumeId: values.volumeId, deleteOnTermination: values.deleteOnTermination };
  return { imageId, bootSource };
}

export function validateSource(values: SourceValues): StepErrors<SourceField> {
  const errors = validateStep<SourceField>(sourceSchema, sourcePayload(values), { imageId: "Choose an image." });
  if (errors.bootSource) {
    // Name what is wrong in the words of the field on screen.
    const parsed = bootSourceSchema.safeParse(sourcePayload(values).bootSource);
    if (!parsed.success) errors.bootSource = parsed.error.issues[0]?.message ?? errors.bootSource;
  }
  return errors;
}

/** A volume as the step offers it (bootable, available ones can be chosen). */
interface BootVolume {
  id: string;
  name: string;
  sizeGb: number;
  status: string;
  bootable: boolean;
}

interface SourceStepProps {
  images: Image[];
  volumes: BootVolume[];
  values: SourceValues;
  errors: StepErrors<SourceField>;
  onChange(values: SourceValues): void;
}

export function SourceStep({ images, volumes, values, errors, onChange }: SourceStepProps) {
  const bootable = volumes.filter((v) => v.bootable && v.status === "available");
  return (
    <Stack>
      <Stack gap={4}>
        <Text size="sm" fw={500} id="boot-source-label">
          Boot source
        </Text>
        <SegmentedControl
          aria-labelledby="boot-source-label"
          value={values.kind}
          onChange={(kind) => onChange({ ...values, kind: kind as BootSourceKind })}
          data={[
            { value: "image", label: "Image" },
            { value: "image-to-volume", label: "Image on a new volume" },
            { value: "volume", label: "Existing volume" },
          ]}
        />
      </Stack>
      {values.kind === "volume" ? (
        <Select
          label="Volume"
          description="A bootable, available volume of this project."
          placeholder={bootable.length === 0 ? "No bootable volumes" : "Choose a volume"}
          data={bootable.map((v) => ({ value: v.id, label: `${v.name} (${v.sizeGb} GB)` }))}
          value={values.volumeId || null}
          onChange={(volumeId) => onChange({ ...values, volumeId: volumeId ?? "" })}
          error={errors.bootSource}
        />
      ) : (
        <ImageTable images={images} values={values} errors={errors} onChange={onChange} />
      )}
      {values.kind === "image-to-volume" && (
        <NumberInput
          label="Volume size (GB)"
          min={1}
          max={MAX_VOLUME_GB}
          value={values.volumeSizeGb}
          onChange={(volumeSizeGb) => onChange({ ...values, volumeSizeGb })}
          error={errors.bootSource}
          w={200}
        />
      )}
      {values.kind !== "image" && (
        <Switch
          label="Delete the volume when the instance is deleted"
          checked={values.deleteOnTermination}
          onChange={(e) => onChange({ ...values, deleteOnTermination: e.currentTarget.checked })}
        />
      )}
    </Stack>
  );
}

const IMAGE_COLUMNS: DataTableColumn<Image>[] = [
  { key: "select", header: "", width: 40, cell: (image) => <Radio value={image.id} aria-label={`Select image ${image.name}`} /> },
  { key: "name", header: "Name", cell: (image) => image.name, sortValue: (image) => image.name, cellProps: { fw: 500 } },
  {
    key: "status",
    header: "Status",
    cell: (image) => (
      <Badge variant="light" color={image.status === "active" ? "green" : "gray"}>
        {image.status}
      </Badge>
    ),
  },
  { key: "format", header: "Format", cell: (image) => image.diskFormat ?? "—" },
  { key: "size", header: "Size", cell: (image) => formatBytes(image.sizeBytes), sortValue: (image) => image.sizeBytes },
  {
    key: "minimum",
    header: "Minimum RAM / disk",
    cell: (image) => `${image.minRamMb > 0 ? `${image.minRamMb} MB` : "—"} / ${image.minDiskGb > 0 ? `${image.minDiskGb} GB` : "—"}`,
  },
];

function ImageTable({ images, values, errors, onChange }: Omit<SourceStepProps, "volumes">) {
  if (images.length === 0) return <Text c="dimmed">No images are available to this project. Upload one on the Images page.</Text>;
  return (
    <Radio.Group
      label="Image"
      description="Choose the image the instance boots from."
      value={values.imageId}
      onChange={(imageId) => onChange({ ...values, imageId })}
      error={errors.imageId}
    >
      <DataTable
        mt="xs"
        verticalSpacing="xs"
        columns={IMAGE_COLUMNS}
        rows={images}
        rowKey={(image) => image.id}
        isRowSelected={(image) => image.id === values.imageId}
        rowProps={(image) => ({ onClick: () => onChange({ ...values, imageId: image.id }), style: { cursor: "pointer" } })}
      />
    </Radio.Group>
  );
}
