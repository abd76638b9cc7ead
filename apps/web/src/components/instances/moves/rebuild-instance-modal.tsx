"use client";

import { Alert, Button, Group, Loader, Modal, NativeSelect, Text, Textarea, TextInput } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { notifyDone } from "@/lib/notify";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

export interface RebuildableInstance {
  id: string;
  name: string;
  /** Its image now (preselected), and its key pair (kept unless another is chosen). */
  imageId?: string | null;
  keyName?: string | null;
  rootGb: number;
  memoryMb: number;
}

const KEEP = "__keep__";
const NONE = "__none__";

/** The values the dialog holds, and the payload they make (a field left as it is keeps what the instance has). */
interface RebuildValues {
  imageId: string;
  name: string;
  keyChoice: string;
  userData: string;
}

function payloadOf(instance: RebuildableInstance, values: RebuildValues) {
  return {
    instanceId: instance.id,
    imageId: values.imageId,
    ...(values.name.trim() && values.name.trim() !== instance.name ? { name: values.name.trim() } : {}),
    ...(values.keyChoice === KEEP ? {} : { keyName: values.keyChoice === NONE ? null : values.keyChoice }),
    ...(values.userData ? { userData: values.userData } : {}),
  };
}

/**
 * Horizon's "Rebuild Instance": the image to rebuild from (the instance's own preselected; each
 * other with what it needs), an optional new name, key pair and user data. The guest's disk is
 * made again from the image: what was written to it is lost; its addresses stay. The server
 * checks everything again and says why it refuses, next to the field it concerns.
 */
export function RebuildInstanceModal({ instance, opened, onClose }: { instance: RebuildableInstance; opened: boolean; onClose(): void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const images = useQuery({ ...trpc.catalog.images.queryOptions(), enabled: opened });
  const keyPairs = useQuery({ ...trpc.keyPairs.list.queryOptions(), enabled: opened });
  const initial: RebuildValues = { imageId: instance.imageId ?? "", name: "", keyChoice: KEEP, userData: "" };
  const [values, setValues] = useState<RebuildValues>(initial);
  const set = (patch: Partial<RebuildValues>) => setValues((v) => ({ ...v, ...patch }));
  const rebuild = useMutation(
    trpc.instances.rebuild.mutationOptions({
      onSuccess: () => {
        notifyDone(`Rebuild of ${instance.name} requested.`);
        void queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.instances.get.queryKey({ id: instance.id }) });
        setValues(initial);
        onClose();
      },
    }),
  );
  const close = () => {
    rebuild.reset();
    setValues(initial);
    onClose();
  };
  const error = rebuild.isError ? toFormError(rebuild.error) : null;
  const fieldError = (field: string) => error?.fieldErrors[field]?.[0];
  const imageOptions = (images.data ?? []).map((image) => {
    const needs = Math.max(image.minDiskGb, Math.ceil((image.virtualSizeBytes ?? image.sizeBytes ?? 0) / 1024 ** 3));
    const tooBig = instance.rootGb > 0 && needs > instance.rootGb;
    const current = image.id === instance.imageId ? " (current)" : "";
    return {
      value: image.id,
      label: `${image.name}${current}${tooBig ? ` (needs a ${needs} GB disk)` : ""}`,
    };
  });
  const blocked = values.imageId ? null : "Choose an image.";
  return (
    <Modal opened={opened} onClose={close} title={`Rebuild ${instance.name}`} centered size="lg">
      <Text size="sm" mb="sm">
        The guest is destroyed and made again from the image on the same host, with the same addresses. Everything written to its disk is lost;
        attached volumes are kept. A stopped instance stays stopped.
      </Text>
      {images.isPending || keyPairs.isPending ? (
        <Loader aria-label="Loading images and key pairs" />
      ) : (
        <>
          <NativeSelect
            label="Image"
            description="The image the instance's disk is made from."
            data={[{ value: "", label: "Choose an image" }, ...imageOptions]}
            value={values.imageId}
            onChange={(e) => set({ imageId: e.currentTarget.value })}
            error={fieldError("imageId")}
            mb="sm"
          />
          <TextInput
            label="Name"
            description="Leave empty to keep its name. The guest's hostname follows it."
            placeholder={instance.name}
            value={values.name}
            onChange={(e) => set({ name: e.currentTarget.value })}
            error={fieldError("name")}
            mb="sm"
          />
          <NativeSelect
            label="Key pair"
            data={[
              { value: KEEP, label: instance.keyName ? `Keep ${instance.keyName}` : "Keep as it is (none)" },
              { value: NONE, label: "No key pair" },
              ...(keyPairs.data ?? []).map((k) => ({ value: k.name, label: k.name })),
            ]}
            value={values.keyChoice}
            onChange={(e) => set({ keyChoice: e.currentTarget.value })}
            error={fieldError("keyName")}
            mb="sm"
          />
          <Textarea
            label="User data"
            description="Leave empty to keep the instance's user data."
            autosize
            minRows={2}
            maxRows={8}
            value={values.userData}
            onChange={(e) => set({ userData: e.currentTarget.value })}
            error={fieldError("userData")}
          />
        </>
      )}
      {error && (
        <Alert color="red" title="Could not rebuild" mt="md" role="alert">
          {error.message}
        </Alert>
      )}
      <Group justify="flex-end" mt="md">
        <Button variant="default" onClick={close}>
          Cancel
        </Button>
        <Button
          color="red"
          loading={rebuild.isPending}
          disabled={blocked !== null}
          title={blocked ?? undefined}
          onClick={() => rebuild.mutate(payloadOf(instance, values))}
        >
          Rebuild
        </Button>
      </Group>
    </Modal>
  );
}
