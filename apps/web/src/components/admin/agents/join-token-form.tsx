"use client";

import { Stack, TextInput } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { MinutesInput } from "@/components/common/minutes-input";
import type { CreatedJoinToken } from "@/lib/api-types";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";

/** The server's limit: a join token lives at most an hour. */
const MAX_JOIN_TOKEN_MINUTES = 60;

interface JoinTokenValues {
  hostname: string;
  /** NumberInput gives "" while empty. */
  ttlMinutes: number | string;
}
const initialValues: JoinTokenValues = { hostname: "", ttlMinutes: MAX_JOIN_TOKEN_MINUTES };
const FORM_FIELDS: readonly string[] = ["hostname", "ttlMinutes"];

/** Creates a one-time join token, optionally bound to one host name; the secret goes to `onCreated`. */
export function JoinTokenForm({ onCreated }: { onCreated(token: CreatedJoinToken): void }) {
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
    trpc.agents.createJoinToken.mutationOptions({
      onSuccess: (token) => {
        onCreated(token);
        void queryClient.invalidateQueries({ queryKey: trpc.agents.list.queryKey() });
      },
    }),
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    const hostname = values.hostname.trim();
    create.mutate({ hostname: hostname === "" ? null : hostname, ttlMinutes: typeof values.ttlMinutes === "number" ? values.ttlMinutes : undefined });
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Create a join token">
      <Stack maw={420}>
        <TextInput
          label="Host name"
          description="Optional: the token then enrols only a host of this name."
          placeholder="compute-02"
          autoComplete="off"
          spellCheck={false}
          value={values.hostname}
          onChange={(e) => edit({ hostname: e.currentTarget.value })}
          error={fieldError("hostname")}
        />
        <MinutesInput
          label="Valid for (minutes)"
          description={`At most ${MAX_JOIN_TOKEN_MINUTES}. An unused token expires after this.`}
          max={MAX_JOIN_TOKEN_MINUTES}
          value={values.ttlMinutes}
          onChange={(ttlMinutes) => edit({ ttlMinutes })}
          error={fieldError("ttlMinutes")}
        />
        <FormFooter
          error={placed ? null : error}
          errorTitle="Could not create the join token"
          submitLabel="Create join token"
          pending={create.isPending}
        />
      </Stack>
    </form>
  );
}
