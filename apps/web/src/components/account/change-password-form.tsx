"use client";

import { Alert, Paper, PasswordInput, Stack, Text, Title } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";

interface PasswordValues {
  currentPassword: string;
  newPassword: string;
  confirmPassword: string;
}
const initialValues: PasswordValues = { currentPassword: "", newPassword: "", confirmPassword: "" };
const FORM_FIELDS: readonly string[] = ["currentPassword", "newPassword"];

/** The visibility toggle's name: "Toggle password visibility" would also match the fields' own labels. */
const toggleProps = { "aria-label": "Show characters" };

/**
 * The user changes their own password. The confirmation must match before anything is sent; the
 * server checks the current password and the length rule, and signs out every other session.
 */
export function ChangePasswordForm() {
  const trpc = useTRPC();
  const [mismatch, setMismatch] = useState(false);
  const {
    values,
    edit: editValues,
    mutation: change,
    error,
    fieldError,
    placed,
  } = useMutationForm(initialValues, FORM_FIELDS, trpc.auth.changePassword.mutationOptions());

  function edit(next: Partial<PasswordValues>) {
    editValues(next);
    if ("newPassword" in next || "confirmPassword" in next) setMismatch(false);
    // Unlike the other forms, an edit after success also hides the "Password changed" alert.
    if (!change.isIdle) change.reset();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (values.newPassword !== values.confirmPassword) {
      setMismatch(true);
      return;
    }
    change.mutate({ currentPassword: values.currentPassword, newPassword: values.newPassword });
  }

  return (
    <Paper withBorder p="lg" component="section" aria-labelledby="change-password-title">
      <Title order={2} size="h4" id="change-password-title" mb={4}>
        Change password
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        Your other sessions are signed out when the password changes; this one stays open.
      </Text>
      <form onSubmit={submit} noValidate>
        <Stack maw={420}>
          <PasswordInput
            label="Current password"
            autoComplete="current-password"
            required
            value={values.currentPassword}
            onChange={(e) => edit({ currentPassword: e.currentTarget.value })}
            error={fieldError("currentPassword")}
            visibilityToggleButtonProps={toggleProps}
          />
          <PasswordInput
            label="New password"
            description="At least 12 characters. A passphrase of a few words is easy to type and hard to guess."
            autoComplete="new-password"
            required
            value={values.newPassword}
            onChange={(e) => edit({ newPassword: e.currentTarget.value })}
            error={fieldError("newPassword")}
            visibilityToggleButtonProps={toggleProps}
          />
          <PasswordInput
            label="Confirm new password"
            autoComplete="new-password"
            required
            value={values.confirmPassword}
            onChange={(e) => edit({ confirmPassword: e.currentTarget.value })}
            error={mismatch ? "The two new passwords do not match." : undefined}
            visibilityToggleButtonProps={toggleProps}
          />
          {change.isSuccess && (
            <Alert color="green" title="Password changed" role="status">
              Your other sessions have been signed out.
            </Alert>
          )}
          <FormFooter
            error={placed ? null : error}
            errorTitle="Could not change the password"
            submitLabel="Change password"
            pending={change.isPending}
          />
        </Stack>
      </form>
    </Paper>
  );
}
