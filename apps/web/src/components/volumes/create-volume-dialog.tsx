"use client";

import { Modal, NumberInput, Select, Stack, TextInput } from "@mantine/core";
import { MAX_VOLUME_GB } from "@nimbus/core/validation";
import { minimumVolumeGb } from "@nimbus/core/volume-validation";
import { useQuery } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";

interface VolumeFormValues {
  name: string;
  description: string;
  /** NumberInput gives "" while empty. */
  sizeGb: number | string;
  /** "" for a blank volume. */
  imageId: string;
}
const FORM_FIELDS: readonly string[] = ["name", "description", "sizeGb", "imageId"];
const initialValues: VolumeFormValues = { name: "", description: "", sizeGb: 1, imageId: "" };

/**
 * Creates a blank volume, or a bootable one made from an image; the server's refusals show next to
 * the fields. On success it calls onCreated (the page refreshes what it shows), then closes.
 */
export function CreateVolumeDialog({ opened, onClose, onCreated }: { opened: boolean; onClose(): void; onCreated(): void }) {
  const trpc = useTRPC();
  const images = useQuery({ ...trpc.catalog.images.queryOptions(), enabled: opened });
  const {
    values,
    edit,
    mutation: create,
    error,
    fieldError,
    placed,
  } = useMutationForm(
    initialValues,
    FORM_FIELDS,
    trpc.volumes.create.mutationOptions({
      onSuccess: () => {
        onCreated();
        onClose();
      },
    }),
  );
  const image = images.data?.find((i) => i.id === values.imageId);

  function close() {
    create.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({
      name: values.name,
      description: values.description,
      // An empty size goes as NaN, so the server names the field.
      sizeGb: typeof values.sizeGb === "number" ? values.sizeGb : Number.NaN,
      imageId: values.imageId || null,
    });
  }

  return (
    <Modal opened={opened} onClose={close} title="Create volume" centered>
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Volume name"
            required
            data-autofocus
            autoComplete="off"
            value={values.name}
            onChange={(e) => edit({ name: e.currentTarget.value })}
            error={fieldError("name")}
          />
          <TextInput
            label="Description"
            value={values.description}
            onChange={(e) => edit({ description: e.currentTarget.value })}
            error={fieldError("description")}
          />
          <Select
            label="Source image"
            description="Make the volume from an image to boot from it; leave empty for a blank volume."
            placeholder={images.isPending ? "Loading images…" : "None (blank volume)"}
            clearable
            searchable
            data={(images.data ?? []).map((i) => ({ value: i.id, label: i.name }))}
            value={values.imageId || null}
            onChange={(imageId) => {
              const chosen = images.data?.find((i) => i.id === imageId);
              const size = typeof values.sizeGb === "number" ? values.sizeGb : 0;
              edit({ imageId: imageId ?? "", ...(chosen && size < minimumVolumeGb(chosen) ? { sizeGb: minimumVolumeGb(chosen) } : {}) });
            }}
            error={fieldError("imageId") ?? (images.isError ? "Could not load the images." : undefined)}
          />
          <NumberInput
            label="Size (GB)"
            description={image ? `Image ${image.name} needs at least ${minimumVolumeGb(image)} GB.` : undefined}
            required
            min={1}
            max={MAX_VOLUME_GB}
            clampBehavior="none"
            allowDecimal={false}
            allowNegative={false}
            value={values.sizeGb}
            onChange={(sizeGb) => edit({ sizeGb })}
            error={fieldError("sizeGb")}
          />
          <FormFooter
            error={placed ? null : error}
            errorTitle="Could not create the volume"
            submitLabel="Create volume"
            pending={create.isPending}
            onCancel={close}
          />
        </Stack>
      </form>
    </Modal>
  );
}
