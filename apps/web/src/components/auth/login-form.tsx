"use client";

import { Alert, Button, PasswordInput, Stack, TextInput } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { safeNextPath } from "@/lib/safe-next-path";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

/**
 * User name and password; on success the principal becomes whoami's answer and the console opens
 * at the page that was asked for (`?next=`, a path on this console only) or the instance list.
 */
export function LoginForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const signIn = useMutation(
    trpc.auth.signIn.mutationOptions({
      onSuccess: (principal) => {
        // A different user may have been signed in before: drop everything cached for them.
        queryClient.removeQueries();
        queryClient.setQueryData(trpc.auth.whoami.queryKey(), principal);
        router.push(safeNextPath(new URLSearchParams(window.location.search).get("next")));
      },
    }),
  );
  const error = signIn.error ? toFormError(signIn.error) : null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    signIn.mutate({ name, password });
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {error && (
          <Alert color="red" title="Could not sign in">
            {error.message}
          </Alert>
        )}
        <TextInput
          label="User name"
          name="username"
          autoComplete="username"
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={error?.fieldErrors.name?.[0]}
          data-autofocus
        />
        <PasswordInput
          label="Password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={error?.fieldErrors.password?.[0]}
          // Not "Toggle password visibility": a label naming the password field is the field's alone.
          visibilityToggleButtonProps={{ "aria-label": "Show characters" }}
        />
        <Button type="submit" loading={signIn.isPending} fullWidth>
          Sign in
        </Button>
      </Stack>
    </form>
  );
}
