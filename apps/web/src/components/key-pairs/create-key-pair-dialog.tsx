"use client";

import { Modal, Stack, Text, TextInput } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";
import { PrivateKeyOnce } from "./private-key-once";
import type { CreatedKeyPair } from "./types";
import { useRefreshKeyPairs } from "./use-refresh-key-pairs";

const FORM_FIELDS: readonly string[] = ["name"];
const initialValues = { name: "" };

interface CreateKeyPairDialogProps {
  opened: boolean;
  onClose(): void;
  /** Called once the key pair exists (before its private key is dismissed). */
  onCreated?(keyPair: CreatedKeyPair): void;
}

/**
 * Generates a key pair on the server: first its name, then its private key, shown once. The
 * dialog cannot be dismissed by a stray click or Escape while the private key is on screen.
 */
export function CreateKeyPairDialog({ opened, onClose, onCreated }: CreateKeyPairDialogProps) {
  const trpc = useTRPC();
  const refreshKeyPairs = useRefreshKeyPairs();
  const [created, setCreated] = useState<CreatedKeyPair | null>(null);
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
    trpc.keyPairs.create.mutationOptions({
      onSuccess: (keyPair) => {
        setCreated(keyPair);
        onCreated?.(keyPair);
        refreshKeyPairs();
      },
    }),
  );

  function close() {
    setCreated(null);
    create.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ name: values.name });
  }

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={created ? `Key pair ${created.name} created` : "Create key pair"}
      size={created ? "lg" : "md"}
      closeOnClickOutside={!created}
      closeOnEscape={!created}
      withCloseButton={!created}
      centered
    >
      {created ? (
        <PrivateKeyOnce keyPair={created} onDone={close} />
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <TextInput
              label="Key pair name"
              description="Letters, digits, spaces and _ - . @ — unique among your key pairs."
              required
              data-autofocus
              autoComplete="off"
              value={values.name}
              onChange={(e) => edit({ name: e.currentTarget.value })}
              error={fieldError("name")}
            />
            <Text size="sm" c="dimmed">
              Nimbus generates an ed25519 key. You will see the private key once, right after it is made, to download or copy.
            </Text>
            <FormFooter
              error={placed ? null : error}
              errorTitle="Could not create the key pair"
              submitLabel="Create key pair"
              pending={create.isPending}
              onCancel={close}
            />
          </Stack>
        </form>
      )}
    </Modal>
  );
}
