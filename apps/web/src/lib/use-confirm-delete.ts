"use client";

import { useMutation, type UseMutationOptions } from "@tanstack/react-query";
import { useState } from "react";
import { toFormError } from "@/lib/trpc-error";

/**
 * A deletion (or revocation) that asks first: `ask(target)` opens the dialog, confirming sends
 * `toVariables(target)` through the mutation, success closes it (before `options.onSuccess`
 * runs), and closing it forgets the last refusal. Spread `modal` into ConfirmDeleteModal.
 */
export function useConfirmDelete<T, TData, TError, TVariables, TOnMutateResult>(
  options: UseMutationOptions<TData, TError, TVariables, TOnMutateResult>,
  toVariables: (target: T) => TVariables,
) {
  const [target, setTarget] = useState<T | null>(null);
  const mutation = useMutation<TData, TError, TVariables, TOnMutateResult>({
    ...options,
    onSuccess: (...args) => {
      setTarget(null);
      return options.onSuccess?.(...args);
    },
  });

  return {
    ask: (next: T) => setTarget(next),
    mutation,
    modal: {
      target,
      pending: mutation.isPending,
      error: mutation.error ? toFormError(mutation.error) : null,
      onConfirm: (confirmed: T) => mutation.mutate(toVariables(confirmed)),
      onClose: () => {
        mutation.reset();
        setTarget(null);
      },
    },
  };
}
