"use client";

import { Alert, Button, Group } from "@mantine/core";
import type { FormError } from "@/lib/trpc-error";

interface FormFooterProps {
  /** The refusal to show above the buttons; null when there is none or it shows next to its fields. */
  error: FormError | null;
  /** What failed, as the alert's title: "Could not create the volume". */
  errorTitle: string;
  /** The submit button's label: "Create volume". */
  submitLabel: string;
  pending: boolean;
  /** A dialog's Cancel; without it (a form on a page) only the submit button shows, on the left. */
  onCancel?(): void;
  cancelLabel?: string;
}

/** The end of a console form: the server's refusal in an Alert, then Cancel (in a dialog) and submit. */
export function FormFooter({ error, errorTitle, submitLabel, pending, onCancel, cancelLabel = "Cancel" }: FormFooterProps) {
  return (
    <>
      {error && (
        <Alert color="red" title={errorTitle}>
          {error.message}
        </Alert>
      )}
      <Group justify={onCancel ? "flex-end" : undefined}>
        {onCancel && (
          <Button variant="default" onClick={onCancel}>
            {cancelLabel}
          </Button>
        )}
        <Button type="submit" loading={pending}>
          {submitLabel}
        </Button>
      </Group>
    </>
  );
}
