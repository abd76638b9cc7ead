"use client";

import { Alert, Loader, type LoaderProps } from "@mantine/core";
import { toFormError } from "@/lib/trpc-error";

interface QueryStatusProps {
  query: { isPending: boolean; isError: boolean; error: unknown };
  /** The Loader's accessible name, e.g. "Loading aggregates". */
  loadingLabel: string;
  /** The error Alert's title, e.g. "Could not load the aggregates". */
  errorTitle: string;
  /** The Loader's size; Mantine's default when omitted. */
  loaderSize?: LoaderProps["size"];
}

/** A query's loading spinner, or its error in an Alert; nothing once it has data. */
export function QueryStatus({ query, loadingLabel, errorTitle, loaderSize }: QueryStatusProps) {
  return (
    <>
      {query.isPending && <Loader aria-label={loadingLabel} size={loaderSize} />}
      {query.isError && (
        <Alert color="red" title={errorTitle}>
          {toFormError(query.error).message}
        </Alert>
      )}
    </>
  );
}
