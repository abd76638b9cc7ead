"use client";

import { Alert, Paper, PasswordInput, Select, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import type { Project } from "@/lib/api-types";
import { isRoleName, ROLE_OPTIONS, roleSpec, type RoleName } from "@/lib/roles";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";

interface UserFormValues {
  name: string;
  email: string;
  password: string;
  /** null until a project is chosen. */
  projectId: string | null;
  role: RoleName;
}
const initialValues: UserFormValues = { name: "", email: "", password: "", projectId: null, role: "member" };
const FORM_FIELDS: readonly string[] = ["name", "email", "password", "projectId", "role"];

/** The input of users.create: a blank email is no email. */
function toInput(values: UserFormValues) {
  const email = values.email.trim();
  return { name: values.name, email: email === "" ? null : email, password: values.password, projectId: values.projectId ?? "", role: values.role };
}

/** Creates a user with a first role in one project; the server's refusals show next to the fields. */
export function CreateUserForm({ projects }: { projects: Project[] }) {
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
    trpc.users.create.mutationOptions({
      onSuccess: (user) => {
        setCreatedName(user.name);
        void queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
      },
    }),
  );

  function edit(next: Partial<UserFormValues>) {
    editValues(next);
    setCreatedName(null);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(toInput(values));
  }

  return (
    <Paper withBorder p="lg" component="section" aria-labelledby="create-user-title">
      <Title order={2} size="h4" id="create-user-title" mb={4}>
        Create a user
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        The user signs in with this name and password and can change the password under Account.
      </Text>
      <form onSubmit={submit} noValidate aria-label="Create a user">
        <Stack>
          <SimpleGrid cols={{ base: 1, md: 3 }}>
            <TextInput
              label="User name"
              required
              autoComplete="off"
              value={values.name}
              onChange={(e) => edit({ name: e.currentTarget.value })}
              error={fieldError("name")}
            />
            <TextInput
              label="Email"
              type="email"
              autoComplete="off"
              value={values.email}
              onChange={(e) => edit({ email: e.currentTarget.value })}
              error={fieldError("email")}
            />
            <PasswordInput
              label="Initial password"
              description="At least 12 characters."
              required
              autoComplete="new-password"
              value={values.password}
              onChange={(e) => edit({ password: e.currentTarget.value })}
              error={fieldError("password")}
              visibilityToggleButtonProps={{ "aria-label": "Show characters" }}
            />
            <Select
              label="Project"
              description="Where the user starts, with the role below."
              required
              placeholder="Choose a project"
              data={projects.map((p) => ({ value: p.id, label: p.name }))}
              value={values.projectId}
              onChange={(projectId) => edit({ projectId })}
              searchable
              error={fieldError("projectId")}
            />
            <Select
              label="Role"
              description={roleSpec(values.role).description}
              required
              data={ROLE_OPTIONS}
              value={values.role}
              onChange={(role) => role && isRoleName(role) && edit({ role })}
              allowDeselect={false}
              error={fieldError("role")}
            />
          </SimpleGrid>
          {createdName && (
            <Alert color="green" title="User created" role="status">
              {createdName} can sign in now.
            </Alert>
          )}
          <FormFooter error={placed ? null : error} errorTitle="Could not create the user" submitLabel="Create user" pending={create.isPending} />
        </Stack>
      </form>
    </Paper>
  );
}
