"use client";

import { useMutation, type UseMutationOptions } from "@tanstack/react-query";
import { useState } from "react";
import { isPlacedIn, toFormError } from "@/lib/trpc-error";

/**
 * A form sent through one mutation: holds the values the user types, clears them once the
 * mutation succeeds (before `options.onSuccess` runs), and shows the server's error the way
 * the console's forms do. `fields` names the inputs that can show a message of their own; an
 * error about any other field, or about none, belongs in an Alert (`placed` is false).
 * An edit after a failure clears the error.
 */
export function useMutationForm<TValues, TData, TError, TVariables, TOnMutateResult>(
  initialValues: TValues,
  fields: readonly string[],
  options: UseMutationOptions<TData, TError, TVariables, TOnMutateResult>,
) {
  const [values, setValues] = useState(initialValues);
  const mutation = useMutation<TData, TError, TVariables, TOnMutateResult>({
    ...options,
    onSuccess: (...args) => {
      setValues(initialValues);
      return options.onSuccess?.(...args);
    },
  });
  const error = mutation.error ? toFormError(mutation.error) : null;
  const fieldError = (field: string) => error?.fieldErrors[field]?.[0];
  const placed = isPlacedIn(error, fields);

  function edit(next: Partial<TValues>) {
    setValues((v) => ({ ...v, ...next }));
    if (mutation.isError) mutation.reset();
  }

  return { values, edit, mutation, error, fieldError, placed };
}
