"use client";

import { Checkbox, FileInput, Group, Modal, NumberInput, Progress, Select, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useRef, useState, type FormEvent, type RefObject } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { formatBytes } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { isPlacedIn, toFormError } from "@/lib/trpc-error";
import { IMAGE_KIND_LABEL, type ImageKind, type ImageSummary } from "./image-display";
import { ImageUploadFailed, uploadImageFile, type UploadProgress } from "./upload-image-file";

interface CreateImageValues {
  name: string;
  kind: ImageKind;
  visibility: "private" | "shared" | "public";
  /** NumberInput gives "" while empty (= 0). */
  minRamMb: number | string;
  minDiskGb: number | string;
  protected: boolean;
  architecture: string;
  osType: string;
  hypervisorType: string;
  kernelId: string | null;
  ramdiskId: string | null;
  osCommandLine: string;
}

const initialValues: CreateImageValues = {
  name: "",
  kind: "disk",
  visibility: "private",
  minRamMb: "",
  minDiskGb: "",
  protected: false,
  architecture: "",
  osType: "",
  hypervisorType: "",
  kernelId: null,
  ramdiskId: null,
  osCommandLine: "",
};

/** The inputs of the form that can show a message of their own (images.create's fields, and the file). */
const FORM_FIELDS: readonly string[] = [
  "file",
  "name",
  "kind",
  "visibility",
  "minRamMb",
  "minDiskGb",
  "protected",
  "architecture",
  "osType",
  "hypervisorType",
  "kernelId",
  "ramdiskId",
  "osCommandLine",
];

/** images.create's input: direct-kernel-boot fields for disk images only. */
function toInput(values: CreateImageValues) {
  const disk = values.kind === "disk";
  return {
    name: values.name,
    kind: values.kind,
    visibility: values.visibility,
    minRamMb: typeof values.minRamMb === "number" ? values.minRamMb : 0,
    minDiskGb: typeof values.minDiskGb === "number" ? values.minDiskGb : 0,
    protected: values.protected,
    architecture: values.architecture || null,
    osType: values.osType || null,
    hypervisorType: values.hypervisorType || null,
    kernelId: disk ? values.kernelId : null,
    ramdiskId: disk ? values.ramdiskId : null,
    osCommandLine: disk && values.osCommandLine ? values.osCommandLine : null,
  };
}

const percentOf = ({ sent, total }: UploadProgress) => (total > 0 ? Math.min(100, Math.floor((sent / total) * 100)) : 0);

interface CreateImageDialogProps {
  opened: boolean;
  /** Active images of the project, for the kernel and ramdisk choices. */
  images: ImageSummary[];
  isAdmin: boolean;
  onClose(): void;
  /** The image was created (and, when `uploaded`, its data arrived): refresh the list. */
  onChanged(): void;
}

/** Creates an image and uploads its file with a progress bar; refusals show next to their fields. */
export function CreateImageDialog({ opened, images, isAdmin, onClose, onChanged }: CreateImageDialogProps) {
  const [uploading, setUploading] = useState(false);
  const abort = useRef<AbortController | null>(null);
  function close() {
    abort.current?.abort();
    onClose();
  }
  return (
    <Modal
      opened={opened}
      onClose={close}
      title="Create image"
      centered
      size="lg"
      closeOnClickOutside={!uploading}
      // The dialog never outgrows the screen: its fields scroll, the progress and the buttons stay in view.
      styles={{
        content: { display: "flex", flexDirection: "column", overflow: "hidden" },
        body: { display: "flex", flexDirection: "column", flex: 1, minHeight: 0 },
      }}
    >
      {opened && (
        <CreateImageForm
          images={images}
          isAdmin={isAdmin}
          abort={abort}
          onUploading={setUploading}
          onCancel={close}
          onChanged={onChanged}
          onDone={onClose}
        />
      )}
    </Modal>
  );
}

interface CreateImageFormProps {
  images: ImageSummary[];
  isAdmin: boolean;
  abort: RefObject<AbortController | null>;
  onUploading(uploading: boolean): void;
  onCancel(): void;
  onChanged(): void;
  onDone(): void;
}

function CreateImageForm({ images, isAdmin, abort, onUploading, onCancel, onChanged, onDone }: CreateImageFormProps) {
  const trpc = useTRPC();
  const [values, setValues] = useState(initialValues);
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [uploadFailure, setUploadFailure] = useState<ImageUploadFailed | null>(null);
  const create = useMutation(trpc.images.create.mutationOptions());
  const error = create.error ? toFormError(create.error) : null;
  const placed = isPlacedIn(error, FORM_FIELDS);
  const fieldError = (field: string) => error?.fieldErrors[field]?.[0];
  const disk = values.kind === "disk";
  const busy = create.isPending || progress !== null;
  const kernels = images.filter((i) => i.kind === "kernel" && i.status === "active");
  const ramdisks = images.filter((i) => i.kind === "ramdisk" && i.status === "active");

  function edit(next: Partial<CreateImageValues>) {
    setValues((v) => ({ ...v, ...next }));
    if (create.isError) create.reset();
  }

  function chooseFile(chosen: File | null) {
    setFile(chosen);
    setFileError(null);
    setUploadFailure(null);
    // A name from the file until the user writes one.
    if (chosen && values.name === "") edit({ name: chosen.name.replace(/\.(qcow2|img|raw)$/i, "") });
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) {
      setFileError("Choose the image file to upload.");
      return;
    }
    setUploadFailure(null);
    let imageId: string;
    try {
      imageId = (await create.mutateAsync(toInput(values))).id;
    } catch {
      return; // shown next to the fields, or in the alert
    }
    onChanged();
    const controller = new AbortController();
    abort.current = controller;
    onUploading(true);
    setProgress({ sent: 0, total: file.size });
    try {
      await uploadImageFile(imageId, file, setProgress, controller.signal);
      onChanged();
      onDone();
    } catch (failure) {
      setUploadFailure(failure instanceof ImageUploadFailed ? failure : new ImageUploadFailed("Internal", "The upload failed."));
      setProgress(null);
      onChanged();
    } finally {
      abort.current = null;
      onUploading(false);
    }
  }

  const shownFileError = fileError ?? (uploadFailure ? `${uploadFailure.message} The image is marked killed; delete it and try again.` : undefined);

  return (
    <form onSubmit={submit} noValidate style={{ display: "flex", flexDirection: "column", flex: 1, minHeight: 0 }}>
      <Stack style={{ flex: 1, minHeight: 0, overflowY: "auto" }} pr={4} pb="xs">
        <FileInput
          label="Image file"
          placeholder="Choose a file"
          required
          clearable
          value={file}
          onChange={chooseFile}
          disabled={busy}
          error={shownFileError}
          description="qcow2 or raw for a disk (the format is detected, not taken from the name); any file for a kernel or ramdisk."
          clearButtonProps={{ "aria-label": "Clear the image file" }}
        />
        {file && (
          <Text size="sm" c="dimmed">
            {file.name}: {formatBytes(file.size)}
          </Text>
        )}
        <TextInput
          label="Name"
          required
          value={values.name}
          disabled={busy}
          onChange={(e) => edit({ name: e.currentTarget.value })}
          error={fieldError("name")}
        />
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <Select
            label="Kind"
            data={(Object.keys(IMAGE_KIND_LABEL) as ImageKind[]).map((kind) => ({ value: kind, label: IMAGE_KIND_LABEL[kind] }))}
            value={values.kind}
            onChange={(kind) => kind && edit({ kind: kind as ImageKind })}
            allowDeselect={false}
            disabled={busy}
            error={fieldError("kind")}
          />
          <Select
            label="Visibility"
            description={values.visibility === "shared" ? "Share it with projects from the image's row." : undefined}
            data={[
              { value: "private", label: "Private (this project)" },
              { value: "shared", label: "Shared (with chosen projects)" },
              ...(isAdmin ? [{ value: "public", label: "Public (every project)" }] : []),
            ]}
            value={values.visibility}
            onChange={(visibility) => visibility && edit({ visibility: visibility as CreateImageValues["visibility"] })}
            allowDeselect={false}
            disabled={busy}
            error={fieldError("visibility")}
          />
          <NumberInput
            label="Minimum RAM (MB)"
            min={0}
            allowDecimal={false}
            allowNegative={false}
            clampBehavior="none"
            value={values.minRamMb}
            disabled={busy}
            onChange={(minRamMb) => edit({ minRamMb })}
            error={fieldError("minRamMb")}
          />
          <NumberInput
            label="Minimum disk (GB)"
            min={0}
            allowDecimal={false}
            allowNegative={false}
            clampBehavior="none"
            value={values.minDiskGb}
            disabled={busy}
            onChange={(minDiskGb) => edit({ minDiskGb })}
            error={fieldError("minDiskGb")}
          />
          <TextInput
            label="Architecture"
            placeholder="x86_64"
            value={values.architecture}
            disabled={busy}
            onChange={(e) => edit({ architecture: e.currentTarget.value })}
            error={fieldError("architecture")}
          />
          <TextInput
            label="OS type"
            placeholder="linux"
            value={values.osType}
            disabled={busy}
            onChange={(e) => edit({ osType: e.currentTarget.value })}
            error={fieldError("osType")}
          />
          <TextInput
            label="Hypervisor type"
            placeholder="qemu"
            value={values.hypervisorType}
            disabled={busy}
            onChange={(e) => edit({ hypervisorType: e.currentTarget.value })}
            error={fieldError("hypervisorType")}
          />
        </SimpleGrid>
        {disk && (
          <SimpleGrid cols={{ base: 1, xs: 2 }}>
            <Select
              label="Kernel"
              description="Direct kernel boot: the guest starts this kernel."
              placeholder={kernels.length === 0 ? "No kernel images" : "None"}
              data={kernels.map((k) => ({ value: k.id, label: k.name }))}
              value={values.kernelId}
              onChange={(kernelId) => edit({ kernelId })}
              clearable
              disabled={busy || kernels.length === 0}
              error={fieldError("kernelId")}
            />
            <Select
              label="Ramdisk"
              description="The initrd the kernel loads."
              placeholder={ramdisks.length === 0 ? "No ramdisk images" : "None"}
              data={ramdisks.map((r) => ({ value: r.id, label: r.name }))}
              value={values.ramdiskId}
              onChange={(ramdiskId) => edit({ ramdiskId })}
              clearable
              disabled={busy || ramdisks.length === 0}
              error={fieldError("ramdiskId")}
            />
          </SimpleGrid>
        )}
        {disk && (
          <TextInput
            label="Kernel command line"
            placeholder="console=ttyS0 root=/dev/vda"
            value={values.osCommandLine}
            disabled={busy || values.kernelId === null}
            onChange={(e) => edit({ osCommandLine: e.currentTarget.value })}
            error={fieldError("osCommandLine")}
          />
        )}
        <Checkbox
          label="Protected (cannot be deleted until unprotected)"
          checked={values.protected}
          disabled={busy}
          onChange={(e) => edit({ protected: e.currentTarget.checked })}
        />
      </Stack>
      <Stack gap="sm" pt="sm">
        {progress && (
          <Stack gap={4}>
            <Group justify="space-between">
              <Text size="sm">Uploading {file?.name}</Text>
              <Text size="sm" fw={600}>
                {percentOf(progress)}%
              </Text>
            </Group>
            <Progress value={percentOf(progress)} aria-label="Upload progress" animated={percentOf(progress) < 100} />
            <Text size="xs" c="dimmed">
              {formatBytes(progress.sent)} of {formatBytes(progress.total)} sent{percentOf(progress) === 100 ? "; checking the image…" : ""}
            </Text>
          </Stack>
        )}
        <FormFooter
          error={placed ? null : error}
          errorTitle="Could not create the image"
          submitLabel="Create image"
          pending={busy}
          onCancel={onCancel}
          cancelLabel={progress ? "Cancel upload" : "Cancel"}
        />
      </Stack>
    </form>
  );
}
