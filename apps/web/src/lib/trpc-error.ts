import { TRPCClientError } from "@trpc/client";
import { z } from "zod";

/** An error from the API as a form shows it: a sentence for an Alert, messages per field. */
export interface FormError {
  message: string;
  /** Field name (as in the procedure's input) → messages to show next to that field. */
  fieldErrors: Record<string, string[]>;
  /** The domain error code (NotFound, QuotaExceeded, ...) or the tRPC code when there is none. */
  code: string | null;
  httpStatus: number | null;
  details: Record<string, unknown> | null;
}

/** The `data` our errorFormatter puts on every tRPC error (apps/web/src/server/trpc/init.ts). */
const errorDataSchema = z.object({
  code: z.string().optional(),
  httpStatus: z.number().optional(),
  nimbus: z
    .object({ code: z.string(), details: z.record(z.string(), z.unknown()).nullable() })
    .nullable()
    .optional(),
  fieldErrors: z.record(z.string(), z.array(z.string()).optional()).nullable().optional(),
});

/** Domain BadRequest errors name their fields in details.fields. */
const detailFieldsSchema = z.array(z.object({ path: z.string(), message: z.string() }));

export function toFormError(error: unknown): FormError {
  if (!(error instanceof TRPCClientError)) {
    return { message: "Something went wrong. Please try again.", fieldErrors: {}, code: null, httpStatus: null, details: null };
  }
  const parsed = errorDataSchema.safeParse(error.data);
  if (!parsed.success) {
    // No data: the request never reached the API (network down, server restarting).
    return {
      message: "Could not reach the Nimbus server. Check your connection and try again.",
      fieldErrors: {},
      code: null,
      httpStatus: null,
      details: null,
    };
  }
  const data = parsed.data;
  const fieldErrors: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(data.fieldErrors ?? {})) {
    if (messages && messages.length > 0) fieldErrors[field] = [...messages];
  }
  const details = data.nimbus?.details ?? null;
  const fields = detailFieldsSchema.safeParse(details?.fields);
  if (fields.success) {
    for (const { path, message } of fields.data) (fieldErrors[path] ??= []).push(message);
  }
  return {
    message: error.message,
    fieldErrors,
    code: data.nimbus?.code ?? data.code ?? null,
    httpStatus: data.httpStatus ?? null,
    details,
  };
}

/**
 * Whether a refusal shows next to a form's own fields: it names at least one field, and only
 * fields in `fields`. Otherwise (no field, or one the form does not show) it belongs in an Alert.
 */
export function isPlacedIn(error: FormError | null, fields: readonly string[]): boolean {
  if (error === null) return false;
  const named = Object.keys(error.fieldErrors);
  return named.length > 0 && named.every((field) => fields.includes(field));
}

/** True when the API said the thing does not exist (or is not visible to the caller). */
export function isNotFound(error: unknown): boolean {
  const { code } = toFormError(error);
  return code === "NotFound" || code === "NOT_FOUND";
}

export function isUnauthenticated(error: unknown): boolean {
  const { code } = toFormError(error);
  return code === "Unauthenticated" || code === "UNAUTHORIZED";
}

/** Client errors (4xx) will not get better by asking again. */
export function isClientError(error: unknown): boolean {
  const { httpStatus } = toFormError(error);
  return httpStatus !== null && httpStatus >= 400 && httpStatus < 500;
}

/** True when the server could not reach its database (restarting, failing over): asking again shortly will work. */
export function isDatabaseAway(error: unknown): boolean {
  const { code, httpStatus } = toFormError(error);
  return code === "Unavailable" && httpStatus === 503;
}
