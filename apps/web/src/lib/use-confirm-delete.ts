"use client";

import { useMutation, type UseMutationOptions } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { notifyDone } from "@/lib/notify";
import { toFormError } from "@/lib/trpc-error";

/**
 * A deletion (or revocation) that asks first: `ask(target)` opens the dialog, confirming sends
 * `toVariables(target)` through the mutation, success closes it (before `options.onSuccess`
 * runs) and a message says what went (`done`: "Image web deleted.", or null for none), and
 * closing it forgets the last refusal. Spread `modal` into ConfirmDeleteModal.
 */
export function useConfirmDelete<T, TData, TError, TVariables, TOnMutateResult>(
  options: UseMutationOptions<TData, TError, TVariables, TOnMutateResult>,
  toVariables: (target: T) => TVariables,
  done: (target: T, data: TData) => string | null,
) {
  const [target, setTarget] = useState<T | null>(null);
  const confirmed = useRef<T | null>(null);
  const mutation = useMutation<TData, TError, TVariables, TOnMutateResult>({
    ...options,
    onSuccess: (...args) => {
      setTarget(null);
      const message = confirmed.current === null ? null : done(confirmed.current, args[0]);
      if (message) notifyDone(message);
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
      onConfirm: (chosen: T) => {
        confirmed.current = chosen;
        mutation.mutate(toVariables(chosen));
      },
      onClose: () => {
        mutation.reset();
        setTarget(null);
      },
    },
  };
}
