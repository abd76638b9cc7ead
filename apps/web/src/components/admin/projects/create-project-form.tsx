"use client";

import { Alert, Button, Group, Paper, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

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
  const [values, setValues] = useState(initialValues);
  const [createdName, setCreatedName] = useState<string | null>(null);
  const create = useMutation(
    trpc.projects.create.mutationOptions({
      onSuccess: (project) => {
        setValues(initialValues);
        setCreatedName(project.name);
        void queryClient.invalidateQueries({ queryKey: trpc.projects.list.queryKey() });
        // A cloud admin may switch to any project: the header's list grows too.
        void queryClient.invalidateQueries({ queryKey: trpc.auth.projects.queryKey() });
      },
    }),
  );
  const error = create.error ? toFormError(create.error) : null;
  const fieldError = (field: string) => error?.fieldErrors[field]?.[0];
  const placed = error !== null && Object.keys(error.fieldErrors).length > 0 && Object.keys(error.fieldErrors).every((f) => FORM_FIELDS.includes(f));

  function edit(next: Partial<ProjectFormValues>) {
    setValues((v) => ({ ...v, ...next }));
    setCreatedName(null);
    if (create.isError) create.reset();
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
            <TextInput label="Description" autoComplete="off" value={values.description} onChange={(e) => edit({ description: e.currentTarget.value })} error={fieldError("description")} />
          </SimpleGrid>
          {error && !placed && (
            <Alert color="red" title="Could not create the project">
              {error.message}
            </Alert>
          )}
          {createdName && (
            <Alert color="green" title="Project created" role="status">
              Project {createdName} is ready.
            </Alert>
          )}
          <Group>
            <Button type="submit" loading={create.isPending}>
              Create project
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
