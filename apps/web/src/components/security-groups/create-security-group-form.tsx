"use client";

import { Paper, Stack, Text, TextInput } from "@mantine/core";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";

const FORM_FIELDS: readonly string[] = ["name", "description"];
const initialValues = { name: "", description: "" };

/** Creates an empty security group of the current project (rules are added to it afterwards). */
export function CreateSecurityGroupForm({ onCreated }: { onCreated(): void }) {
  const trpc = useTRPC();
  const {
    values,
    edit,
    mutation: create,
    error,
    fieldError,
    placed,
  } = useMutationForm(initialValues, FORM_FIELDS, trpc.securityGroups.create.mutationOptions({ onSuccess: onCreated }));

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(values);
  }

  return (
    <Paper withBorder p="lg" component="section" aria-labelledby="create-security-group-title">
      <Text fw={600} mb="sm" id="create-security-group-title">
        Create a security group
      </Text>
      <form onSubmit={submit} noValidate>
        <Stack maw={520}>
          <TextInput
            label="Group name"
            required
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
          <Text size="sm" c="dimmed">
            A new group has no rules: add the traffic it allows once it exists.
          </Text>
          <FormFooter
            error={placed ? null : error}
            errorTitle="Could not create the security group"
            submitLabel="Create security group"
            pending={create.isPending}
          />
        </Stack>
      </form>
    </Paper>
  );
}
