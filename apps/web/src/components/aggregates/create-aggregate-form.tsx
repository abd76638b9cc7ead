"use client";

import { MultiSelect, Paper, Stack, Text, TextInput } from "@mantine/core";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import type { Project } from "@/lib/api-types";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";

interface AggregateFormValues {
  name: string;
  /** "" for an aggregate that is not an availability zone. */
  availabilityZone: string;
  /** Projects whose instances alone may use the hosts (AggregateMultiTenancyIsolation); none = any project. */
  tenantProjectIds: string[];
}

const initialValues: AggregateFormValues = { name: "", availabilityZone: "", tenantProjectIds: [] };
const FORM_FIELDS: readonly string[] = ["name", "availabilityZone", "tenantProjectIds"];

/** The create input of aggregates.create: a blank zone is no zone. */
function toInput(values: AggregateFormValues) {
  const zone = values.availabilityZone.trim();
  return { name: values.name, availabilityZone: zone === "" ? null : zone, tenantProjectIds: values.tenantProjectIds };
}

/** Creates a host aggregate, optionally exposed as an availability zone. */
export function CreateAggregateForm({ projects, onCreated }: { projects: Project[]; onCreated(): void }) {
  const trpc = useTRPC();
  const {
    values,
    edit,
    mutation: create,
    error,
    fieldError,
    placed,
  } = useMutationForm(initialValues, FORM_FIELDS, trpc.aggregates.create.mutationOptions({ onSuccess: () => onCreated() }));

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(toInput(values));
  }

  return (
    <Paper withBorder p="lg" component="section" aria-labelledby="create-aggregate-title">
      <Text fw={600} mb="sm" id="create-aggregate-title">
        Create an aggregate
      </Text>
      <form onSubmit={submit} noValidate>
        <Stack maw={520}>
          <TextInput
            label="Aggregate name"
            required
            value={values.name}
            onChange={(e) => edit({ name: e.currentTarget.value })}
            error={fieldError("name")}
          />
          <TextInput
            label="Availability zone (optional)"
            description="Makes the aggregate's hosts a zone users can choose when launching. A host sits in at most one zone."
            value={values.availabilityZone}
            onChange={(e) => edit({ availabilityZone: e.currentTarget.value })}
            error={fieldError("availabilityZone")}
            autoComplete="off"
            spellCheck={false}
          />
          <MultiSelect
            label="Reserved for projects (optional)"
            description="Only instances of these projects may use the aggregate's hosts. None: any project."
            data={projects.map((p) => ({ value: p.id, label: p.name }))}
            value={values.tenantProjectIds}
            onChange={(tenantProjectIds) => edit({ tenantProjectIds })}
            error={fieldError("tenantProjectIds")}
            searchable
            clearable
          />
          <FormFooter
            error={placed ? null : error}
            errorTitle="Could not create the aggregate"
            submitLabel="Create aggregate"
            pending={create.isPending}
          />
        </Stack>
      </form>
    </Paper>
  );
}
