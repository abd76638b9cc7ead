"use client";

import { Alert, Paper, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";

interface ProjectFormValues {
  name: string;
  description: string;
}
const initialValues: ProjectFormValues = { name: "", description: "" };
const FORM_FIELDS: readonly string[] = ["name", "description"];

/** Creates a project with the default quotas; users get into it through role assignments. */
export function CreateProjectForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [createdName, setCreatedName] = useState<string | null>(null);
  const {
    values,
    edit: editValues,
    mutation: create,
    error,
    fieldError,
    placed,
  } = useMutationForm(
    initialValues,
    FORM_FIELDS,
    trpc.projects.create.mutationOptions({
      onSuccess: (project) => {
        setCreatedName(project.name);
        void queryClient.invalidateQueries({ queryKey: trpc.projects.list.queryKey() });
        // A cloud admin may switch to any project: the header's list grows too.
        void queryClient.invalidateQueries({ queryKey: trpc.auth.projects.queryKey() });
      },
    }),
  );

  function edit(next: Partial<ProjectFormValues>) {
    editValues(next);
    setCreatedName(null);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(values);
  }

  return (
    <Paper withBorder p="lg" component="section" aria-labelledby="create-project-title">
      <Title order={2} size="h4" id="create-project-title" mb={4}>
        Create a project
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        A new project starts with the default quotas; give users a role in it on the Users page.
      </Text>
      <form onSubmit={submit} noValidate aria-label="Create a project">
        <Stack>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <TextInput
              label="Project name"
              description="Letters, digits, '.', '_' and '-'."
              required
              autoComplete="off"
              value={values.name}
              onChange={(e) => edit({ name: e.currentTarget.value })}
              error={fieldError("name")}
            />
            <TextInput
              label="Description"
              autoComplete="off"
              value={values.description}
              onChange={(e) => edit({ description: e.currentTarget.value })}
              error={fieldError("description")}
            />
          </SimpleGrid>
          {createdName && (
            <Alert color="green" title="Project created" role="status">
              Project {createdName} is ready.
            </Alert>
          )}
          <FormFooter
            error={placed ? null : error}
            errorTitle="Could not create the project"
            submitLabel="Create project"
            pending={create.isPending}
          />
        </Stack>
      </form>
    </Paper>
  );
}
