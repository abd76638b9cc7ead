"use client";

import { Alert, Paper, PasswordInput, Stack, Text, Title } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
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

/** What a password change ends, said next to the form before it is sent. */
export const PASSWORD_CHANGE_EFFECT =
  "Changing your password signs out your other sessions and revokes all your API tokens, and their live connections close at once. " +
  "This session stays open; scripts need a new token.";

/**
 * The user changes their own password. The confirmation must match before anything is sent; the
 * server checks the current password and the length rule, signs out every other session and
 * revokes every API token (the list below shows them revoked).
 */
export function ChangePasswordForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [mismatch, setMismatch] = useState(false);
  const {
    values,
    edit: editValues,
    mutation: change,
    error,
    fieldError,
    placed,
  } = useMutationForm(
    initialValues,
    FORM_FIELDS,
    trpc.auth.changePassword.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() }),
    }),
  );

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
      <Text size="sm" c="dimmed" mb="md" id="change-password-effect">
        {PASSWORD_CHANGE_EFFECT}
      </Text>
      <form onSubmit={submit} noValidate aria-describedby="change-password-effect">
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
              Your other sessions have been signed out and your API tokens revoked.
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
