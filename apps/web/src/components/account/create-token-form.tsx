"use client";

import { Stack, TextInput } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { MinutesInput } from "@/components/common/minutes-input";
import type { CreatedApiToken } from "@/lib/api-types";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";

/** The server's limit on a token's lifetime: 30 days. */
const MAX_TTL_MINUTES = 30 * 24 * 60;

interface TokenFormValues {
  name: string;
  /** NumberInput gives "" while empty: the server's default lifetime. */
  ttlMinutes: number | string;
}
const initialValues: TokenFormValues = { name: "", ttlMinutes: "" };
const FORM_FIELDS: readonly string[] = ["name", "ttlMinutes"];

/** Creates an API token scoped to the current project; the secret goes to `onCreated`, once. */
export function CreateTokenForm({ onCreated }: { onCreated(token: CreatedApiToken): void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
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
    trpc.tokens.create.mutationOptions({
      onSuccess: (token) => {
        onCreated(token);
        void queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
      },
    }),
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ name: values.name, ttlMinutes: typeof values.ttlMinutes === "number" ? values.ttlMinutes : undefined });
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Create an API token">
      <Stack maw={420}>
        <TextInput
          label="Token name"
          description="What uses it: a script, a CI job."
          required
          value={values.name}
          onChange={(e) => edit({ name: e.currentTarget.value })}
          error={fieldError("name")}
          autoComplete="off"
        />
        <MinutesInput
          label="Lifetime (minutes)"
          description={`Blank: the cloud's default (usually 60 minutes). At most ${MAX_TTL_MINUTES} (30 days).`}
          max={MAX_TTL_MINUTES}
          value={values.ttlMinutes}
          onChange={(ttlMinutes) => edit({ ttlMinutes })}
          error={fieldError("ttlMinutes")}
        />
        <FormFooter error={placed ? null : error} errorTitle="Could not create the token" submitLabel="Create token" pending={create.isPending} />
      </Stack>
    </form>
  );
}
