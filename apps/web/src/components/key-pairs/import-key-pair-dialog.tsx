"use client";

import { Modal, Stack, Textarea, TextInput } from "@mantine/core";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { MONOSPACE_INPUT_XS } from "@/components/common/input-styles";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";
import type { KeyPair } from "./types";
import { useRefreshKeyPairs } from "./use-refresh-key-pairs";

const FORM_FIELDS: readonly string[] = ["name", "publicKey"];
const initialValues = { name: "", publicKey: "" };

interface ImportKeyPairDialogProps {
  opened: boolean;
  onClose(): void;
  onImported?(keyPair: KeyPair): void;
}

/** Imports an OpenSSH public key the user already has (the contents of ~/.ssh/id_ed25519.pub). */
export function ImportKeyPairDialog({ opened, onClose, onImported }: ImportKeyPairDialogProps) {
  const trpc = useTRPC();
  const refreshKeyPairs = useRefreshKeyPairs();
  const {
    values,
    edit,
    mutation: importKey,
    error,
    fieldError,
    placed,
  } = useMutationForm(
    initialValues,
    FORM_FIELDS,
    trpc.keyPairs.import.mutationOptions({
      onSuccess: (keyPair) => {
        onImported?.(keyPair);
        refreshKeyPairs();
        onClose();
      },
    }),
  );

  function close() {
    importKey.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    importKey.mutate(values);
  }

  return (
    <Modal opened={opened} onClose={close} title="Import key pair" size="lg" centered>
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Key pair name"
            required
            data-autofocus
            autoComplete="off"
            value={values.name}
            onChange={(e) => edit({ name: e.currentTarget.value })}
            error={fieldError("name")}
          />
          <Textarea
            label="Public key"
            description="One OpenSSH public key line: ssh-ed25519, ssh-rsa (at least 2048 bits) or ecdsa-sha2-nistp256/384/521, e.g. the contents of ~/.ssh/id_ed25519.pub."
            placeholder="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… you@laptop"
            required
            autosize
            minRows={4}
            maxRows={10}
            spellCheck={false}
            styles={MONOSPACE_INPUT_XS}
            value={values.publicKey}
            onChange={(e) => edit({ publicKey: e.currentTarget.value })}
            error={fieldError("publicKey")}
          />
          <FormFooter
            error={placed ? null : error}
            errorTitle="Could not import the key"
            submitLabel="Import key pair"
            pending={importKey.isPending}
            onCancel={close}
          />
        </Stack>
      </form>
    </Modal>
  );
}
